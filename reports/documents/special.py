"""重大项目推进专报 (seed 001 二(三)): the month's filing of progress forms, investment
completion against the annual plan by region, the projects started and completed in the month
and the projects that have not filed — from the platform's own selectors, bounded by the
issuing office's region, so every figure equals the pages'."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Region
from core.charts import Bar, bar_chart
from indicators.models import Indicator
from indicators.selectors import Figure, base_projects, indicators, indicators_by_region
from progress.models import deadline_of
from progress.selectors import FilingRow, filing_status, missing_projects
from projects.models import Project

from .. import formatting
from . import common


@dataclass
class FilingTotal:
    """The sum of the county rows of :func:`progress.selectors.filing_status`."""

    active: int = 0
    filed: int = 0
    approved: int = 0
    returned: int = 0
    late: int = 0
    missing: int = 0

    def add(self, row: FilingRow) -> None:
        self.active += row.active
        self.filed += row.filed
        self.approved += row.approved
        self.returned += row.returned
        self.late += row.late
        self.missing += row.missing

    @property
    def rate(self) -> Decimal | None:
        """Forms filed ÷ projects that file (a ratio, printed with ``share``)."""
        return Decimal(self.filed) / Decimal(self.active) if self.active else None


@dataclass
class RegionInvestment:
    rank: int | None
    region: Region
    figure: Figure


def investment_figure(figures: list[Figure]) -> Figure:
    return next(f for f in figures if f.indicator == Indicator.WX_INVESTMENT)


def investment_by_region(children: list[tuple[Region, list[Figure]]]) -> list:
    """The investment completion of each region directly below the office's (``children``:
    :func:`indicators.selectors.indicators_by_region`) that has projects under construction,
    best first; regions with nothing planned come last, unranked."""
    rows = [(child, investment_figure(figures)) for child, figures in children]
    rows = [(child, f) for child, f in rows if f.denominator or f.numerator]
    rows.sort(key=lambda r: (r[1].value is None, -(r[1].value or 0), r[0].code))
    return [
        RegionInvestment(
            rank=index + 1 if figure.value is not None else None, region=child, figure=figure
        )
        for index, (child, figure) in enumerate(rows)
    ]


def _projects_in_month(queryset, field: str, period):
    return (
        queryset.filter(**{f"{field}__gte": period.start, f"{field}__lte": period.end})
        .select_related("region", "unit")
        .order_by("region_id", field, "pk")
    )


def _total(projects) -> Decimal:
    return projects.aggregate(v=Sum("total_investment"))["v"] or Decimal(0)


def build(*, report, reader, period, today, progress):
    region = reader.region
    scope = Project.objects.for_user(reader)
    progress(10, _("正在汇总月度调度情况"))
    filing = filing_status(reader, period.code, region)
    total = FilingTotal()
    for row in filing:
        total.add(row)

    progress(25, _("正在计算投资完成情况"))
    sub_period = f"M{period.month:02d}"
    figures = indicators(region, period.year, sub_period, queryset=scope)
    children = indicators_by_region(region, period.year, sub_period, queryset=scope)
    common.judge_by_the_year([(region, figures), *children], period.year)  # as the indicators page
    investment = investment_figure(figures)
    by_region = investment_by_region(children)
    chart = bar_chart(
        [
            Bar(
                label=row.region.name,
                value=row.figure.value,
                target=row.figure.target,
                text=formatting.percent(row.figure.value),
                alert=row.figure.lagging,
            )
            for row in by_region
            if row.figure.value is not None
        ],
        maximum=max(
            [Decimal(100)]
            + [row.figure.value for row in by_region if row.figure.value is not None]
            + [row.figure.target for row in by_region if row.figure.target is not None]
        ),
        legend=_("竖线为目标值；红色为低于目标的地区。"),
    )

    progress(40, _("正在整理项目清单"))
    library = base_projects(scope).filter(region__code__startswith=region.scope_prefix)
    started = _projects_in_month(library, "started_on", period)
    completed = _projects_in_month(library, "completed_on", period)
    missing = list(missing_projects(reader, period.code, region).select_related("unit"))

    context = {
        **common.masthead(report, today, _("重大项目推进专报")),
        "period": period,
        "month_label": _("1—%(month)s月") % {"month": period.month},
        "as_of_label": common.chinese_date(today),
        "deadline_label": common.chinese_date(deadline_of(period.code)),
        "filing": filing,
        "filing_total": total,
        "investment": investment,
        "by_region": by_region,
        "chart": chart,
        "started": list(started),
        "started_total": _total(started),
        "completed": list(completed),
        "completed_total": _total(completed),
        "missing": missing,
    }
    return common.render(report, "reports/pdf/special.html", context, progress)
