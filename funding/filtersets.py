"""Funding filters, shared by the API and the pages: region (with everything below it),
channel, year and project wherever the model has them."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.filtersets import RegionBelowMixin, region_filter
from projects.models import Project

from .models import (
    FinancialInstitution,
    FinancingMatch,
    FinancingNeed,
    FundingChannel,
    FundingRecord,
    MatchState,
    Quota,
    ReitsProject,
    ReitsStage,
)


def _channel_filter():
    return django_filters.ModelMultipleChoiceFilter(
        queryset=FundingChannel.objects.all(),
        label=_("资金渠道"),
        help_text=_("资金渠道代码，可多选"),
    )


def _year_filter():
    return django_filters.NumberFilter(label=_("年度"), help_text=_("如 2026"))


def _project_filter(field_name: str = "project"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        queryset=lambda request: Project.objects.for_user(getattr(request, "user", None)),
        label=_("项目"),
        help_text=_("项目编号"),
    )


class QuotaFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "region"

    region = region_filter()
    channel = _channel_filter()
    year = _year_filter()

    class Meta:
        model = Quota
        fields = ["region", "channel", "year"]


class FundingRecordFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "project__region"

    region = region_filter()
    channel = _channel_filter()
    year = _year_filter()
    project = _project_filter()

    class Meta:
        model = FundingRecord
        fields = ["region", "channel", "year", "project"]


class ReitsProjectFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "project__region"

    region = region_filter()
    project = _project_filter()
    stage = django_filters.MultipleChoiceFilter(
        choices=ReitsStage.choices, label=_("阶段"), help_text=_("可多选")
    )

    class Meta:
        model = ReitsProject
        fields = ["region", "project", "stage"]


class FinancingNeedFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "project__region"

    region = region_filter()
    project = _project_filter()
    kind = django_filters.MultipleChoiceFilter(
        choices=FinancingNeed.Kind.choices, label=_("融资类型"), help_text=_("可多选")
    )

    class Meta:
        model = FinancingNeed
        fields = ["region", "project", "kind"]


class FinancingMatchFilterSet(RegionBelowMixin, django_filters.FilterSet):
    region_path = "need__project__region"

    region = region_filter()
    project = _project_filter("need__project")
    need = django_filters.NumberFilter(field_name="need", label=_("融资需求"))
    institution = django_filters.ModelChoiceFilter(
        queryset=FinancialInstitution.objects.all(),
        label=_("金融机构"),
        help_text=_("金融机构编号"),
    )
    state = django_filters.MultipleChoiceFilter(
        choices=MatchState.choices, label=_("对接状态"), help_text=_("可多选")
    )

    class Meta:
        model = FinancingMatch
        fields = ["region", "project", "need", "institution", "state"]
