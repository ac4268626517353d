"""Report filters, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from accounts.models import Unit

from .models import Kind, Report, Status


class ReportFilterSet(RegionBelowMixin, django_filters.FilterSet):
    #: a report's region is its issuing office's: the region its content covers
    region_path = "unit__region"

    kind = django_filters.MultipleChoiceFilter(
        choices=Kind.choices, label=_("类型"), help_text=_("可多选")
    )
    period = django_filters.CharFilter(label=_("期间"), help_text=_("周：2026-W48；月：2026-11"))
    year = django_filters.NumberFilter(label=_("年度"), help_text=_("期号所属年度"))
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, label=_("状态"), help_text=_("可多选")
    )
    published = django_filters.BooleanFilter(
        field_name="published_at",
        lookup_expr="isnull",
        exclude=True,
        label=_("已印发"),
        help_text=_("true：已印发；false：草稿及生成中、生成失败的任务"),
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.filter(kind=Unit.Kind.OFFICE),
        label=_("编发单位"),
        help_text=_("单位编号"),
    )
    region = region_filter()  # the issuing office's region and the regions below it

    class Meta:
        model = Report
        fields = ["kind", "period", "year", "status", "published", "unit", "region"]
