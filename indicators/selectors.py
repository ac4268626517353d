"""The indicators of SPEC §9, computed in the database for a region (and everything below it)
and a part of a year, each with its numerator, denominator, target and the projects behind it.

Every figure counts from 1 January to the end of the chosen part of the year (a cohort):
a rate's denominator is the projects that reached a stage in that window; its numerator those
of them that reached the next stage by its end. One definition (``DEFINITIONS``) drives the
figures, the per-region breakdown and the project lists, so they cannot disagree.

Wuxi 五率 (seed 002) count every project; Huai'an 四率 (seed 004) count industrial projects
(产业类), as its 招引 targets do.

- 签约项目备案率  filed by the end ÷ signed in the window
- 备案项目开工率  started by the end ÷ filed in the window
- 开工项目投资完成率  this year's approved monthly investment ÷ this year's planned investment,
  over the projects started by the end and not completed before the year
- 竣工项目投产率  producing by the end ÷ completed in the window
- 最终产能达效率  at capacity by the end ÷ producing in the window
- 签约率  signed in the window ÷ (signed in the window + still in 谋划)
- 开工率  started by the end ÷ signed in the window (当年签约项目开工率)
- 投产率, 达效率  as Wuxi's, over industrial projects
- 计划新开工项目开工率  started by the end ÷ planned to start this year
- 新开工项目数  started in the window (a count; targets like "1,148 projects to start")
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr

from accounts.models import Region
from projects.models import Admission, Category, Project, Stage

from .models import Indicator, SubPeriod, Target

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))
HUNDRED = Decimal(100)

#: last month of each part of the year (figures run from January to its end)
SUB_PERIOD_END_MONTH = {
    SubPeriod.YEAR: 12,
    SubPeriod.Q1: 3,
    SubPeriod.H1: 6,
    SubPeriod.Q3: 9,
    **{SubPeriod(f"M{month:02d}"): month for month in range(1, 13)},
}


@dataclass(frozen=True)
class Window:
    year: int
    sub_period: str = ""

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def end_month(self) -> int:
        return SUB_PERIOD_END_MONTH[SubPeriod(self.sub_period)]

    @property
    def end(self) -> datetime.date:
        month = self.end_month
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def last_period(self) -> str:
        """The last monthly-form period (``YYYY-MM``) inside the window."""
        return f"{self.year:04d}-{self.end_month:02d}"


@dataclass(frozen=True)
class Definition:
    indicator: Indicator
    family: str  # "wuxi" | "huaian" | "new_start"
    #: projects of the denominator, for a window
    denominator: object
    #: those of them in the numerator
    numerator: object
    industrial_only: bool = False
    is_count: bool = False
    is_money: bool = False


def _in(field_name: str, window: Window) -> Q:
    return Q(**{f"{field_name}__gte": window.start, f"{field_name}__lte": window.end})


def _by(field_name: str, window: Window) -> Q:
    return Q(**{f"{field_name}__isnull": False, f"{field_name}__lte": window.end})


def _stage_rate(reached: str, next_stage: str, industrial=False, family="wuxi", code=None):
    return Definition(
        indicator=code,
        family=family,
        denominator=lambda w: _in(reached, w),
        numerator=lambda w: _by(next_stage, w),
        industrial_only=industrial,
    )


def _under_construction(window: Window) -> Q:
    return _by("started_on", window) & (
        Q(completed_on__isnull=True) | Q(completed_on__gte=window.start)
    )


DEFINITIONS: dict[str, Definition] = {
    d.indicator: d
    for d in (
        _stage_rate("signed_on", "filed_on", code=Indicator.WX_FILING),
        _stage_rate("filed_on", "started_on", code=Indicator.WX_START),
        Definition(
            indicator=Indicator.WX_INVESTMENT,
            family="wuxi",
            denominator=_under_construction,
            numerator=_under_construction,
            is_money=True,
        ),
        _stage_rate("completed_on", "producing_on", code=Indicator.WX_PRODUCTION),
        _stage_rate("producing_on", "at_capacity_on", code=Indicator.WX_CAPACITY),
        Definition(
            indicator=Indicator.HA_SIGNING,
            family="huaian",
            denominator=lambda w: _in("signed_on", w) | Q(stage=Stage.PLANNING),
            numerator=lambda w: _in("signed_on", w),
            industrial_only=True,
        ),
        _stage_rate("signed_on", "started_on", True, "huaian", Indicator.HA_START),
        _stage_rate("completed_on", "producing_on", True, "huaian", Indicator.HA_PRODUCTION),
        _stage_rate("producing_on", "at_capacity_on", True, "huaian", Indicator.HA_CAPACITY),
        Definition(
            indicator=Indicator.NEW_START_RATE,
            family="new_start",
            denominator=lambda w: Q(planned_start__year=w.year),
            numerator=lambda w: _by("started_on", w),
        ),
        Definition(
            indicator=Indicator.NEW_STARTS,
            family="new_start",
            denominator=lambda w: _in("started_on", w),
            numerator=lambda w: _in("started_on", w),
            is_count=True,
        ),
    )
}


@dataclass
class Figure:
    indicator: str
    label: str
    family: str
    numerator: Decimal | int
    denominator: Decimal | int | None
    value: Decimal | None
    target: Decimal | None = None
    unit: str = "%"
    region: Region | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lagging(self) -> bool:
        """Below its target (no target, or nothing to divide: not judged)."""
        return self.target is not None and self.value is not None and self.value < self.target

    @property
    def gap(self) -> Decimal | None:
        if self.target is None or self.value is None:
            return None
        return self.value - self.target


def base_projects(queryset: QuerySet | None = None) -> QuerySet:
    """The library the indicators count: projects not refused at pre-review."""
    queryset = queryset if queryset is not None else Project.objects.all()
    return queryset.exclude(admission=Admission.REJECTED)


def _projects_of(definition: Definition, queryset: QuerySet) -> QuerySet:
    if definition.industrial_only:
        return queryset.filter(category=Category.INDUSTRIAL)
    return queryset


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"))


def _count_aggregates(window: Window) -> dict:
    """One COUNT pair per counted indicator, as aggregate expressions."""
    industrial = Q(category=Category.INDUSTRIAL)
    expressions = {}
    for code, d in DEFINITIONS.items():
        if d.is_money:
            continue
        den = d.denominator(window) & (industrial if d.industrial_only else Q())
        expressions[f"{code}__den"] = Count("pk", filter=den)
        expressions[f"{code}__num"] = Count("pk", filter=den & d.numerator(window))
    return expressions


def _investment(window: Window, queryset: QuerySet, group_width: int | None = None):
    """Approved monthly investment this year and planned investment of the projects under
    construction, overall or per region-code prefix."""
    from progress.models import MonthlyReport, ReportStatus

    projects = queryset.filter(_under_construction(window))
    reports = MonthlyReport.objects.filter(
        project__in=projects.values("pk"),
        status=ReportStatus.APPROVED,
        period__gte=f"{window.year:04d}-01",
        period__lte=window.last_period,
    )
    if group_width is None:
        planned = projects.aggregate(v=Coalesce(Sum("planned_investment_year"), ZERO))["v"]
        done = reports.aggregate(v=Coalesce(Sum("investment_this_month"), ZERO))["v"]
        return {None: (done, planned)}
    planned = dict(
        projects.annotate(child=Substr("region__code", 1, group_width))
        .values("child")
        .annotate(v=Coalesce(Sum("planned_investment_year"), ZERO))
        .values_list("child", "v")
    )
    done = dict(
        reports.annotate(child=Substr("project__region__code", 1, group_width))
        .values("child")
        .annotate(v=Coalesce(Sum("investment_this_month"), ZERO))
        .values_list("child", "v")
    )
    return {key: (done.get(key, Decimal(0)), planned.get(key, Decimal(0))) for key in planned}


def _figures(counts: dict, money: tuple[Decimal, Decimal]) -> list[Figure]:
    figures = []
    for code, d in DEFINITIONS.items():
        if d.is_money:
            numerator, denominator = money
            value = _rate(numerator, denominator)
        elif d.is_count:
            numerator, denominator = counts.get(f"{code}__num", 0), None
            value = Decimal(numerator)
        else:
            numerator = counts.get(f"{code}__num", 0)
            denominator = counts.get(f"{code}__den", 0)
            value = _rate(numerator, denominator)
        figures.append(
            Figure(
                indicator=code,
                label=str(Indicator(code).label),
                family=d.family,
                numerator=numerator,
                denominator=denominator,
                value=value,
                unit="个" if d.is_count else "%",
            )
        )
    return figures


#: sub-periods that cover the same window: a March figure is judged against the Q1 target,
#: June against H1, September against Q3, December against the year
SAME_WINDOW = {
    SubPeriod.M03: SubPeriod.Q1,
    SubPeriod.M06: SubPeriod.H1,
    SubPeriod.M09: SubPeriod.Q3,
    SubPeriod.M12: SubPeriod.YEAR,
}
SAME_WINDOW.update({other: month for month, other in list(SAME_WINDOW.items())})


def window_targets(regions, window: Window) -> dict[tuple[str, str], Decimal]:
    """(region code, indicator) → the target set for exactly this window, under its own name
    or the other name of the same window (M06 and H1); the window's own name wins. One query."""
    names = [window.sub_period]
    if SubPeriod(window.sub_period) in SAME_WINDOW:
        names.append(SAME_WINDOW[SubPeriod(window.sub_period)].value)
    found: dict[tuple[str, str], Decimal] = {}
    rows = Target.objects.filter(region__in=regions, year=window.year, sub_period__in=names)
    for code, indicator, sub_period, value in rows.values_list(
        "region_id", "indicator", "sub_period", "value"
    ):
        key = (code, indicator)
        if key not in found or sub_period == window.sub_period:
            found[key] = value
    return found


