"""《重大项目工作简报》 for a month (SPEC §10, seed 000 measure 5): headline figures against
targets, investment completion, issue resolution by region and unit, 通报 and 约谈, approvals
against promises by department, funding against quotas, the lagging projects and regions, and
charts.

Every figure comes from the selector the platform's own pages use, called with the issuing
office as the reader (:class:`reports.reader.OfficeReader`), so the document and the dashboard
cannot disagree. Queries are bounded: about thirty whatever the size of the region.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from approvals.models import Approval
from approvals.selectors import performance
from core.charts import Bar, bar_chart
from fieldservice.selectors import service_figures
from funding.selectors import channel_summary, financing_summary, quota_overruns
from indicators import evaluation
from indicators.models import Indicator
from indicators.selectors import Figure, indicators, indicators_by_region, projects_behind
from issues.models import Interview, Issue, Notice
from issues.selectors import resolution_by_region, resolution_by_unit, resolution_totals
from projects.models import Project

from .. import formatting
from ..periods import Period
from ..reader import OfficeReader
from . import Built
from .common import bounded, judge_by_the_year, masthead, render

TITLE = "重大项目工作简报"


@dataclass
class RegionFigures:
    region: object
    figures: dict[str, Figure]

    @property
    def investment(self) -> Figure:
        return self.figures[Indicator.WX_INVESTMENT]

    @property
    def new_start(self) -> Figure:
        return self.figures[Indicator.NEW_START_RATE]

    @property
    def lagging(self) -> list[Figure]:
        return [f for f in self.figures.values() if f.lagging]


def sub_period(period: Period) -> str:
    """The indicators' window for a month: 1 January to the end of that month."""
    return f"M{period.month:02d}"


def context(reader: OfficeReader, period: Period, today: datetime.date, progress) -> dict:
    region = reader.region
    year, window = period.year, sub_period(period)
    projects = Project.objects.for_user(reader)
    year_targets, headline, by_code, regions = _indicator_figures(region, year, window, projects)
    progress(15, _("正在汇总投资完成情况"))

    library = projects.filter(region__code__startswith=region.scope_prefix)
    library_figures = _library_figures(library)
    issue_figures = _issue_figures(reader, period, today)
    progress(30, _("正在汇总审批和资金"))

    approvals = performance(
        Approval.objects.for_user(reader).filter(
            project__region__code__startswith=region.scope_prefix
        ),
        today,
    )
    channels = channel_summary(reader, year=year, region=region)
    overruns = quota_overruns(reader, year=year, region=region)
    financing = financing_summary(reader, region=region)
    not_started, at_risk = _lagging_projects(region, projects, library, period, today)
    lagging_regions = [(row.region, figure) for row in regions for figure in row.lagging]
    progress(45, _("正在绘制图表"))

    charts = {
        "investment": _investment_chart(period, regions),
        "issues": _issues_chart(issue_figures["issue_regions"]),
        "funding": _funding_chart(channels, today),
    }
    return {
        "period": period,
        "window_label": _("1—%(month)s月") % {"month": period.month},
        "headline": [(f, year_targets.get(f.indicator)) for f in headline],
        "by_code": by_code,
        "investment": by_code[Indicator.WX_INVESTMENT],
        "new_start": by_code[Indicator.NEW_START_RATE],
        "new_starts": by_code[Indicator.NEW_STARTS],
        "regions": regions,
        **library_figures,
        **issue_figures,
        "approvals": approvals,
        "channels": channels,
        "overruns": bounded(overruns),
        "financing": financing,
        "not_started": bounded(not_started),
        "at_risk": bounded(at_risk),
        "lagging_regions": lagging_regions,
        # 走访服务: the month's coverage, 反馈率 of the visits from 1 January (as the cockpit)
        "service": service_figures(
            reader, region, year, period.month, since=datetime.date(year, 1, 1)
        ),
        # 一季一点评、全年一考核: in March, June, September and December only
        "evaluation": evaluation.for_briefing(reader, year, period.month, today),
        "charts": charts,
        "today": today,
    }


