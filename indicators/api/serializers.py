"""The indicators of SPEC §9 as figures with their numerator, denominator and target; the
projects behind a figure; and the targets the offices set."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.fields import region_code_field
from indicators.models import Basis, GroupRule, Indicator, ProjectGroup, SubPeriod, Target
from projects.models import Project

PARTS = (("denominator", _("分母")), ("numerator", _("分子")))


class FigureNumberField(serializers.DecimalField):
    """A count stays whole ("3"); money keeps its two decimals ("120.00")."""

    def __init__(self, **extra):
        super().__init__(max_digits=None, decimal_places=2, **extra)

    def to_representation(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return super().to_representation(value)


def group_code_field(help_text):
    """A project group written as its code (optional: none is every project)."""
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=ProjectGroup.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=help_text,
        error_messages={"does_not_exist": _("项目分组“{value}”不存在。")},
    )


def _number(**extra):
    return FigureNumberField(**extra)


# --- asking ----------------------------------------------------------------------------------


class IndicatorQuerySerializer(serializers.Serializer):
    """``?region=<code>&year=YYYY&period=…``."""

    region = region_code_field(_("6位行政区划代码，含其下级地区；默认本人所在地区"), optional=True)
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("年度，默认今年"),
        error_messages={
            "invalid": _("年度应为四位整数，例如 2026。"),
            "min_value": _("年度应在2000至2100之间。"),
            "max_value": _("年度应在2000至2100之间。"),
        },
    )
    period = serializers.ChoiceField(
        choices=SubPeriod.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "时段（自1月1日起算）：Q1 一季度、H1 上半年、Q3 前三季度、M01–M12 某月末；留空为全年"
        ),
        error_messages={
            "invalid_choice": _("时段“{input}”无效，应为 Q1、H1、Q3 或 M01–M12，留空为全年。")
        },
    )

    group = group_code_field(_("项目分组代码（见 /api/v1/indicator-groups/）；留空为全部项目"))


class IndicatorProjectsQuerySerializer(IndicatorQuerySerializer):
    """… plus ``indicator`` and ``part`` (the projects of the denominator or the numerator)."""

    indicator = serializers.ChoiceField(
        choices=Indicator.choices,
        help_text=_("指标代码"),
        error_messages={
            "required": _("请指定指标（indicator）。"),
            "invalid_choice": _("指标“{input}”不存在。"),
        },
    )
    part = serializers.ChoiceField(
        choices=PARTS,
        required=False,
        default="denominator",
        help_text=_("denominator 分母（默认）或 numerator 分子"),
        error_messages={"invalid_choice": _("part 应为 denominator 或 numerator。")},
    )


# --- answering -------------------------------------------------------------------------------


class DefinitionSerializer(serializers.Serializer):
    """What a figure counts, in words."""

    numerator = serializers.CharField(help_text=_("分子"))
    denominator = serializers.CharField(help_text=_("分母（计数类指标为空）"))
    basis = serializers.ChoiceField(
        choices=[("", _("不适用")), *Basis.choices],
        help_text=_(
            "cohort 当年批次（时段内进入前一阶段的项目）或 stock 全部存量；计数、投资类为空"
        ),
    )
    basis_label = serializers.CharField()
    basis_open = serializers.BooleanField(
        help_text=_("口径可由重大办选择（为 false 时由文件规定）")
    )
    projects = serializers.CharField(help_text=_("统计范围"))
    window = serializers.CharField(help_text=_("统计时段"))


class FigureSerializer(serializers.Serializer):
    """One indicator for the region (with everything below it), the part of the year and the
    project group (if one was asked), with its definition."""

    indicator = serializers.ChoiceField(choices=Indicator.choices, help_text=_("指标代码"))
    label = serializers.CharField(help_text=_("指标名称"))
    family = serializers.ChoiceField(
        choices=(("wuxi", _("无锡五率")), ("huaian", _("淮安四率")), ("new_start", _("新开工"))),
        help_text=_("指标体系"),
    )
    region = serializers.CharField(source="region.code", help_text=_("地区代码"))
    region_name = serializers.CharField(source="region.name")
    numerator = _number(help_text=_("分子：项目数，投资完成率为本年已审核月报投资（万元）"))
    denominator = _number(
        allow_null=True,
        help_text=_("分母：项目数，投资完成率为本年计划投资（万元）；计数类指标为空"),
    )
    value = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        allow_null=True,
        help_text=_("比率（%，两位小数；分母为0时为空），计数类指标为个数"),
    )
    target = serializers.DecimalField(
        max_digits=None, decimal_places=2, allow_null=True, help_text=_("本地区该时段的目标")
    )
    gap = serializers.DecimalField(
        max_digits=None, decimal_places=2, allow_null=True, help_text=_("实际减目标")
    )
    unit = serializers.CharField(help_text=_("% 或 个"))
    lagging = serializers.BooleanField(help_text=_("低于目标（无目标时为 false）"))
    group = serializers.CharField(
        source="group.code",
        allow_null=True,
        default=None,
        help_text=_("项目分组代码；空为全部项目"),
    )
    denominator_is_target = serializers.BooleanField(
        help_text=_("分母是目标值而非项目数（签约率）")
    )
    definition = DefinitionSerializer()


class ProjectGroupSerializer(serializers.ModelSerializer):
    """A group of projects indicators and targets can be read and set for."""

    rule = serializers.ChoiceField(choices=GroupRule.choices, read_only=True)
    rule_display = serializers.CharField(source="get_rule_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True)

    class Meta:
        model = ProjectGroup
        fields = ["id", "code", "name", "rule", "rule_display", "region", "note"]
        read_only_fields = fields


class RegionFiguresSerializer(serializers.Serializer):
    """One region directly below the one asked, with its figures against its own targets."""

    region = serializers.CharField(source="region.code")
    region_name = serializers.CharField(source="region.name")
    lagging = serializers.ListField(
        child=serializers.CharField(), help_text=_("低于目标的指标代码")
    )
    figures = FigureSerializer(many=True)


class IndicatorProjectSerializer(serializers.ModelSerializer):
    """A project counted in a figure."""

    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "region",
            "region_name",
            "category",
            "stage",
            "stage_display",
            "planned_start",
            "signed_on",
            "filed_on",
            "started_on",
            "completed_on",
            "producing_on",
            "at_capacity_on",
            "planned_investment_year",
            "completed_investment_year",
        ]
        read_only_fields = fields


# --- targets ---------------------------------------------------------------------------------


class TargetSerializer(serializers.ModelSerializer):
    """What a region is to reach in a year (or the first part of it): a rate in percent, or
    a count for ``new_starts``."""

    region = region_code_field(_("6位行政区划代码"))
    region_name = serializers.CharField(source="region.name", read_only=True)
    group = group_code_field(_("项目分组代码；留空为本地区全部项目的目标"))
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        error_messages={
            "min_value": _("年度应在2000至2100之间。"),
            "max_value": _("年度应在2000至2100之间。"),
        },
    )
    indicator = serializers.ChoiceField(
        choices=Indicator.choices, error_messages={"invalid_choice": _("指标“{input}”不存在。")}
    )
    indicator_display = serializers.CharField(source="get_indicator_display", read_only=True)
    sub_period = serializers.ChoiceField(
        choices=SubPeriod.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("时段：Q1、H1、Q3、M01–M12；留空为全年"),
        error_messages={
            "invalid_choice": _("时段“{input}”无效，应为 Q1、H1、Q3 或 M01–M12，留空为全年。")
        },
    )
    sub_period_display = serializers.CharField(source="get_sub_period_display", read_only=True)
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=_("目标值：比率类为百分数（如 75 表示75%），新开工项目数为个数"),
        error_messages={"min_value": _("目标值不能为负数。")},
    )
    unit = serializers.SerializerMethodField()
    set_by_name = serializers.CharField(source="set_by", read_only=True, allow_null=True)

    class Meta:
        model = Target
        fields = [
            "id",
            "region",
            "region_name",
            "group",
            "year",
            "indicator",
            "indicator_display",
            "sub_period",
            "sub_period_display",
            "value",
            "unit",
            "note",
            "set_by",
            "set_by_name",
            "updated_at",
        ]
        read_only_fields = ["set_by", "updated_at"]
        # one target per region, year, indicator and part of the year: the view answers a
        # clash with its own code (target_exists)
        validators = []

    def get_unit(self, target: Target) -> str:
        return "个" if target.indicator in Indicator.counts() else "%"

    def validate(self, attrs):
        current = self.instance
        indicator = attrs.get("indicator", getattr(current, "indicator", None))
        value = attrs.get("value", getattr(current, "value", None))
        if indicator not in Indicator.counts() and value is not None and value > 100:
            raise serializers.ValidationError(
                {"value": [_("比率类指标的目标值是百分数，应在0到100之间。")]}
            )
        return attrs