def _attach_targets(figures: list[Figure], region: Region, window: Window) -> None:
    targets = {
        indicator: value for (_code, indicator), value in window_targets([region], window).items()
    }
    for figure in figures:
        figure.target = targets.get(figure.indicator)
        figure.region = region


def indicators(
    region: Region, year: int, sub_period: str = "", queryset: QuerySet | None = None
) -> list[Figure]:
    """Every indicator for ``region`` and below over the window, with the region's targets.
    ``queryset`` narrows the projects (the caller's scope); three queries in all."""
    window = Window(year, sub_period)
    projects = base_projects(queryset).filter(region__code__startswith=region.scope_prefix)
    counts = projects.aggregate(**_count_aggregates(window))
    money = _investment(window, projects)[None]
    figures = _figures(counts, money)
    _attach_targets(figures, region, window)
    return figures


def indicators_by_region(
    region: Region, year: int, sub_period: str = "", queryset: QuerySet | None = None
) -> list[tuple[Region, list[Figure]]]:
    """The same figures for each region directly below ``region``, each against its own
    targets — to flag lagging regions. Grouped queries whatever the number of regions."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    if not children:
        return []
    window = Window(year, sub_period)
    width = len(children[0].scope_prefix)
    projects = base_projects(queryset).filter(region__code__startswith=region.scope_prefix)
    counts = {
        row.pop("child"): row
        for row in projects.annotate(child=Substr("region__code", 1, width))
        .values("child")
        .annotate(**_count_aggregates(window))
    }
    money = _investment(window, projects, width)
    targets = window_targets(children, window)
    rows = []
    for child in children:
        key = child.scope_prefix
        figures = _figures(counts.get(key, {}), money.get(key, (Decimal(0), Decimal(0))))
        for figure in figures:
            figure.region = child
            figure.target = targets.get((child.code, figure.indicator))
        rows.append((child, figures))
    return rows


def projects_behind(
    indicator: str,
    region: Region,
    year: int,
    sub_period: str = "",
    part: str = "denominator",
    queryset: QuerySet | None = None,
) -> QuerySet:
    """The projects counted in an indicator's denominator (or numerator) — the click-through
    and export behind every figure."""
    definition = DEFINITIONS[indicator]
    window = Window(year, sub_period)
    projects = _projects_of(
        definition, base_projects(queryset).filter(region__code__startswith=region.scope_prefix)
    )
    rows = projects.filter(definition.denominator(window))
    if part == "numerator":
        rows = rows.filter(definition.numerator(window))
    return rows