def _indicator_figures(region, year: int, window: str, projects):
    """The year's targets, the headline figures (also by indicator) and each child region's,
    judged as the indicators page judges them (:func:`common.judge_by_the_year`)."""
    headline = indicators(region, year, window, projects)
    children = indicators_by_region(region, year, window, projects)
    targets = judge_by_the_year([(region, headline), *children], year)
    year_targets = {
        indicator: value for (code, indicator), value in targets.items() if code == region.code
    }
    by_code = {f.indicator: f for f in headline}
    regions = [
        RegionFigures(child, {f.indicator: f for f in figures}) for child, figures in children
    ]
    return year_targets, headline, by_code, regions


def _library_figures(library) -> dict:
    library_totals = library.admitted().aggregate(
        total=Sum("total_investment"), planned=Sum("planned_investment_year")
    )
    return {
        "library_count": library.admitted().count(),
        "library_total": library_totals["total"] or Decimal(0),
        "library_planned": library_totals["planned"] or Decimal(0),
    }


def _issue_figures(reader: OfficeReader, period: Period, today: datetime.date) -> dict:
    """问题办理: tickets reported, resolved in the month; open and overdue as of today; the
    month's 通报 and 约谈."""
    region = reader.region
    issues = Issue.objects.for_user(reader).filter(region__code__startswith=region.scope_prefix)
    end = min(period.end, today)
    return {
        "issue_total": resolution_totals(issues, period.start, end, today),
        "issue_regions": resolution_by_region(issues, region, period.start, end, today),
        "issue_units": bounded(resolution_by_unit(issues, period.start, end, today)),
        "notices": bounded(
            Notice.objects.for_user(reader)
            .filter(issue__region__code__startswith=region.scope_prefix)
            .filter(issued_on__gte=period.start, issued_on__lte=period.end)
            .select_related("issue", "issue__region", "unit")
            .order_by("issued_on", "pk")
        ),
        "interviews": bounded(
            Interview.objects.for_user(reader)
            .filter(unit__region__code__startswith=region.scope_prefix)
            .filter(triggered_on__gte=period.start, triggered_on__lte=period.end)
            .select_related("unit")
            .order_by("triggered_on", "pk")
        ),
    }


def _lagging_projects(region, projects, library, period: Period, today: datetime.date):
    """滞后: projects due to start by the month's end that have not; starts at risk."""
    year, window = period.year, sub_period(period)
    due = period.end if period.end < today else today
    not_started = (
        projects_behind(Indicator.NEW_START_RATE, region, year, window, "denominator", projects)
        .filter(Q(started_on__isnull=True) | Q(started_on__gt=due), planned_start__lte=due)
        .select_related("region", "schedule")
        .order_by("planned_start", "region_id", "pk")
    )
    at_risk = (
        library.admitted()
        .filter(schedule__at_risk=True, started_on__isnull=True)
        .select_related("region", "schedule")
        .order_by("schedule__forecast_anchor_date", "region_id", "pk")
    )
    return not_started, at_risk


def _investment_chart(period: Period, regions: list[RegionFigures]) -> str:
    return bar_chart(
        [
            Bar(
                row.region.name,
                row.investment.value,
                row.investment.target,
                formatting.percent(row.investment.value),
                alert=row.investment.lagging,
            )
            for row in regions
        ],
        maximum=100,
        legend=_("条形：1—%(month)s月开工项目投资完成率；竖线：目标") % {"month": period.month},
    )


def _issues_chart(issue_regions) -> str:
    return bar_chart(
        [
            Bar(
                row.label,
                row.open,
                None,
                _("%(open)s（逾期%(overdue)s）") % {"open": row.open, "overdue": row.overdue},
                alert=row.overdue > 0,
            )
            for row in issue_regions
        ],
        legend=_("未办结问题数；红色为有逾期问题的地区"),
    )


def _funding_chart(channels, today: datetime.date) -> str:
    return bar_chart(
        [
            Bar(
                row.channel.name,
                (row.issuance_progress or Decimal(0)) * 100,
                Decimal(100) if row.quota else None,
                formatting.share(row.issuance_progress),
                alert=row.behind_deadline(today),
            )
            for row in channels
            if row.quota
        ],
        maximum=100,
        label_width=150,
        legend=_("发行（拨付）进度 = 已发行 ÷ 额度"),
    )


def build(*, report, reader: OfficeReader, period: Period, today: datetime.date, progress) -> Built:
    data = context(reader, period, today, progress)
    return render(
        report,
        "reports/pdf/briefing.html",
        {**masthead(report, today, _(TITLE)), **data},
        progress,
    )
