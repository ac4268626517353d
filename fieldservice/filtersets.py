"""Visit filters, shared by the API and the pages: the month, the region (and below), the
project, who visited."""

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from projects.models import Project

from .models import Visit, VisitorKind
from .selectors import month_range

MONTH = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("月份应写作“2026-11”。"), code="invalid_month")


class VisitFilterSet(RegionBelowMixin, django_filters.FilterSet):
    month = django_filters.CharFilter(
        method="filter_month",
        label=_("月份"),
        help_text=_("YYYY-MM，走访日期所在月份"),
        validators=[MONTH],
    )
    region = region_filter()
    project = django_filters.ModelChoiceFilter(
        queryset=lambda request: Project.objects.for_user(getattr(request, "user", None)),
        label=_("项目"),
        help_text=_("项目编号"),
    )
    visitor_kind = django_filters.ChoiceFilter(choices=VisitorKind.choices, label=_("走访人类型"))

    region_path = "project__region"

    class Meta:
        model = Visit
        fields = ["month", "region", "project", "visitor_kind"]

    def filter_month(self, queryset, name, value):
        if not value:
            return queryset
        start, end = month_range(int(value[:4]), int(value[5:]))
        return queryset.filter(visited_on__gte=start, visited_on__lte=end)
