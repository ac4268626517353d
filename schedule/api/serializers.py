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


class ScheduleSerializer(serializers.Serializer):
    """The schedule as of today (``as_of``), computed from the milestones and the calendar."""

    project = serializers.IntegerField()
    as_of = serializers.DateField()
    anchor_date = serializers.DateField(allow_null=True)
    forecast_anchor_date = serializers.DateField(allow_null=True)
    at_risk = serializers.BooleanField()
    calendar_provisional = serializers.BooleanField()
    warnings = serializers.ListField(child=serializers.CharField())
    milestones = ScheduledMilestoneSerializer(many=True)


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


def schedule_payload(project, schedule, milestones) -> dict:
    """The schedule of one project as the API returns it, milestones in display order."""
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
    }
