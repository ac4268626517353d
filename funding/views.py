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
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import Region
from core.charts import SCREEN, Bar, bar_chart
from projects.models import Project

from . import selectors
from .exports import records_workbook
from .filtersets import FundingRecordFilterSet
from .forms import DashboardFilterForm
from .models import (
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


# --- charts ------------------------------------------------------------------------------------


def issuance_chart(rows: list[selectors.RegionFigures], channel: str) -> SafeString | None:
    """Issuance progress (issued ÷ quota) of each region below, as horizontal bars."""
    if not any(row.quota for row in rows):  # nothing to measure any region against
        return None
    bars = []
    for row in rows:
        progress = row.issuance_progress
        title = _("%(region)s：额度 %(quota)s 万元，已发行 %(issued)s 万元") % {
            "region": row.region.name,
            "quota": f"{row.quota:,.2f}" if row.quota is not None else "—",
            "issued": f"{row.issued:,.2f}",
        }
        bars.append(
            Bar(
                label=row.region.name,
                value=progress,
                text=percent(progress) or _("无额度"),
                title=title,
                full=progress is not None and progress >= 1,
                blank=progress is None,
            )
        )
    caption = _("%(channel)s各地区发行进度") % {"channel": channel}
    return bar_chart(bars, layout=SCREEN, maximum=1, caption=caption, track=True)


def funnel_chart(stages: list[tuple[str, str, int]]) -> SafeString:
    """REITs projects per stage, as bars centred on one axis (a funnel)."""
    most = max((count for _stage, _label, count in stages), default=0) or 1
    bars = [
        Bar(
            label=str(label),
            value=count,
            text=str(count),
            title=f"{label}：{count}",
            blank=not count,
        )
        for _stage, label, count in stages
    ]
    caption = _("REITs项目各阶段数量")
    return bar_chart(bars, layout=SCREEN, maximum=most, caption=caption, centred=True)


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class ChannelRow:
    figures: selectors.ChannelFigures
    behind: bool
    chart: SafeString | None

    @property
    def issuance_percent(self) -> str | None:
        return percent(self.figures.issuance_progress)

    @property
    def use_percent(self) -> str | None:
        return percent(self.figures.use_progress)


def _years(user) -> list[int]:
    """The years that have quotas or records in the user's scope."""
    years = set(Quota.objects.for_user(user).values_list("year", flat=True).distinct())
    years |= set(FundingRecord.objects.for_user(user).values_list("year", flat=True).distinct())
    return sorted(years)


def _home_region(user) -> Region | None:
    """The region whose children the bars compare: the user's own, the province for those who
    see everything."""
    if user.region_id:
        return user.region
    if user.sees_everything:
        return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").first()
    return None


@login_required
def dashboard(request):
    user = request.user
    form = DashboardFilterForm(request.GET, user=user, years=_years(user))
    if form.region_out_of_scope():
        raise Http404
    year, region = form.chosen_year(), form.chosen_region()
    today = timezone.localdate()
    parent = region or _home_region(user)
    rows = []
    for figures in selectors.channel_summary(user, year=year, region=region):
        chart = None
        # without a quota in the region no region below has one: no bars (and no queries)
        if figures.quota is not None and parent is not None:
            chart = issuance_chart(
                selectors.region_breakdown(
                    user, year=year, channel=figures.channel.code, region=parent
                ),
                figures.channel.name,
            )
        rows.append(ChannelRow(figures, figures.behind_deadline(today), chart))
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
            "funnel": funnel_chart(funnel),
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
    queryset = (
        FundingRecord.objects.for_user(request.user)
        .select_related("project__region", "channel")
        .order_by("-year", "channel__position", "project__region_id", "project__name", "batch")
    )
    filterset = FundingRecordFilterSet(request.GET, queryset=queryset, request=request)
    if filterset.errors:  # an unknown region, channel or project: nothing of the kind here
        raise Http404
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(records_workbook(filterset.qs), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=_("资金记录-%(stamp)s.xlsx") % {"stamp": stamp}
    )
    return response


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
