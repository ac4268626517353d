"""The leaders' cockpit (驾驶舱) of a region: every figure from the selectors that already own it
(indicators, issues, approvals, funding, project lights), gathered in a pinned number of
queries, each with the address of the list that adds up to it.

The window is the year to the end of the chosen month (``M01``…``M12``): the indicators of
that window against its targets, the change since the month before, the map of the regions
below, and the issues, approvals and funding of the same region and year.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractMonth
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from indicators import lights
from indicators import selectors as figures
from indicators.models import Indicator

#: the KPI cards, in order: Wuxi's 五率, Huai'an's 四率 and the planned new-start rate
KPI_INDICATORS = (
    Indicator.WX_FILING,
    Indicator.WX_START,
    Indicator.WX_INVESTMENT,
    Indicator.WX_PRODUCTION,
    Indicator.WX_CAPACITY,
    Indicator.HA_SIGNING,
    Indicator.HA_START,
    Indicator.HA_PRODUCTION,
    Indicator.HA_CAPACITY,
    Indicator.NEW_START_RATE,
)
MONEY = DecimalField(max_digits=18, decimal_places=2)
CARD_LABELS = {
    lights.RED: _("红灯项目"),
    lights.YELLOW: _("黄灯项目"),
    lights.GREEN: _("绿灯项目"),
}
ZERO = Decimal(0)


def url(name: str, query: dict | None = None, **kwargs) -> str:
    address = reverse(name, kwargs=kwargs or None)
    if not query:
        return address
    return f"{address}?{urlencode(query, doseq=True)}"


def kpi_light(value: Decimal | None, target: Decimal | None) -> str:
    """Green at or above target, yellow within ``COCKPIT_YELLOW_MARGIN`` points below, red
    further below; no light without a target or a value."""
    if value is None or target is None:
        return ""
    if value >= target:
        return lights.GREEN
    if value >= target - Decimal(str(settings.COCKPIT_YELLOW_MARGIN)):
        return lights.YELLOW
    return lights.RED


@dataclass
class Kpi:
    figure: figures.Figure
    previous: Decimal | None
    light: str
    numerator_url: str
    denominator_url: str

    @property
    def light_label(self) -> str:
        return str(lights.LIGHT_LABELS.get(self.light, ""))

    @property
    def change(self) -> Decimal | None:
        if self.figure.value is None or self.previous is None:
            return None
        return self.figure.value - self.previous


@dataclass
class Window:
    year: int
    month: int

    @property
    def sub_period(self) -> str:
        return f"M{self.month:02d}"

    @property
    def previous(self) -> Window | None:
        return Window(self.year, self.month - 1) if self.month > 1 else None

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)

    @property
    def end(self) -> datetime.date:
        return figures.Window(self.year, self.sub_period).end


def _behind_urls(indicator: str, region: Region, window: Window) -> tuple[str, str]:
    query = {
        "indicator": indicator,
        "region": region.code,
        "year": window.year,
        "period": window.sub_period,
    }
    return (
        url("indicators:projects", {**query, "part": "numerator"}),
        url("indicators:projects", {**query, "part": "denominator"}),
    )


def kpis(region: Region, window: Window, scope: QuerySet) -> list[Kpi]:
    """The KPI cards (3 queries, 6 with the month before)."""
    now = {
        f.indicator: f for f in figures.indicators(region, window.year, window.sub_period, scope)
    }
    before = {}
    if window.previous is not None:
        previous = window.previous
        before = {
            f.indicator: f.value
            for f in figures.indicators(region, previous.year, previous.sub_period, scope)
        }
    cards = []
    for code in KPI_INDICATORS:
        figure = now[code]
        numerator_url, denominator_url = _behind_urls(code, region, window)
        cards.append(
            Kpi(
                figure=figure,
                previous=before.get(code),
                light=kpi_light(figure.value, figure.target),
                numerator_url=numerator_url,
                denominator_url=denominator_url,
            )
        )
    return cards


@dataclass
class RegionValue:
    region: Region
    value: Decimal | None
    target: Decimal | None
    light: str
    url: str

    @property
    def light_label(self) -> str:
        return str(lights.LIGHT_LABELS.get(self.light, ""))


def by_region(region: Region, window: Window, indicator: str, scope: QuerySet):
    """The chosen indicator for each region directly below (the map), each against its own
    target; clicking one goes down to its cockpit. Grouped queries."""
    rows = []
    for child, child_figures in figures.indicators_by_region(
        region, window.year, window.sub_period, scope
    ):
        figure = next(f for f in child_figures if f.indicator == indicator)
        rows.append(
            RegionValue(
                region=child,
                value=figure.value,
                target=figure.target,
                light=kpi_light(figure.value, figure.target),
                url=url("home", {"region": child.code, "period": window.sub_period,
                                 "year": window.year, "indicator": indicator}),
            )
        )  # fmt: skip
    return rows


@dataclass
class Trend:
    label: str
    unit: str
    this_year: list
    last_year: list


def trends(region: Region, window: Window, scope: QuerySet) -> list[Trend]:
    """Month by month, this year against last year: approved investment completed, projects
    started, issues resolved (办结). Three queries."""
    from issues.models import Issue
    from progress.models import MonthlyReport, ReportStatus

    years = (window.year - 1, window.year)
    projects = figures.base_projects(scope).filter(region__code__startswith=region.scope_prefix)
    money = {
        (int(period[:4]), int(period[5:])): value
        for period, value in MonthlyReport.objects.filter(
            project__in=projects.values("pk"),
            status=ReportStatus.APPROVED,
            period__gte=f"{years[0]:04d}-01",
            period__lte=f"{years[1]:04d}-12",
        )
        .order_by()
        .values("period")
        .annotate(v=Coalesce(Sum("investment_this_month"), ZERO, output_field=MONEY))
        .values_list("period", "v")
    }
    starts = {
        (row["year"], row["month"]): row["n"]
        for row in projects.filter(started_on__year__in=years)
        .order_by()
        .annotate(month=ExtractMonth("started_on"), year=_year("started_on"))
        .values("year", "month")
        .annotate(n=Count("pk"))
    }
    issues = Issue.objects.filter(
        project__in=projects.values("pk"), resolved_at__year__in=years
    ).order_by()
    resolved = {
        (row["year"], row["month"]): row["n"]
        for row in issues.annotate(month=ExtractMonth("resolved_at"), year=_year("resolved_at"))
        .values("year", "month")
        .annotate(n=Count("pk"))
    }

    def series(values, year, last_month=12):
        return [values.get((year, m), 0) for m in range(1, last_month + 1)]

    return [
        Trend(_("完成投资（万元）"), "万元", series(money, years[1], window.month),
              series(money, years[0])),
        Trend(_("新开工项目（个）"), "个", series(starts, years[1], window.month),
              series(starts, years[0])),
        Trend(_("问题办结（件）"), "件", series(resolved, years[1], window.month),
              series(resolved, years[0])),
    ]  # fmt: skip


def _year(field_name: str):
    from django.db.models.functions import ExtractYear

    return ExtractYear(field_name)


@dataclass
class IssueFigures:
    by_region: list
    by_unit: list
    open: int
    overdue: int
    notices: int
    interviews: int
    open_url: str
    overdue_url: str
    supervision_url: str


def issue_figures(user, region: Region, window: Window, today: datetime.date) -> IssueFigures:
    """Issues open and overdue by region below and by handling unit (as of today), 通报 and
    约谈 issued in the window's month. Five queries."""
    from issues import selectors as issue_selectors
    from issues.models import OPEN_STATUSES, Interview, Issue, Notice

    tickets = Issue.objects.for_user(user).filter(region__code__startswith=region.scope_prefix)
    rows = issue_selectors.resolution_by_region(tickets, region, window.start, window.end, today)
    units = issue_selectors.resolution_by_unit(tickets, window.start, window.end, today)[:10]
    open_statuses = [str(s) for s in OPEN_STATUSES]
    for row in rows:
        code = row.subject.code
        row.open_url = url("issues:board", {"region": code, "status": open_statuses})
        row.overdue_url = url("issues:board", {"region": code, "overdue": "true"})
    for row in units:
        query = {"region": region.code, "unit": row.subject.pk}
        row.open_url = url("issues:board", {**query, "status": open_statuses})
        row.overdue_url = url("issues:board", {**query, "overdue": "true"})
    month = Q(issued_on__gte=window.start, issued_on__lte=window.end)
    notices = (
        Notice.objects.for_user(user)
        .filter(month, issue__region__code__startswith=region.scope_prefix)
        .count()
    )
    interviews = (
        Interview.objects.for_user(user)
        .filter(
            triggered_on__gte=window.start,
            triggered_on__lte=window.end,
            unit__region__code__startswith=region.scope_prefix,
        )
        .count()
    )
    return IssueFigures(
        by_region=rows,
        by_unit=units,
        open=sum(row.open for row in rows),
        overdue=sum(row.overdue for row in rows),
        notices=notices,
        interviews=interviews,
        open_url=url("issues:board", {"region": region.code, "status": open_statuses}),
        overdue_url=url("issues:board", {"region": region.code, "overdue": "true"}),
        supervision_url=url("issues:supervision"),
    )


