"""Approval filters, shared by the API and the pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from accounts.models import Unit
from projects.models import Project

from .models import Approval, ApprovalKind, ApprovalStatus, AuthorityLevel


class ApprovalFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "project__region"

    kind = django_filters.ModelMultipleChoiceFilter(
        queryset=ApprovalKind.objects.all(),
        label=_("审批类型"),
        help_text=_("审批类型代码，可多选"),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ApprovalStatus.choices, label=_("状态"), help_text=_("可多选")
    )
    authority_level = django_filters.MultipleChoiceFilter(
        choices=AuthorityLevel.choices, label=_("审批层级")
    )
    region = region_filter()
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), label=_("办理单位"), help_text=_("单位编号")
    )
    project = django_filters.ModelChoiceFilter(
        queryset=lambda request: Project.objects.for_user(getattr(request, "user", None)),
        label=_("项目"),
        help_text=_("项目编号"),
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("超承诺时限"),
        help_text=_("受理后已超过承诺办结日仍未办结，或办结晚于承诺办结日"),
    )

    class Meta:
        model = Approval
        fields = ["kind", "status", "authority_level", "region", "unit", "project", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        # One definition of "overdue" for lists, pages and the performance table.
        late = Approval.objects.overdue().values("pk")
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)
