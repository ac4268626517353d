from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Region, Unit
from core.api.scoped import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from core.api.serializers import FieldsBuiltOnce
from projects.models import (
    PREREVIEW_CRITERIA,
    STAGE_DATE_FIELDS,
    Assessment,
    ElementNeed,
    PreReview,
    PreReviewOpinion,
    Project,
    Stage,
    Tag,
)


class ElementNeedSerializer(serializers.ModelSerializer):
    gap = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = ElementNeed
        fields = ["kind", "needed", "secured", "gap", "note"]


class LightReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="规则代码，如 issue_overdue")
    light = serializers.ChoiceField(choices=["red", "yellow", "green"])
    label = serializers.CharField()


class ProjectSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A project as other systems see it; ``stage`` changes only through ``transition``."""

    # Writable relations offer only what the caller may see: a county cannot file a project
    # into another county, nor name a unit outside its scope.
    region = ScopedSlugRelatedField(slug_field="code", queryset=Region.objects.all())
    unit = ScopedPrimaryKeyRelatedField(queryset=Unit.objects.filter(kind=Unit.Kind.ENTERPRISE))
    responsible_unit = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False, label=_("责任单位")
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    tags = serializers.SlugRelatedField(
        slug_field="name", many=True, queryset=Tag.objects.all(), required=False
    )
    investment_bracket = serializers.CharField(read_only=True)
    leader_warning = serializers.CharField(read_only=True)
    element_needs = ElementNeedSerializer(many=True, read_only=True)
    at_risk = serializers.BooleanField(
        read_only=True, help_text="关键节点倒排后有负时差：计划开工日期难以保证"
    )
    light = serializers.SerializerMethodField(
        help_text="红/黄/绿灯（由进度、问题、审批和投资推算，不可填写）"
    )
    light_reasons = serializers.SerializerMethodField(help_text="亮红灯或黄灯的原因，红灯原因在前")

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "region",
            "region_name",
            "unit",
            "unit_name",
            "content",
            "sector",
            "category",
            "tags",
            "tier",
            "two_major",
            "treasury_bond",
            "treasury_bond_override",
            "treasury_bond_reason",
            "sub_library",
            "construction_kind",
            "admission",
            "stage",
            "signed_on",
            "filed_on",
            "started_on",
            "completed_on",
            "producing_on",
            "at_capacity_on",
            "total_investment",
            "planned_investment_year",
            "completed_investment_total",
            "completed_investment_year",
            "investment_bracket",
            "planned_start",
            "planned_completion",
            "at_risk",
            "light",
            "light_reasons",
            "responsible_unit",
            "responsible_leader",
            "responsible_leader_level",
            "leader_warning",
            "contact_name",
            "contact_phone",
            "element_needs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "admission",
            "treasury_bond",
            "completed_investment_total",
            "completed_investment_year",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"code": {"allow_null": True, "required": False}}

    def _light(self, project) -> tuple[str, list]:
        from indicators.lights import light_of

        if not hasattr(project, "_light"):
            project._light = light_of(project)
        return project._light

    @extend_schema_field(serializers.ChoiceField(choices=["red", "yellow", "green"]))
    def get_light(self, project) -> str:
        return self._light(project)[0]

    @extend_schema_field(LightReasonSerializer(many=True))
    def get_light_reasons(self, project) -> list[dict]:
        return [
            {"code": rule.code, "light": rule.light, "label": str(rule.label)}
            for rule in self._light(project)[1]
        ]

    def get_fields(self):
        fields = super().get_fields()
        if isinstance(self.instance, Project):
            # After creation the stage and its dates move only through POST …/transition/.
            for name in ("stage", *STAGE_DATE_FIELDS.values()):
                fields[name].read_only = True
        return fields


class TransitionSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    # May be omitted (a correction need not name a date); the service needs the key either way.
    date = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- 会商预审 ------------------------------------------------------------------------------


def _assessment_field(label):
    return serializers.ChoiceField(
        label=label,
        choices=Assessment.choices,
        required=False,
        allow_blank=True,
        help_text=_("符合 meets、不符合 fails、不涉及 na；留空为本部门未评估"),
    )


class PreReviewOpinionSerializer(serializers.ModelSerializer):
    """One department's opinion, with its assessment against each criterion it judged."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.get_full_name", read_only=True)

    class Meta:
        model = PreReviewOpinion
        fields = [
            "unit",
            "unit_name",
            "verdict",
            "comment",
            *PREREVIEW_CRITERIA,
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class PreReviewSerializer(serializers.ModelSerializer):
    """A pre-review (会商预审) of a signed project waiting for admission."""

    departments = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    opinions = PreReviewOpinionSerializer(many=True, read_only=True)

    class Meta:
        model = PreReview
        fields = [
            "id",
            "project",
            "held_on",
            "departments",
            "result",
            "note",
            "concluded_at",
            "opinions",
        ]
        read_only_fields = fields


class PreReviewOpenSerializer(serializers.Serializer):
    project = ScopedPrimaryKeyRelatedField(queryset=Project.objects.all())
    held_on = serializers.DateField(label=_("会商日期"))
    departments = ScopedPrimaryKeyRelatedField(
        queryset=Unit.objects.exclude(kind=Unit.Kind.ENTERPRISE), many=True
    )


class PreReviewOpinionInputSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), label=_("部门"))
    verdict = serializers.ChoiceField(choices=PreReviewOpinion.Verdict.choices, label=_("意见"))
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    environment = _assessment_field(PREREVIEW_CRITERIA["environment"])
    safety = _assessment_field(PREREVIEW_CRITERIA["safety"])
    industrial_policy = _assessment_field(PREREVIEW_CRITERIA["industrial_policy"])
    land = _assessment_field(PREREVIEW_CRITERIA["land"])
    energy = _assessment_field(PREREVIEW_CRITERIA["energy"])


class PreReviewConcludeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
