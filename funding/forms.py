"""The funding dashboard's filters: the year and the region (the user's own regions only)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from core.forms import ScopedForm, ScopedModelChoiceField


class RegionChoiceField(ScopedModelChoiceField):
    """A region the user may see (the form's ``ScopedForm`` user)."""

    def label_from_instance(self, obj: Region) -> str:
        # counties indented under their city in the drop-down
        return f"　{obj.name}" if obj.level == Region.Level.COUNTY else obj.name


class DashboardFilterForm(ScopedForm, forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    region = RegionChoiceField(
        label=_("地区"),
        queryset=Region.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部（本级及下级）"),
    )

    def __init__(self, data=None, *, years=(), **kwargs):
        super().__init__(data, **kwargs)
        current = timezone.localdate().year
        self.years = sorted({current, *years}, reverse=True)

    def chosen_year(self) -> int:
        self.is_valid()  # the fields that are valid are used, the others fall back
        return self.cleaned_data.get("year") or timezone.localdate().year

    def chosen_region(self) -> Region | None:
        self.is_valid()
        return self.cleaned_data.get("region")

    def region_out_of_scope(self) -> bool:
        """A region code the user may not see (or that does not exist) was asked for."""
        return self.is_bound and "region" in self.errors
