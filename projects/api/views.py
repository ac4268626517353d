from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api.pagination import SeekPagination
from core.api.permissions import CanEditLibrary
from projects import services
from projects.filtersets import ProjectFilterSet
from projects.models import PreReview, PreReviewOpinion, Project
from schedule import services as schedule_services
from schedule.api.serializers import (
    ApplyTemplateSerializer,
    MilestoneSerializer,
    ScheduleSerializer,
    WhatIfSerializer,
    schedule_payload,
)
from schedule.api.views import milestone_queryset, milestone_writes
from schedule.impact import blocks_by_project
from schedule.recompute import project_impacts
from schedule.whatif import parse, save_as_plan

from .serializers import (
    PreReviewConcludeSerializer,
    PreReviewOpenSerializer,
    PreReviewOpinionInputSerializer,
    PreReviewSerializer,
    ProjectSerializer,
    TransitionSerializer,
)


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
    # up to a million rows: ids first, a capped count, and cursor links in the default order
    pagination_class = SeekPagination
    permission_classes = [permissions.IsAuthenticated, CanEditLibrary]

    def get_queryset(self):
        from indicators.lights import with_light_rules

        projects = (
            Project.objects.for_user(self.request.user)
            .with_related()
            .prefetch_related("element_needs")
        )
        # the lists and items show each project's light; the other actions need no annotation
        if getattr(self, "swagger_fake_view", False):  # the schema: no database to ask
            return projects
        return with_light_rules(projects) if self.action in ("list", "retrieve") else projects

    def filter_queryset(self, queryset):
        # the filters narrow the list; one project is found by its id within the scope alone
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

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

    @extend_schema(methods=["get"], responses={200: MilestoneSerializer(many=True)}, filters=False)
    @extend_schema(
        methods=["post"], request=MilestoneSerializer, responses={201: MilestoneSerializer}
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def milestones(self, request, pk=None):
        """The project's key milestones (GET), or add one (POST); the 开工 anchor comes with the
        first."""
        project = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = milestone_queryset(request.user).filter(project=project)
            return Response(MilestoneSerializer(rows, many=True, context=context).data)
        payload = MilestoneSerializer(data=request.data, context=context)
        payload.is_valid(raise_exception=True)
        data, predecessors = milestone_writes(payload.validated_data)
        milestone = schedule_services.milestone_create(
            project=project, by=request.user, predecessors=predecessors or (), **data
        )
        milestone = milestone_queryset(request.user).get(pk=milestone.pk)
        return Response(
            MilestoneSerializer(milestone, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ApplyTemplateSerializer, responses={201: MilestoneSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="apply-template", pagination_class=None)
    def apply_template(self, request, pk=None):
        """Create the project's milestones from a schedule template (only while it has none)."""
        project = self.get_object()
        payload = ApplyTemplateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        schedule_services.apply_template(
            project=project, template=payload.validated_data["template"], by=request.user
        )
        rows = milestone_queryset(request.user).filter(project=project)
        context = self.get_serializer_context()
        return Response(
            MilestoneSerializer(rows, many=True, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={200: ScheduleSerializer}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def schedule(self, request, pk=None):
        """Latest dates backwards from the planned start, earliest dates forward from today,
        float and the critical path (working days on the Chinese calendar); an open ticket
        blocking a milestone holds its finish back, with what it costs the start."""
        project = self.get_object()
        schedule, milestones, impacts = project_impacts(project)
        return Response(
            ScheduleSerializer(
                schedule_payload(project, schedule, milestones, _shown(request.user, impacts))
            ).data
        )

    @extend_schema(request=WhatIfSerializer, responses={200: ScheduleSerializer}, filters=False)
    @action(
        detail=True,
        methods=["post"],
        url_path="schedule/what-if",
        url_name="schedule-what-if",
        filter_backends=[],
        pagination_class=None,
    )
    def what_if(self, request, pk=None):
        """A dry run: the schedule with another planned start, milestones' expected finishes
        and blocking tickets' deadlines, computed as the real one and not saved; with
        ``save`` (project library editors) the milestones' and the planned start's changes are
        applied through their services, as "save as plan" on the page."""
        project = self.get_object()
        if not request.user.is_office_staff:
            raise PermissionDenied(_("只有重大办工作人员可以模拟调整。"))
        body = WhatIfSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        milestones = list(project.milestones.all())
        tickets = {b.issue_id for b in blocks_by_project([project.pk]).get(project.pk, [])}
        what_if = parse(body.as_query(), milestones, tickets)
        if body.validated_data["save"]:
            if not request.user.can_edit_library:
                raise PermissionDenied(_("只有项目库维护人员可以保存为计划。"))
            save_as_plan(project=project, what_if=what_if, by=request.user)
            project.refresh_from_db()
            what_if = None
        schedule, milestones, impacts = project_impacts(project, what_if=what_if)
        return Response(
            ScheduleSerializer(
                schedule_payload(project, schedule, milestones, _shown(request.user, impacts))
            ).data
        )


def _shown(user, impacts) -> list:
    """The impacts of the tickets ``user`` may see."""
    from issues.models import Issue

    visible = set(
        Issue.objects.for_user(user)
        .filter(pk__in=[i.issue_id for i in impacts])
        .values_list("pk", flat=True)
    )
    return [impact for impact in impacts if impact.issue_id in visible]


class PreReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """会商预审: the pre-reviews of the projects in the caller's scope (``?project=`` for one
    project's). Office staff open one (POST) and conclude it; a department's liaison records its
    own unit's opinion, office staff any invited department's."""

    serializer_class = PreReviewSerializer
    filter_backends = []

    def get_queryset(self):
        rows = PreReview.objects.for_user(self.request.user).prefetch_related(
            "departments",
            Prefetch(
                "opinions", queryset=PreReviewOpinion.objects.select_related("unit", "recorded_by")
            ),
        )
        project = self.request.query_params.get("project")
        if project:
            if not project.isdigit():
                raise ValidationError({"project": [_("项目编号应为数字。")]})
            rows = rows.filter(project_id=int(project))
        return rows.order_by("-held_on", "-pk")

    def _answer(self, review, code=status.HTTP_200_OK) -> Response:
        review = self.get_queryset().get(pk=review.pk)
        return Response(self.get_serializer(review).data, status=code)

    @extend_schema(request=PreReviewOpenSerializer, responses={201: PreReviewSerializer})
    def create(self, request):
        """Open a pre-review of a signed project waiting for admission (office staff)."""
        if not request.user.is_office_staff:
            raise PermissionDenied(_("只有重大办工作人员可以发起会商预审。"))
        payload = PreReviewOpenSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        review = services.prereview_open(by=request.user, **payload.validated_data)
        return self._answer(review, code=status.HTTP_201_CREATED)

    @extend_schema(request=PreReviewOpinionInputSerializer, responses={200: PreReviewSerializer})
    @action(detail=True, methods=["post"])
    def opinions(self, request, pk=None):
        """Record (or revise) one department's opinion and its assessment of each criterion."""
        review = self.get_object()
        payload = PreReviewOpinionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        if not (request.user.is_office_staff or request.user.unit_id == data["unit"].pk):
            raise PermissionDenied(_("部门联络员只能记录本单位的意见。"))
        services.prereview_record_opinion(prereview=review, by=request.user, **data)
        return self._answer(review)

    @extend_schema(request=PreReviewConcludeSerializer, responses={200: PreReviewSerializer})
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        """Conclude once every department has spoken: admitted on a pass (office staff)."""
        review = self.get_object()
        if not request.user.is_office_staff:
            raise PermissionDenied(_("只有重大办工作人员可以形成会商预审结论。"))
        payload = PreReviewConcludeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.prereview_conclude(prereview=review, by=request.user, **payload.validated_data)
        return self._answer(review)
