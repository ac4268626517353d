from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Unit
from core.api.scoped import ScopedPrimaryKeyRelatedField
from schedule.models import Milestone, ScheduleTemplate, TemplateStep


class PredecessorSerializer(serializers.Serializer):
    milestone = ScopedPrimaryKeyRelatedField(queryset=Milestone.objects.all())
    lag_days = serializers.IntegerField(min_value=0, max_value=3650, default=0)


class MilestoneSerializer(serializers.ModelSerializer):
    """A key milestone; ``predecessors`` is the full list of finish-to-start links into it."""

    predecessors = PredecessorSerializer(many=True, required=False)
    responsible_unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False, label=_("责任单位")
    )
    responsible_unit_name = serializers.CharField(
        source="responsible_unit.name", read_only=True, allow_null=True
    )
    duration_days = serializers.IntegerField(min_value=0, max_value=3650)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "position",
            "name",
            "kind",
            "duration_days",
            "predecessors",
            "handler",
            "responsible_unit",
            "responsible_unit_name",
            "status",
            "actual_start",
            "actual_finish",
            "problem",
            "bottleneck",
            "solution_path",
            "expected_resolution_on",
            "updated_at",
        ]
        read_only_fields = ["project", "updated_at"]
        extra_kwargs = {"position": {"required": False}}

    def validate_predecessors(self, links):
        # A partial update (PATCH) makes every nested field optional; a link still needs its
        # milestone.
        if any("milestone" not in link for link in links):
            raise serializers.ValidationError(_("每个前置节点都须指明节点（milestone）。"))
        return links

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["predecessors"] = [
            {"milestone": link.predecessor_id, "lag_days": link.lag_days}
            for link in instance.predecessor_links.all()
        ]
        return data


class ApplyTemplateSerializer(serializers.Serializer):
    template = serializers.PrimaryKeyRelatedField(
        queryset=ScheduleTemplate.objects.filter(is_active=True)
    )


class LinkSerializer(serializers.Serializer):
    milestone = serializers.IntegerField()
    lag_days = serializers.IntegerField()


class ScheduledMilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    duration_days = serializers.IntegerField()
    predecessors = LinkSerializer(many=True)
    latest_start = serializers.DateField(allow_null=True)
    latest_finish = serializers.DateField(allow_null=True)
    earliest_start = serializers.DateField()
    earliest_finish = serializers.DateField()
    actual_start = serializers.DateField(allow_null=True)
    actual_finish = serializers.DateField(allow_null=True)
    total_float = serializers.IntegerField(allow_null=True)
    critical = serializers.BooleanField()


class ImpactSerializer(serializers.Serializer):
    """What an open ticket blocking a milestone costs the construction start (schedule.impact):
    the milestone cannot finish before the ticket is resolved."""

    issue = serializers.IntegerField(source="issue_id", help_text=_("问题工单 id"))
    milestone = serializers.IntegerField(source="milestone_id", help_text=_("被阻碍的节点 id"))
    resolve_by = serializers.DateField(
        help_text=_("节点须等到的日期：办结时限，逾期或未定时限时为今天")
    )
    overdue = serializers.BooleanField()
    consumed_float = serializers.IntegerField(
        allow_null=True, help_text=_("消耗节点总时差（工作日）")
    )
    forecast_start = serializers.DateField(
        allow_null=True, help_text=_("按办结时限解决时的预计开工日期")
    )
    forecast_start_without = serializers.DateField(
        allow_null=True, help_text=_("没有该问题时的预计开工日期")
    )
    start_delay = serializers.IntegerField(help_text=_("使预计开工推迟的工作日数"))
    days_at_risk = serializers.IntegerField(help_text=_("使开工超过计划开工的工作日数（排序依据）"))


class ScheduleSerializer(serializers.Serializer):
    """The schedule as of today (``as_of``), computed from the milestones and the calendar,
    the open tickets blocking its milestones holding them back."""

    project = serializers.IntegerField()
    as_of = serializers.DateField()
    anchor_date = serializers.DateField(allow_null=True)
    forecast_anchor_date = serializers.DateField(allow_null=True)
    at_risk = serializers.BooleanField()
    calendar_provisional = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())
    milestones = ScheduledMilestoneSerializer(many=True)
    blocking_issues = ImpactSerializer(
        many=True, help_text=_("阻碍节点的未办结问题及其对开工的影响（调用者可见的）")
    )


class TemplateStepSerializer(serializers.ModelSerializer):
    predecessors = serializers.SerializerMethodField()

    class Meta:
        model = TemplateStep
        fields = ["id", "position", "kind", "name", "duration_days", "handler", "predecessors"]

    def get_predecessors(self, step) -> list[dict]:
        return [
            {"position": link.predecessor.position, "lag_days": link.lag_days}
            for link in step.predecessor_links.all()
        ]


class ScheduleTemplateSerializer(serializers.ModelSerializer):
    steps = TemplateStepSerializer(many=True, read_only=True)

    class Meta:
        model = ScheduleTemplate
        fields = ["id", "name", "category", "description", "is_active", "steps", "updated_at"]


def schedule_payload(project, schedule, milestones, impacts=()) -> dict:
    """The schedule of one project as the API returns it, milestones in display order, with
    the ``impacts`` of the blocking tickets shown."""
    by_id = schedule.by_id()
    rows = []
    for milestone in milestones:
        result = by_id[milestone.pk]
        rows.append(
            {
                "id": milestone.pk,
                "name": result.name,
                "kind": milestone.kind,
                "status": milestone.status,
                "duration_days": result.duration,
                "predecessors": [
                    {"milestone": predecessor, "lag_days": lag}
                    for predecessor, lag in result.predecessors
                ],
                "latest_start": result.latest_start,
                "latest_finish": result.latest_finish,
                "earliest_start": result.earliest_start,
                "earliest_finish": result.earliest_finish,
                "actual_start": result.actual_start,
                "actual_finish": result.actual_finish,
                "total_float": result.total_float,
                "critical": result.critical,
            }
        )
    return {
        "project": project.pk,
        "as_of": timezone.localdate(),
        "anchor_date": schedule.anchor_date,
        "forecast_anchor_date": schedule.forecast_anchor_date,
        "at_risk": schedule.at_risk,
        "calendar_provisional": schedule.calendar_provisional,
        "warnings": schedule.warnings,
        "milestones": rows,
        "blocking_issues": list(impacts),
    }


class WhatIfSerializer(serializers.Serializer):
    """A what-if on the schedule: computed, not saved, unless ``save`` (then applied through
    the services: the milestones' durations and the planned start; tickets' deadlines are
    weighed only)."""

    planned_start = serializers.DateField(required=False, allow_null=True)
    finishes = serializers.DictField(
        child=serializers.DateField(),
        required=False,
        default=dict,
        help_text=_("节点 id → 预计完成日期（按节点开始日换算为工期）"),
    )
    deadlines = serializers.DictField(
        child=serializers.DateField(),
        required=False,
        default=dict,
        help_text=_("阻碍节点的问题 id → 模拟的办结时限（不保存）"),
    )
    save = serializers.BooleanField(required=False, default=False, help_text=_("保存为计划"))

    def as_query(self) -> dict:
        data = self.validated_data
        query = {"planned_start": str(data["planned_start"]) if data.get("planned_start") else ""}
        query.update({f"finish_{k}": str(v) for k, v in data["finishes"].items()})
        query.update({f"deadline_{k}": str(v) for k, v in data["deadlines"].items()})
        return query