@dataclass
class DepartmentRow:
    unit_id: int
    name: str
    decided: int = 0
    on_time: int = 0
    running: int = 0
    overdue: int = 0
    url: str = ""
    overdue_url: str = ""

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.decided:
            return None
        return (Decimal(self.on_time) * 100 / self.decided).quantize(Decimal("0.1"))


def approvals_by_department(user, region: Region, today: datetime.date) -> list[DepartmentRow]:
    """Per handling department: decided, decided within the promise, running, overdue (as the
    approvals performance page counts them). One query."""

    from approvals.models import RUNNING_STATUSES, Approval
    from approvals.selectors import decided_q, late_q, within_promise_q

    rows = (
        Approval.objects.for_user(user)
        .filter(project__region__code__startswith=region.scope_prefix)
        .order_by()
        .values("unit_id", "unit__name")
        .annotate(
            decided=Count("pk", filter=decided_q()),
            on_time=Count("pk", filter=within_promise_q()),
            running=Count("pk", filter=Q(status__in=RUNNING_STATUSES)),
            overdue=Count("pk", filter=late_q(today)),
        )
    )
    result = [
        DepartmentRow(
            unit_id=row["unit_id"],
            name=row["unit__name"],
            decided=row["decided"],
            on_time=row["on_time"],
            running=row["running"],
            overdue=row["overdue"],
            url=url("approvals:board", {"region": region.code, "unit": row["unit_id"]}),
            overdue_url=url(
                "approvals:board",
                {"region": region.code, "unit": row["unit_id"], "overdue": "true"},
            ),
        )
        for row in rows
    ]
    return sorted(result, key=lambda row: (-row.overdue, -row.decided, row.name))


