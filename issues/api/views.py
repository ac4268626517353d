"""Issue tickets (SPEC §5, §12): list, read and report; every state change is one explicit
action that calls ``services.issue_act``; 12345 hotline intake; 通报 and 约谈 read-only."""

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api.actions import workflow_action
from issues import services
from issues.filtersets import InterviewFilterSet, IssueFilterSet, NoticeFilterSet
from issues.models import Interview, Issue, Notice

from .serializers import (
    InterviewSerializer,
    IssueAssignSerializer,
    IssueCommentSerializer,
    IssueConfirmSerializer,
    IssueDetailSerializer,
    IssueEventSerializer,
    IssueIntakeSerializer,
    IssueLinkProjectSerializer,
    IssueNoteSerializer,
    IssueReasonSerializer,
    IssueReportSerializer,
    IssueResolveSerializer,
    IssueSerializer,
    NoticeSerializer,
)


class CanPushIssues(permissions.BasePermission):
    """Intake is for calling systems (API clients) and the offices that stand in for them."""

    message = _("只有系统接口或重大办工作人员可以推送问题工单。")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.sees_everything or user.has_role(*services.INTAKE_ROLES))
        )


def _workflow_step(name: str, payload, summary: str):
    """``POST …/issues/{id}/{name}/``: validate ``payload`` and take the step ``name``."""
    return workflow_action(name, payload, IssueDetailSerializer, summary, "_act")


class IssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Issue tickets in the caller's scope (a liaison: those assigned to their unit). There is
    no update or delete: a ticket moves only through its workflow actions, each leaving an
    event on the timeline."""

    serializer_class = IssueSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = IssueFilterSet
    ordering_fields = ["reported_at", "deadline", "status"]

    def get_queryset(self):
        return Issue.objects.for_user(self.request.user).with_related()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return IssueDetailSerializer
        if self.action == "create":
            return IssueReportSerializer
        return super().get_serializer_class()

    def _issue_response(self, issue: Issue, code=status.HTTP_200_OK) -> Response:
        issue = self.get_queryset().get(pk=issue.pk)
        context = self.get_serializer_context()
        return Response(IssueDetailSerializer(issue, context=context).data, status=code)

    @extend_schema(request=IssueReportSerializer, responses={201: IssueDetailSerializer})
    def create(self, request):
        """上报 a difficulty of a project in the caller's scope."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        issue = services.issue_report(by=request.user, **payload.validated_data)
        return self._issue_response(issue, status.HTTP_201_CREATED)

    def _act(self, request, name: str) -> Response:
        issue = self.get_object()
        services.check_action(issue, name, request.user)  # refuse before judging the payload
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        issue = services.issue_act(
            issue=issue, action=name, by=request.user, **payload.validated_data
        )
        return self._issue_response(issue)

    accept = _workflow_step("accept", IssueCommentSerializer, "受理 (the office at the level).")
    assign = _workflow_step(
        "assign", IssueAssignSerializer, "交办 with 五到位 (the office at the level)."
    )
    start = _workflow_step("start", IssueCommentSerializer, "开始办理 (the handling unit).")
    note = _workflow_step("note", IssueNoteSerializer, "进展反馈 (the handling unit).")
    resolve = _workflow_step("resolve", IssueResolveSerializer, "办结 (the handling unit).")
    confirm = _workflow_step(
        "confirm",
        IssueConfirmSerializer,
        "确认满意 (the project unit; the office only with a reason).",
    )
    return_ = _workflow_step(
        "return", IssueReasonSerializer, "退回重办 (the project unit or the office)."
    )
    close = _workflow_step("close", IssueCommentSerializer, "销号 (the office at the level).")
    escalate = _workflow_step(
        "escalate", IssueReasonSerializer, "上提 one level (the office at the level)."
    )
    reject = _workflow_step("reject", IssueReasonSerializer, "不予受理 (the office at the level).")

    @extend_schema(request=IssueLinkProjectSerializer, responses={200: IssueDetailSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="link-project",
        serializer_class=IssueLinkProjectSerializer,
    )
    def link_project(self, request, pk=None):
        """匹配项目: the office at the ticket's level names the project of an unmatched ticket
        (e.g. one pushed by the 12345 hotline)."""
        issue = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        issue = services.issue_link_project(issue=issue, by=request.user, **payload.validated_data)
        return self._issue_response(issue)

    @extend_schema(responses={200: IssueEventSerializer(many=True)}, filters=False)
    @action(
        detail=True,
        methods=["get"],
        serializer_class=IssueEventSerializer,
        filter_backends=[],
        pagination_class=None,
    )
    def events(self, request, pk=None):
        """The ticket's timeline, oldest first."""
        issue = self.get_object()
        rows = issue.events.select_related("actor").order_by("at", "pk")
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        request=IssueIntakeSerializer,
        responses={201: IssueDetailSerializer, 200: IssueDetailSerializer},
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        serializer_class=IssueIntakeSerializer,
        permission_classes=[permissions.IsAuthenticated, CanPushIssues],
        filter_backends=[],
    )
    def intake(self, request):
        """A ticket pushed by another system (12345 hotline): 201 when new, 200 with the ticket
        already made when ``(source, external_id)`` was pushed before. A project code or name
        the library does not know still makes a ticket, marked ``unmatched``."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        issue, created = services.issue_intake(
            by=request.user, region_code=data.pop("region"), **data
        )
        return self._issue_response(
            issue, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """通报 in the caller's scope (a liaison: those against their unit)."""

    serializer_class = NoticeSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = NoticeFilterSet
    ordering_fields = ["issued_on", "deadline", "overdue_since"]

    def get_queryset(self):
        return Notice.objects.for_user(self.request.user).select_related(
            "issue", "issue__project", "unit"
        )


class InterviewViewSet(viewsets.ReadOnlyModelViewSet):
    """约谈 in the caller's scope (a liaison: those of their unit)."""

    serializer_class = InterviewSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = InterviewFilterSet
    ordering_fields = ["triggered_on", "notice_count"]

    def get_queryset(self):
        return (
            Interview.objects.for_user(self.request.user)
            .select_related("unit")
            .prefetch_related("notices")
        )
