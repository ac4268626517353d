"""Approval tracks (SPEC §7, §12): list, register, read and edit approvals in the caller's scope;
each status change is one explicit action calling ``services.approval_transition``; the bulk
sync of the online approval platform; the department performance table."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from approvals import selectors, services
from approvals.filtersets import ApprovalFilterSet
from approvals.models import Approval, ApprovalEvent, ApprovalKind
from core.api.actions import workflow_action

from .serializers import (
    ApprovalCommentSerializer,
    ApprovalDatedSerializer,
    ApprovalDecisionSerializer,
    ApprovalDetailSerializer,
    ApprovalKindSerializer,
    ApprovalPerformanceSerializer,
    ApprovalSerializer,
    ApprovalSyncResultSerializer,
    ApprovalSyncRowSerializer,
)


class ApprovalWritePermission(permissions.BasePermission):
    """Registering approvals and pushing the platform's batch are for editors (office staff,
    API clients); an edit or a status change is for those ``services.may_edit`` lets — asked
    before the body is judged, so a reader learns "not permitted" rather than "invalid"."""

    message = _("您没有修改审批事项的权限。")

    def has_permission(self, request, view):
        if view.action in ("create", "sync"):
            return request.user.can_edit_library
        return True

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return services.may_edit(obj, request.user)


def _status_action(name: str, payload, summary: str):
    """``POST …/approvals/{id}/{name}/``: validate ``payload`` and move to
    ``services.ACTIONS[name]``."""
    return workflow_action(name, payload, ApprovalDetailSerializer, summary, "_transition")


class ApprovalViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Approvals in the caller's scope (a department liaison: those its unit handles), with
    working days against the promise and the target as of today. There is no delete, and the
    status moves only through the actions, each leaving a row in ``events``."""

    serializer_class = ApprovalSerializer
    permission_classes = [permissions.IsAuthenticated, ApprovalWritePermission]
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ApprovalFilterSet
    ordering_fields = ["promise_due_on", "target_on", "accepted_on", "decided_on", "updated_at"]

    def get_queryset(self):
        queryset = Approval.objects.for_user(self.request.user).with_related()
        if self.detail:
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=ApprovalEvent.objects.select_related("actor"))
            )
        return queryset

    def get_serializer_class(self):
        if self.action in ("retrieve", "create", "update", "partial_update"):
            return ApprovalDetailSerializer
        return super().get_serializer_class()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _approval_response(self, approval: Approval, code=status.HTTP_200_OK) -> Response:
        approval = (
            Approval.objects.with_related()
            .prefetch_related(
                Prefetch("events", queryset=ApprovalEvent.objects.select_related("actor"))
            )
            .get(pk=approval.pk)
        )
        context = self.get_serializer_context()
        return Response(ApprovalDetailSerializer(approval, context=context).data, status=code)

    def create(self, request):
        """Register an approval a project needs (one per kind); unit, authority level and
        promised days default from the kind and the project."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.approval_create(by=request.user, **payload.validated_data)
        return self._approval_response(approval, status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        """Edit what is not the status: unit, authority level, promised days, planned
        submission, fixed target date, document number, specialist, note."""
        approval = self.get_object()
        payload = self.get_serializer(approval, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        approval = services.approval_update(
            approval=approval, by=request.user, **payload.validated_data
        )
        return self._approval_response(approval)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def _transition(self, request, name: str) -> Response:
        approval = self.get_object()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        approval = services.approval_transition(
            approval=approval,
            by=request.user,
            status=services.ACTIONS[name],
            **payload.validated_data,
        )
        return self._approval_response(approval)

    prepare = _status_action("prepare", ApprovalCommentSerializer, "编制材料.")
    submit = _status_action("submit", ApprovalDatedSerializer, "申报 on a date.")
    accept = _status_action(
        "accept", ApprovalDatedSerializer, "受理 on a date: the promise clock starts."
    )
    review = _status_action("review", ApprovalCommentSerializer, "进入审查.")
    approve = _status_action(
        "approve",
        ApprovalDecisionSerializer,
        "批复 on a date with the document number; finishes the linked milestone.",
    )
    refuse = _status_action("refuse", ApprovalDatedSerializer, "不予批复 on a date.")
    return_ = _status_action(
        "return", ApprovalCommentSerializer, "退回补正: the clock stops until accepted afresh."
    )

    @extend_schema(
        request=ApprovalSyncRowSerializer(many=True),
        responses={200: ApprovalSyncResultSerializer},
        filters=False,
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[JSONParser],
        filter_backends=[],
        pagination_class=None,
    )
    def sync(self, request):
        """The online approval platform pushes a list of approvals, upserted on (project code,
        kind). All or nothing: any bad row refuses the batch with its errors by row index
        (from 0). Sending the same batch again changes nothing."""
        rows = ApprovalSyncRowSerializer(data=request.data, many=True)
        if not rows.is_valid():
            if not isinstance(request.data, list):
                raise ValidationError(rows.errors)
            # by row index, only the rows with errors (DRF gives a list or, lately, a dict)
            found = rows.errors
            pairs = found.items() if isinstance(found, dict) else enumerate(found)
            raise ValidationError({str(index): errors for index, errors in pairs if errors})
        try:
            result = services.approval_sync(by=request.user, rows=rows.validated_data)
        except services.SyncRefused as refused:
            return Response(
                {
                    "code": refused.code,
                    "message": str(refused.messages[0]),
                    "errors": {str(index): errors for index, errors in refused.rows.items()},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(ApprovalSyncResultSerializer(result).data)

    @extend_schema(responses={200: ApprovalPerformanceSerializer(many=True)}, filters=True)
    @action(detail=False, methods=["get"], pagination_class=None)
    def performance(self, request):
        """Per handling unit and kind, over the approvals in scope that match the filters:
        counts, median and mean working days, shares within the promise and the target,
        overdue count."""
        queryset = self.filter_queryset(self.get_queryset())
        rows = selectors.performance(queryset, timezone.localdate())
        return Response(ApprovalPerformanceSerializer(rows, many=True).data)


class ApprovalKindViewSet(viewsets.ReadOnlyModelViewSet):
    """Kinds of approval with their usual handler, promised days and target rule."""

    serializer_class = ApprovalKindSerializer
    queryset = ApprovalKind.objects.all()
    filter_backends: list = []
    pagination_class = None
