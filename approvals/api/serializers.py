"""Approvals as other systems see them (with their figures against the promise and target),
the small bodies of the status actions, the rows the online approval platform pushes, and the
department performance table."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Unit
from approvals import services
from approvals.models import (
    Approval,
    ApprovalEvent,
    ApprovalKind,
    ApprovalStatus,
    AuthorityLevel,
)
from core.api.scoped import ScopedPrimaryKeyRelatedField
from projects.models import Project
from schedule.workdays import current_calendar

# --- reading ---------------------------------------------------------------------------------


class ApprovalKindSerializer(serializers.ModelSerializer):
    handler_display = serializers.CharField(source="get_handler_display", read_only=True)
    target_rule_display = serializers.CharField(source="get_target_rule_display", read_only=True)

    class Meta:
        model = ApprovalKind
        fields = [
            "code",
            "name",
            "position",
            "handler",
            "handler_display",
            "promised_days",
            "target_rule",
            "target_rule_display",
            "target_share",
            "milestone_kind",
            "note",
        ]
        read_only_fields = fields


class ApprovalEventSerializer(serializers.ModelSerializer):
    """One status change; ``synced`` marks those pushed by the online approval platform."""

    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalEvent
        fields = ["id", "from_status", "to_status", "date", "actor_name", "at", "comment", "synced"]
        read_only_fields = fields

    def get_actor_name(self, event: ApprovalEvent) -> str:
        return str(event.actor) if event.actor_id else str(_("系统"))


#: moved only by the status actions (or the platform sync), never by an edit
WORKFLOW_FIELDS = ("status", "submitted_on", "accepted_on", "decided_on")


class ApprovalSerializer(serializers.ModelSerializer):
    """An approval with where it stands against the promise and the target (working days as of
    today). ``status`` and its dates change only through the actions
    (``POST /api/v1/approvals/{id}/{操作}/``); an edit that tries to change them is refused."""

    project = ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        error_messages={"does_not_exist": _("所选项目不存在或不在您的管辖范围内。")},
    )
    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(source="project.name", read_only=True)
    kind = serializers.PrimaryKeyRelatedField(
        queryset=ApprovalKind.objects.all(),
        help_text=_("审批类型代码"),
        error_messages={"does_not_exist": _("审批类型“{pk_value}”不存在。")},
    )
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    authority_level = serializers.ChoiceField(
        choices=AuthorityLevel.choices,
        required=False,
        help_text=_("不填时按项目层级和所在地区确定"),
    )
    authority_level_display = serializers.CharField(
        source="get_authority_level_display", read_only=True
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        help_text=_("办理单位编号；不填时取审批层级对应的主管部门"),
        error_messages={"does_not_exist": _("所选办理单位不存在。")},
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    promised_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, help_text=_("不填时取审批类型的默认承诺时限")
    )
    specialist = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("服务专员（一项目一专员）的用户编号"),
    )
    specialist_name = serializers.CharField(
        source="specialist", read_only=True, allow_null=True
    )
    # figures as of today, from services.figures (working days on the platform's calendar)
    elapsed_days = serializers.IntegerField(
        source="_figures.elapsed_days",
        read_only=True,
        allow_null=True,
        help_text=_("受理以来（已办结：至办结日）的工作日数"),
    )
    remaining_promise = serializers.IntegerField(
        source="_figures.remaining_promise",
        read_only=True,
        allow_null=True,
        help_text=_("距承诺时限剩余工作日，负数为已超出"),
    )
    remaining_target = serializers.IntegerField(
        source="_figures.remaining_target",
        read_only=True,
        allow_null=True,
        help_text=_("距目标办结日剩余工作日，负数为已超出"),
    )
    overdue = serializers.BooleanField(
        source="_figures.overdue", read_only=True, help_text=_("超过承诺时限（在办或已办结）")
    )
    target_missed = serializers.BooleanField(source="_figures.target_missed", read_only=True)
    speedup = serializers.FloatField(
        source="_figures.speedup",
        read_only=True,
        allow_null=True,
        help_text=_("已办结事项的提速比例：1 − 实际用时 / 承诺时限"),
    )

    calendar_provisional = serializers.BooleanField(
        source="_figures.calendar_provisional",
        read_only=True,
        help_text=_("计时涉及节假日安排尚未录入的年份，工作日暂按周末休息计算"),
    )

    class Meta:
        model = Approval
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "kind",
            "kind_name",
            "authority_level",
            "authority_level_display",
            "unit",
            "unit_name",
            "status",
            "status_display",
            "planned_submission_on",
            "submitted_on",
            "accepted_on",
            "decided_on",
            "promised_days",
            "fixed_target_on",
            "promise_due_on",
            "target_on",
            "actual_days",
            "document_no",
            "specialist",
            "specialist_name",
            "note",
            "elapsed_days",
            "remaining_promise",
            "remaining_target",
            "overdue",
            "target_missed",
            "speedup",
            "calendar_provisional",
            "updated_at",
        ]
        # One approval per project and kind: the service refuses a second with its own code.
        validators = []
        read_only_fields = [
            *WORKFLOW_FIELDS,
            "promise_due_on",
            "target_on",
            "actual_days",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Approval):
            # One approval per project and kind: neither changes after registration.
            fields["project"].read_only = True
            fields["kind"].read_only = True
        return fields

    def validate(self, attrs):
        # Refuse rather than ignore a status change by edit, so the caller learns it did not
        # happen. The values sent back unchanged (read, edited, sent back) are fine.
        current = self.instance if isinstance(self.instance, Approval) else Approval()
        changed = [
            name
            for name in WORKFLOW_FIELDS
            if name in self.initial_data
            and self.initial_data[name]
            != self.fields[name].to_representation(getattr(current, name))
        ]
        if changed:
            message = _("状态及其日期只能通过办理操作变更（POST /api/v1/approvals/{id}/{操作}/）。")
            raise serializers.ValidationError({name: [message] for name in changed})
        return attrs

    def to_representation(self, instance):
        instance._figures = services.figures(
            instance, today=self.context.get("today"), calendar=self._calendar()
        )
        return super().to_representation(instance)

    def _calendar(self):
        # One calendar per request, shared by every row of a list (the context is shared).
        context = self.context
        if "calendar" not in context:
            context["calendar"] = current_calendar()
        return context["calendar"]


class ApprovalDetailSerializer(ApprovalSerializer):
    """One approval, with what the caller may do with it now and its status history."""

    allowed_actions = serializers.SerializerMethodField(
        help_text=_("当前用户现在可以执行的操作（POST /api/v1/approvals/{id}/{操作}/）")
    )
    events = ApprovalEventSerializer(many=True, read_only=True)

    class Meta(ApprovalSerializer.Meta):
        fields = [*ApprovalSerializer.Meta.fields, "allowed_actions", "events"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(services.ACTIONS)))
    def get_allowed_actions(self, approval: Approval) -> list[str]:
        request = self.context.get("request")
        return services.allowed_actions(approval, getattr(request, "user", None))


# --- writing: the status actions -------------------------------------------------------------


class ApprovalCommentSerializer(serializers.Serializer):
    """编制材料, 进入审查, 退回补正: an optional comment."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ApprovalDatedSerializer(ApprovalCommentSerializer):
    """申报, 受理, 不予批复: the day it happened (not in the future)."""

    date = serializers.DateField(help_text=_("发生日期"))


