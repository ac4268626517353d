import django_filters

from accounts.models import Region, Unit


class RegionFilterSet(django_filters.FilterSet):
    class Meta:
        model = Region
        fields = ["level", "parent"]


class UnitFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region_id", label="行政区划代码")

    class Meta:
        model = Unit
        fields = ["kind", "region"]
