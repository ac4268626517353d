"""Issue, notice and interview filters, shared by the API and the pages."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from accounts.models import Unit
from projects.models import Project

from .models import HANDLING_STATUSES, Category, Interview, Issue, Level, Notice, Source, Status


class IssueFilterSet(RegionBelowMixin, django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("状态"))
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, label=_("事权层级"))
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("类别"))
    source = django_filters.MultipleChoiceFilter(choices=Source.choices, label=_("来源"))
    region = region_filter()
    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.all(), label=_("责任单位"), help_text=_("单位编号")
    )
    project = django_filters.ModelChoiceFilter(
        queryset=lambda request: Project.objects.for_user(getattr(request, "user", None)),
        label=_("项目"),
        help_text=_("项目编号"),
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("逾期"), help_text=_("已交办或办理中且超过办结时限")
    )
    unmatched = django_filters.BooleanFilter(
        field_name="project", lookup_expr="isnull", label=_("未匹配项目")
    )
    created_after = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label=_("上报不早于")
    )
    created_before = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__lte", label=_("上报不晚于")
    )
    deadline_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", label=_("时限不早于")
    )
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label=_("时限不晚于")
    )
    search = django_filters.CharFilter(method="filter_search", label=_("标题、项目或工单号"))

    class Meta:
        model = Issue
        fields = [
            "status",
            "level",
            "category",
            "source",
            "region",
            "unit",
            "project",
            "overdue",
            "unmatched",
            "created_after",
            "created_before",
            "deadline_after",
            "deadline_before",
            "search",
        ]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status__in=HANDLING_STATUSES, deadline__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(project__name__icontains=value)
            | Q(project__code__icontains=value)
            | Q(external_id=value)
        )


class NoticeFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "issue__region"
    region = region_filter()
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("被通报单位"))
    issued_after = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", label=_("通报不早于")
    )
    issued_before = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", label=_("通报不晚于")
    )

    class Meta:
        model = Notice
        fields = ["region", "unit", "issued_after", "issued_before"]


class InterviewFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "unit__region"
    region = region_filter()
    unit = django_filters.ModelChoiceFilter(queryset=Unit.objects.all(), label=_("被约谈单位"))
    kind = django_filters.ChoiceFilter(choices=Interview.Kind.choices, label=_("约谈类型"))
    triggered_after = django_filters.DateFilter(
        field_name="triggered_on", lookup_expr="gte", label=_("触发不早于")
    )
    triggered_before = django_filters.DateFilter(
        field_name="triggered_on", lookup_expr="lte", label=_("触发不晚于")
    )

    class Meta:
        model = Interview
        fields = ["region", "unit", "kind", "triggered_after", "triggered_before"]
