from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from projects import services
from projects.filtersets import ProjectFilterSet
from projects.models import Project

from .serializers import ProjectSerializer, TransitionSerializer


class CanEditLibrary(permissions.BasePermission):
    """Reading follows scope; writing needs an editor role (office staff, API client)."""

    message = "您没有修改项目库的权限。"

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.can_edit_library


class ProjectViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The project library within the caller's scope. Stages change only via ``transition``."""

    serializer_class = ProjectSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ProjectFilterSet
    ordering_fields = ["code", "name", "total_investment", "planned_start", "updated_at"]
    permission_classes = [permissions.IsAuthenticated, CanEditLibrary]

    def get_queryset(self):
        return (
            Project.objects.for_user(self.request.user)
            .with_related()
            .prefetch_related("element_needs")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        tags = data.pop("tags", ())
        serializer.instance = services.project_create(by=self.request.user, tags=tags, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        tags = data.pop("tags", None)
        serializer.instance = services.project_update(
            project=serializer.instance, by=self.request.user, tags=tags, **data
        )

    @extend_schema(request=TransitionSerializer, responses={200: ProjectSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project to another lifecycle stage on a date (backward: correction only)."""
        project = self.get_object()
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        project = services.project_transition(
            project=project, by=request.user, **payload.validated_data
        )
        project = self.get_queryset().get(pk=project.pk)
        return Response(ProjectSerializer(project, context=self.get_serializer_context()).data)
