"""The accounts API's filtersets, and the region filter every app's filtersets share."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Region, Unit


def region_filter(**extra) -> django_filters.ModelChoiceFilter:
    """``region=<6-digit code>``: that region and everything below it (see RegionBelowMixin)."""
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="code",
        method="filter_region",
        label=_("地区"),
        help_text=_("6位行政区划代码，含其下级地区"),
        error_messages={"invalid_choice": _("行政区划代码“%(value)s”不存在。")},
        **extra,
    )
    # A method filter, on models without a ``region`` field too: tell the schema it is a code.
    return extend_schema_field(OpenApiTypes.STR)(region)


class RegionBelowMixin:
    """Narrows a filterset's queryset to a region and everything below it (a code prefix)."""

    #: lookup path to the Region the ``region`` filter narrows
    region_path = "region"

    def filter_region(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(**{f"{self.region_path}__code__startswith": value.scope_prefix})


class RegionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Region
        fields = ["level", "parent"]


class UnitFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region_id", label="行政区划代码")

    class Meta:
        model = Unit
        fields = ["kind", "region"]
