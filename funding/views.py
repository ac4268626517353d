"""Funding pages (SPEC §11): the dashboard — per channel the quota against what was allocated,
issued and spent, the issuance progress of each region below as bars, the REITs funnel and the
financing needs — the funding section of the project page and the export of funding records.

Every figure comes from :mod:`funding.selectors` with the user passed in, and every list starts
from ``for_user``: what lies outside the user's scope is neither counted nor shown, and a region
outside it is not found (404).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core import exports
from projects.models import Project

from . import selectors
from .filtersets import FundingRecordFilterSet
from .forms import DashboardFilterForm
from .models import (
    SPECIAL_BOND,
    SPECIAL_BOND_CAPITAL_SHARE,
    FinancingMatch,
    FinancingNeed,
    FundingRecord,
    Quota,
    ReitsProject,
    ReitsStage,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def percent(ratio: Decimal | None) -> str | None:
    """0.4321 → "43.2%"; None when there is nothing to divide by."""
    if ratio is None:
        return None
    return f"{(ratio * 100).quantize(Decimal('0.1'))}%"


# --- charts (ECharts options for {% chart %}, core/templatetags/charts.py) ------------------------


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _percent_value(ratio: Decimal | None) -> float | None:
    """0.4321 → 43.2, the number :func:`percent` writes; None when there is nothing to divide by."""
    return None if ratio is None else float((ratio * 100).quantize(Decimal("0.1")))


def channel_option(rows: list[ChannelRow]) -> dict:
    """Per channel the quota against what was allocated, issued and spent (万元), as the table."""
    measures = (
        (_("额度"), "quota", "#9aa5b1"),
        (_("下达"), "allocated", "#5b8bd0"),
        (_("发行/拨付"), "issued", "#2f5597"),
        (_("支出"), "used", "#2e8b57"),
    )
    return {
        "_valueSuffix": " " + _("万元"),
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [row.figures.channel.name for row in rows]},
        "yAxis": {"type": "value", "name": _("万元")},
        "series": [
            {
                "name": name,
                "type": "bar",
                "barMaxWidth": 48,
                "itemStyle": {"color": colour},
                "data": [_amount(getattr(row.figures, attr)) for row in rows],
            }
            for name, attr, colour in measures
        ],
    }


def issuance_option(rows: list[selectors.RegionFigures], year: int) -> dict | None:
    """Issuance progress (issued ÷ quota, %) of each region below, as horizontal bars; a click
    on a region opens its own dashboard."""
    if not any(row.quota for row in rows):  # nothing to measure any region against
        return None
    values = [_percent_value(row.issuance_progress) for row in rows]
    return {
        "_valueSuffix": "%",
        "tooltip": {"trigger": "item"},
        "grid": {"left": 8, "right": 56, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {
            "type": "value",
            "min": 0,
            "max": max([100.0, *(value for value in values if value is not None)]),
            "axisLabel": {"formatter": "{value}%"},
        },
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [row.region.name for row in rows],
        },
        "series": [
            {
                "name": _("发行进度"),
                "type": "bar",
                "barMaxWidth": 18,
                "showBackground": True,
                "label": {"show": True, "position": "right", "formatter": "{c}%"},
                "markLine": {
                    "silent": True,
                    "symbol": "none",
                    "lineStyle": {"color": "#b3261e"},
                    "label": {"show": False},
                    "data": [{"xAxis": 100}],
                },
                "data": [
                    {
                        "name": row.region.name,
                        "value": value,
                        "href": f"?{urlencode({'year': year, 'region': row.region.code})}",
                        "itemStyle": {"color": "#1b7f3b" if value and value >= 100 else "#2f5597"},
                    }
                    for row, value in zip(rows, values, strict=True)
                ],
            }
        ],
    }


def funnel_option(stages: list[tuple[str, str, int]]) -> dict:
    """REITs projects per stage, in the stages' order from the top."""
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 8, "right": 32, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "inverse": True,
            "data": [str(label) for _stage, label, _count in stages],
        },
        "series": [
            {
                "name": _("项目数"),
                "type": "bar",
                "barMaxWidth": 18,
                "itemStyle": {"color": "#2f5597"},
                "label": {"show": True, "position": "right"},
                "data": [count for _stage, _label, count in stages],
            }
        ],
    }


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class ChannelRow:
    figures: selectors.ChannelFigures
    behind: bool
    #: the regions below with their issuance progress, and the chart's option (None without a
    #: quota to measure them against)
    regions: list[selectors.RegionFigures]
    chart: dict | None

    @property
    def issuance_percent(self) -> str | None:
        return percent(self.figures.issuance_progress)

    @property
    def use_percent(self) -> str | None:
        return percent(self.figures.use_progress)

    @property
    def chart_height(self) -> int:
        """Room for a bar per region (pixels)."""
        return 32 + 28 * len(self.regions)

    @property
    def region_rows(self) -> list[tuple[selectors.RegionFigures, str | None]]:
        """The regions below with their issuance progress as written ("73.3%")."""
        return [(row, percent(row.issuance_progress)) for row in self.regions]

    @property
    def capital_rows(self) -> list[tuple[selectors.RegionFigures, str | None]]:
        """Special bonds: the region itself, then each region below, with the share of its
        quota used as project capital as written (the limit is a quarter)."""
        if self.figures.channel.code != SPECIAL_BOND:
            return []
        own = selectors.RegionFigures(
            region=None,
            quota=self.figures.quota,
            allocated=self.figures.allocated,
            issued=self.figures.issued,
            used=self.figures.used,
            capital=self.figures.capital,
        )
        return [(row, percent(row.capital_share)) for row in (own, *self.regions)]