def funding_by_channel(user, region: Region, year: int):
    """Quota, allocated, issued and spent per channel (the funding page's figures)."""
    from funding import selectors as funding_selectors

    rows = funding_selectors.channel_summary(user, year=year, region=region)
    for row in rows:
        row.url = url("funding:dashboard", {"region": region.code, "year": year})
    return rows


def funding_overruns(user, region: Region, year: int):
    """The quotas of the region and below split or allocated beyond them (the funding page's
    warning)."""
    from funding import selectors as funding_selectors

    return funding_selectors.quota_overruns(user, year=year, region=region)


def service_figures(user, region: Region, window: Window):
    """走访服务: coverage of the window's month and 反馈率 of the problems raised on visits from
    1 January to its end, for the region and each region below (fieldservice's selector, as on
    its own page). Three queries."""
    from fieldservice import selectors as fieldservice

    return fieldservice.service_figures(
        user, region, window.year, window.month, since=datetime.date(window.year, 1, 1)
    )


@dataclass
class LightFigures:
    counts: dict = field(default_factory=dict)
    worst: list = field(default_factory=list)
    urls: dict = field(default_factory=dict)

    @property
    def cards(self) -> list[dict]:
        return [
            {"code": code, "label": label, "count": self.counts[code], "url": self.urls[code]}
            for code, label in CARD_LABELS.items()
        ]


def light_figures(region: Region, scope: QuerySet, today: datetime.date, limit=10):
    """How many projects carry each light, and the red ones worst first. Two queries."""
    projects = lights.with_lights(scope.filter(region__code__startswith=region.scope_prefix), today)
    counts = dict.fromkeys((lights.RED, lights.YELLOW, lights.GREEN), 0)
    counts.update(
        {
            row["light"]: row["n"]
            for row in projects.order_by().values("light").annotate(n=Count("pk"))
        }
    )
    worst = list(
        lights.worst_first(projects.filter(lights.having(lights.RED))).select_related("region")[
            :limit
        ]
    )
    for project in worst:
        project.reasons = lights.reasons(project)
    return LightFigures(
        counts=counts,
        worst=worst,
        urls={
            light: url("projects:list", {"region": region.code, "light": light}) for light in counts
        },
    )
