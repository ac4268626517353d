"""Visits as other systems see them, and the body that records one."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from issues.models import Category

from ..models import Visit, VisitorKind, VisitProblem
from ..selectors import FEEDBACK_STATUSES


class VisitProblemSerializer(serializers.ModelSerializer):
    """A problem raised on the visit: the ticket it became and where it stands."""

    title = serializers.CharField(source="issue.title", read_only=True)
    status = serializers.CharField(source="issue.status", read_only=True)
    status_display = serializers.CharField(source="issue.get_status_display", read_only=True)
    fed_back = serializers.SerializerMethodField(
        help_text=_("工单已反馈办理结果（已办结、企业满意、已销号或不予受理），计入反馈率的分子")
    )

    class Meta:
        model = VisitProblem
        fields = ["issue", "title", "status", "status_display", "fed_back"]

    def get_fed_back(self, problem: VisitProblem) -> bool:
        return problem.issue.status in FEEDBACK_STATUSES


class VisitSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    region = serializers.CharField(source="project.region_id", read_only=True)
    region_name = serializers.CharField(source="project.region.name", read_only=True)
    visitor_kind_display = serializers.CharField(source="get_visitor_kind_display", read_only=True)
    recorded_by_name = serializers.CharField(source="recorded_by", read_only=True)
    problems = VisitProblemSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "project",
            "project_name",
            "region",
            "region_name",
            "visited_on",
            "visitor_kind",
            "visitor_kind_display",
            "visitors",
            "findings",
            "problems",
            "recorded_by_name",
            "recorded_at",
        ]


class ProblemInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text=_("问题标题"))
    category = serializers.ChoiceField(choices=Category.choices, help_text=_("问题类别"))
    description = serializers.CharField(required=False, allow_blank=True, default="")


class VisitRecordSerializer(serializers.Serializer):
    """走访 to record. ``project`` is the id of a project in the caller's scope (another one is
    not found: 404); each problem becomes an issue ticket (来源：协调服务组) linked to the visit."""

    project = serializers.IntegerField(help_text=_("项目编号"))
    visited_on = serializers.DateField(help_text=_("走访日期，不晚于今天"))
    visitor_kind = serializers.ChoiceField(choices=VisitorKind.choices)
    visitors = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("走访人姓名；不填时为服务专员或项目的包联（挂钩）领导"),
    )
    findings = serializers.CharField(help_text=_("走访发现：进度、原因、现场协调情况"))
    problems = ProblemInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=20,
        error_messages={"max_length": _("一次走访最多提出20个问题。")},
    )