def _years(user) -> list[int]:
    """The years that have quotas or records in the user's scope."""
    years = set(Quota.objects.for_user(user).values_list("year", flat=True).distinct())
    years |= set(FundingRecord.objects.for_user(user).values_list("year", flat=True).distinct())
    return sorted(years)


@login_required
def dashboard(request):
    user = request.user
    form = DashboardFilterForm(request.GET, user=user, years=_years(user))
    if form.region_out_of_scope():
        raise Http404
    year, region = form.chosen_year(), form.chosen_region()
    today = timezone.localdate()
    parent = region or user.home_region()
    rows = []
    for figures in selectors.channel_summary(user, year=year, region=region):
        regions, chart = [], None
        # without a quota in the region no region below has one: no bars (and no queries)
        if figures.quota is not None and parent is not None:
            regions = selectors.region_breakdown(
                user, year=year, channel=figures.channel.code, region=parent
            )
            chart = issuance_option(regions, year)
        rows.append(ChannelRow(figures, figures.behind_deadline(today), regions, chart))
    overruns = selectors.quota_overruns(user, year=year, region=region)
    funnel = selectors.reits_funnel(user, region)
    financing = selectors.financing_summary(user, region)
    return render(
        request,
        "funding/dashboard.html",
        {
            "form": form,
            "year": year,
            "region": region,
            "parent": parent,
            "today": today,
            "rows": rows,
            "overruns": overruns,
            "capital_limit": percent(SPECIAL_BOND_CAPITAL_SHARE),
            "channels_chart": channel_option(rows) if rows else None,
            "funnel": funnel_option(funnel),
            "funnel_stages": funnel,
            "reits_total": sum(count for _stage, _label, count in funnel),
            "financing": financing,
            "matched_percent": percent(financing.matched / financing.total)
            if financing.total
            else None,
        },
    )


# --- the export -----------------------------------------------------------------------------


@login_required
def records_export(request):
    return exports.respond(request, "funding-records")


def records_export_rows(request):
    """The records of the user's scope as filtered (``core.exports``)."""
    queryset = (
        FundingRecord.objects.for_user(request.user)
        .select_related("project__region", "channel")
        .order_by("-year", "channel__position", "project__region_id", "project__name", "batch")
    )
    filterset = FundingRecordFilterSet(request.GET, queryset=queryset, request=request)
    if filterset.errors:  # an unknown region, channel or project: nothing of the kind here
        raise Http404
    return filterset.qs


# --- the project page's section ---------------------------------------------------------------


@dataclass
class ReitsStep:
    label: str
    date: datetime.date | None
    done: bool
    current: bool


def project_funding(user, project: Project) -> dict:
    """The project's funding records, REITs pipeline and financing needs with their matches, as
    far as the user may see them (for the project page)."""
    records = list(
        FundingRecord.objects.for_user(user)
        .filter(project=project)
        .select_related("channel")
        .order_by("-year", "channel__position", "batch")
    )
    reits = ReitsProject.objects.for_user(user).filter(project=project).first()
    steps = []
    if reits is not None:
        position = ReitsStage.order(reits.stage)
        steps = [
            ReitsStep(
                stage.label,
                reits.stage_date(stage.value),
                ReitsStage.order(stage.value) <= position,
                stage.value == reits.stage,
            )
            for stage in ReitsStage
        ]
    needs = (
        FinancingNeed.objects.for_user(user)
        .filter(project=project)
        .prefetch_related(
            Prefetch("matches", queryset=FinancingMatch.objects.select_related("institution"))
        )
    )
    return {"records": records, "reits": reits, "reits_steps": steps, "needs": list(needs)}
