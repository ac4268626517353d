"""走访服务 under /api/v1/visits/: read the visits in the caller's scope, record one."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from projects.models import Project

from .. import services
from ..filtersets import VisitFilterSet
from ..models import Visit, VisitProblem
from .serializers import VisitRecordSerializer, VisitSerializer


class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits (走访/帮办) to projects in the caller's scope, newest first, each with the issue
    tickets its problems became. Recording is for office staff and the project's service
    specialist; a visit is never changed or deleted through the API."""

    serializer_class = VisitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = VisitFilterSet

    def get_queryset(self):
        return (
            Visit.objects.for_user(self.request.user)
            .with_related()
            .prefetch_related(
                Prefetch(
                    "problems",
                    queryset=VisitProblem.objects.for_user(self.request.user).select_related(
                        "issue"
                    ),
                )
            )
        )

    def get_serializer_class(self):
        if self.action == "create":
            return VisitRecordSerializer
        return super().get_serializer_class()

    @extend_schema(request=VisitRecordSerializer, responses={201: VisitSerializer})
    def create(self, request):
        """Record a visit; its problems are filed as issue tickets in the same transaction."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = get_object_or_404(Project.objects.for_user(request.user), pk=data.pop("project"))
        problems = [services.Problem(**problem) for problem in data.pop("problems")]
        visit = services.visit_record(by=request.user, project=project, problems=problems, **data)
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(
            VisitSerializer(visit, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