class ApprovalDecisionSerializer(ApprovalDatedSerializer):
    """批复: the decision date and the approval document number."""

    document_no = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("批复文号；已登记过文号时可不填"),
    )


# --- the online approval platform --------------------------------------------------------------


class ApprovalSyncRowSerializer(serializers.Serializer):
    """One approval as the online approval platform knows it, upserted on (project code, kind).
    Types are checked here; whether the row makes sense (known project and kind, the dates the
    status needs, their order) is the service's check."""

    project_code = serializers.CharField(max_length=50, help_text=_("项目代码"))
    kind = serializers.CharField(max_length=30, help_text=_("审批类型代码"))
    status = serializers.ChoiceField(choices=ApprovalStatus.choices)
    submitted_on = serializers.DateField(required=False, allow_null=True, default=None)
    accepted_on = serializers.DateField(required=False, allow_null=True, default=None)
    decided_on = serializers.DateField(required=False, allow_null=True, default=None)
    document_no = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class ApprovalSyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


# --- department performance ------------------------------------------------------------------


class ApprovalPerformanceSerializer(serializers.Serializer):
    """One handling unit's figures for one kind of approval (selectors.performance)."""

    unit = serializers.IntegerField(source="unit_id", help_text=_("办理单位编号"))
    unit_name = serializers.CharField()
    kind = serializers.CharField(source="kind_code", help_text=_("审批类型代码"))
    kind_name = serializers.CharField()
    count = serializers.IntegerField(help_text=_("事项数"))
    decided = serializers.IntegerField(help_text=_("已办结（批复或不予批复）"))
    running = serializers.IntegerField(help_text=_("已受理在办"))
    median_days = serializers.DecimalField(
        max_digits=6,
        decimal_places=1,
        allow_null=True,
        help_text=_("已办结事项用时中位数（工作日）"),
    )
    mean_days = serializers.DecimalField(
        max_digits=6, decimal_places=1, allow_null=True, help_text=_("已办结事项平均用时（工作日）")
    )
    within_promise = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text=_("已办结事项中在承诺时限内的比例"),
    )
    within_target = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text=_("已办结事项中达到目标的比例")
    )
    overdue = serializers.IntegerField(help_text=_("超承诺时限（在办或已办结）"))
