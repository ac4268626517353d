"""Monthly-form filters, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from projects.models import Project

from .models import MonthlyReport, ReportStatus


class MonthlyReportFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "project__region"

    period = django_filters.CharFilter(label=_("月份"), help_text=_("YYYY-MM，例如 2026-11"))
    year = django_filters.NumberFilter(
        method="filter_year", label=_("年度"), help_text=_("该年度各月的进展")
    )
    region = region_filter()
    project = django_filters.ModelChoiceFilter(
        queryset=lambda request: Project.objects.for_user(getattr(request, "user", None)),
        label=_("项目"),
        help_text=_("项目编号"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ReportStatus.choices, label=_("状态"), help_text=_("可多选")
    )

    class Meta:
        model = MonthlyReport
        fields = ["period", "year", "region", "project", "status"]

    def filter_year(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(period__startswith=f"{int(value):04d}-")
