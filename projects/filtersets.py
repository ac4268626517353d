"""Project filters, shared by the API and the library page so both answer the same question."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter

from .models import Admission, Category, Project, Stage, SubLibrary, Tier


class ProjectFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region = region_filter()
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices, label=_("层级"))
    sub_library = django_filters.MultipleChoiceFilter(choices=SubLibrary.choices, label=_("子库"))
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("阶段"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("类别"))
    admission = django_filters.ChoiceFilter(choices=Admission.choices, label=_("入库状态"))
    two_major = django_filters.BooleanFilter(label=_("“两重”项目"))
    treasury_bond = django_filters.BooleanFilter(label=_("超长期特别国债"))
    tags = django_filters.CharFilter(
        method="filter_tags", label=_("标签"), help_text=_("标签名，多个用逗号分隔，须全部具备")
    )
    planned_start_after = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="gte", label=_("计划开工不早于")
    )
    planned_start_before = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="lte", label=_("计划开工不晚于")
    )
    at_risk = django_filters.BooleanFilter(
        method="filter_at_risk",
        label=_("开工有风险"),
        help_text=_("关键节点倒排后总时差为负、计划开工日期已难以保证的项目"),
    )
    light = django_filters.MultipleChoiceFilter(
        choices=[("red", _("红灯")), ("yellow", _("黄灯")), ("green", _("绿灯"))],
        method="filter_light",
        label=_("红黄绿灯"),
        help_text=_("由进度、问题、审批和投资推算的项目状态"),
    )
    search = django_filters.CharFilter(method="filter_search", label=_("名称或代码"))

    class Meta:
        model = Project
        fields = [
            "region",
            "tier",
            "sub_library",
            "stage",
            "category",
            "admission",
            "two_major",
            "treasury_bond",
            "tags",
            "planned_start_after",
            "planned_start_before",
            "at_risk",
            "light",
            "search",
        ]

    def filter_tags(self, queryset, name, value):
        for tag in {part.strip() for part in value.replace("，", ",").split(",") if part.strip()}:
            queryset = queryset.filter(tags__name=tag)
        return queryset

    def filter_at_risk(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(schedule__at_risk=True)
        return queryset.exclude(schedule__at_risk=True)

    def filter_light(self, queryset, name, value):
        from indicators.lights import has_light_rules, having, with_light_rules

        if not value:
            return queryset
        if not has_light_rules(queryset):
            queryset = with_light_rules(queryset)
        wanted = Q()
        for light in value:
            wanted |= having(light)
        return queryset.filter(wanted)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))
            if value
            else queryset
        )
