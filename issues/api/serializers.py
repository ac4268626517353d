"""Issue tickets, their timeline, 通报 and 约谈 as other systems see them, and the small input
bodies of the workflow actions (each action's service function takes exactly these fields)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Unit
from core.api.scoped import ScopedPrimaryKeyRelatedField
from issues import services
from issues.models import Category, Interview, Issue, IssueEvent, Level, Notice, Source
from projects.models import Project
from schedule.api.serializers import ImpactSerializer
from schedule.impact import impact_of
from schedule.models import Milestone

# --- reading ---------------------------------------------------------------------------------


class IssueSerializer(serializers.ModelSerializer):
    """A ticket in a list. The reporter's phone is always masked: the API never gives out the
    full number of a citizen or an enterprise contact."""

    project_code = serializers.CharField(
        source="project.code", read_only=True, allow_null=True
    )
    project_name = serializers.CharField(
        source="project.name", read_only=True, allow_null=True
    )
    unmatched = serializers.BooleanField(
        read_only=True, help_text=_("来源系统推送、尚未匹配到项目库中的项目")
    )
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    unit_name = serializers.CharField(
        source="unit.name", read_only=True, allow_null=True
    )
    overdue = serializers.BooleanField(
        source="is_overdue", read_only=True, help_text=_("已交办或办理中且已超过办结时限")
    )
    reporter_phone = serializers.CharField(
        source="masked_phone", read_only=True, help_text=_("脱敏显示，如 138****5678")
    )

    class Meta:
        model = Issue
        fields = [
            "id",
            "project",
            "project_code",
            "project_name",
            "unmatched",
            "project_hint",
            "milestone",
            "region",
            "region_name",
            "title",
            "description",
            "category",
            "category_display",
            "source",
            "source_display",
            "external_id",
            "level",
            "level_display",
            "status",
            "status_display",
            "unit",
            "unit_name",
            "responsible_leader",
            "responsible_person",
            "solution",
            "deadline",
            "resolution",
            "overdue",
            "overdue_since",
            "accept_overdue_since",
            "reporter_name",
            "reporter_phone",
            "reported_at",
            "accepted_at",
            "assigned_at",
            "started_at",
            "resolved_at",
            "confirmed_at",
            "closed_at",
            "rejected_at",
            "escalated_at",
            "updated_at",
        ]
        read_only_fields = fields


class IssueDetailSerializer(IssueSerializer):
    """One ticket, with what the caller may do with it now."""

    allowed_actions = serializers.SerializerMethodField(
        help_text=_("当前用户现在可以执行的办理操作（POST /api/v1/issues/{id}/{操作}/）")
    )

    schedule_impact = serializers.SerializerMethodField(
        help_text=_("阻碍关键节点的未办结问题对开工的影响；不阻碍节点时为空")
    )

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "allowed_actions", "schedule_impact"]
        read_only_fields = fields

    @extend_schema_field(ImpactSerializer(allow_null=True))
    def get_schedule_impact(self, issue: Issue) -> dict | None:
        impact = impact_of(issue)
        return None if impact is None else ImpactSerializer(impact).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(services.ACTIONS)))
    def get_allowed_actions(self, issue: Issue) -> list[str]:
        request = self.context.get("request")
        return services.allowed_actions(issue, getattr(request, "user", None))


class IssueEventSerializer(serializers.ModelSerializer):
    """One step on a ticket's timeline; the platform's own jobs act as “系统”."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = IssueEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "actor_name",
            "at",
            "comment",
            "meeting",
        ]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    """通报: a ticket not done by its deadline recorded against its handling unit; ``sequence``
    numbers a ticket's notices (1, 2, 3 …)."""

    issue_title = serializers.CharField(source="issue.title", read_only=True)
    project_name = serializers.CharField(
        source="issue.project.name", read_only=True, allow_null=True
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "issue",
            "issue_title",
            "project_name",
            "sequence",
            "unit",
            "unit_name",
            "overdue_since",
            "issued_on",
            "deadline",
        ]
        read_only_fields = fields


class InterviewSerializer(serializers.ModelSerializer):
    """约谈 of a unit notified repeatedly, with the notices that triggered it; ``rule`` says
    why: the same ticket notified again (``task``, with its ``issue``) or several tickets of
    the unit within the window (``unit_window``)."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    rule_display = serializers.CharField(source="get_rule_display", read_only=True)

    class Meta:
        model = Interview
        fields = [
            "id",
            "unit",
            "unit_name",
            "kind",
            "kind_display",
            "rule",
            "rule_display",
            "issue",
            "triggered_on",
            "notice_count",
            "notices",
        ]
        read_only_fields = fields


# --- writing: report and intake ----------------------------------------------------------------


class IssueReportSerializer(serializers.Serializer):
    """上报 a difficulty of a project in the caller's scope (``issue_report``)."""

    project = ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        error_messages={"does_not_exist": _("所选项目不存在或不在您的管辖范围内。")},
    )
    milestone = ScopedPrimaryKeyRelatedField(
        queryset=Milestone.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": _("所选关键节点不存在或不在您的管辖范围内。")},
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=Category.choices)
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text=_("事权层级；不填为项目所在地区的层级")
    )
    source = serializers.ChoiceField(
        choices=Source.choices, required=False, help_text=_("不填时按上报人的角色确定")
    )


class IssueIntakeSerializer(serializers.Serializer):
    """A ticket pushed by another system, e.g. the 12345 hotline (``issue_intake``).
    Idempotent on ``(source, external_id)``."""

    source = serializers.ChoiceField(choices=Source.choices, default=Source.HOTLINE_12345)
    external_id = serializers.CharField(max_length=64, help_text=_("来源系统的工单编号"))
    project_code = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text=_("项目代码")
    )
    project_name = serializers.CharField(
        max_length=140, required=False, allow_blank=True, default=""
    )
    region = serializers.RegexField(
        r"^\d{6}$",
        help_text=_("6位行政区划代码"),
        error_messages={"invalid": _("行政区划代码应为6位数字。")},
    )
    reporter_name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, default=""
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices)


# --- writing: the workflow actions -------------------------------------------------------------


class IssueCommentSerializer(serializers.Serializer):
    """受理, 开始办理, 销号: an optional comment."""

    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IssueLinkProjectSerializer(serializers.Serializer):
    """匹配项目: the project an unmatched ticket concerns (a project in the caller's scope)."""

    project = ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        error_messages={"does_not_exist": _("所选项目不存在或不在您的管辖范围内。")},
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IssueNoteSerializer(serializers.Serializer):
    """进展反馈 of the handling unit."""

    comment = serializers.CharField(help_text=_("办理进展"))


class IssueAssignSerializer(serializers.Serializer):
    """交办 with "五到位": unit, leader, person, solution and deadline (default: the configured
    working days for the ticket's level and category)."""

    # Any unit may be named; the service refuses one outside the level's region.
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        help_text=_("责任单位编号"),
        error_messages={"does_not_exist": _("所选责任单位不存在。")},
    )
    responsible_leader = serializers.CharField(max_length=50)
    responsible_person = serializers.CharField(max_length=50)
    solution = serializers.CharField()
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("办结时限；不填按默认工作日数")
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IssueResolveSerializer(serializers.Serializer):
    """办结: what was done."""

    resolution = serializers.CharField(help_text=_("办理结果"))


class IssueReasonSerializer(serializers.Serializer):
    """不予受理, 退回重办, 上提: the reason is required."""

    reason = serializers.CharField()


class IssueConfirmSerializer(serializers.Serializer):
    """确认满意: the project unit confirms; an office confirming for it must give a reason."""

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("重大办代为确认时必填")
    )
