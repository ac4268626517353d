"""The indicators of SPEC §9, computed in the database for a region (and everything below it),
a part of a year and optionally a group of projects, each with its numerator, denominator,
target, definition and the projects behind it.

Every figure counts from 1 January to the end of the chosen part of the year. A rate's
denominator is, by default, the projects that reached a stage in that window (this year's
cohort); for the rates the seeds leave open an office may count instead every project of the
library that had reached it by the window's end (the stock, ``IndicatorBasis``). The numerator
is those of the denominator that reached the next stage by the window's end. One definition
(``DEFINITIONS``) drives the figures, the per-region breakdown, the project lists and the
sentences on the pages and in the API, so they cannot disagree.

Wuxi 五率 (seed 002) count every project; Huai'an 四率 (seed 004) count industrial projects
(产业类), as its 招引 targets do. 签约率 follows seed 004's "新签约亿元以上工业项目600个": the
industrial projects of 1亿元 or more signed in the window over the region's target for that count;
开工率 is seed 004's "当年申报签约项目开工率" (always this year's cohort).
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from projects.models import Admission, Category, Project, Tier

from .models import Basis, GroupRule, Indicator, IndicatorBasis, ProjectGroup, SubPeriod, Target

ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2))
HUNDRED = Decimal(100)
#: 1亿元 in 万元, the floor of seed 004's signing target
HUNDRED_MILLION = Decimal(10000)
#: the funding channels of government investment (the 政府投资项目 group)
GOVERNMENT_CHANNELS = ("central_budget", "special_bond", "treasury_bond", "provincial")

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
    #: what the numerator and the denominator count, in words (the pages and the API)
    numerator_text: str = ""
    denominator_text: str = ""
    industrial_only: bool = False
    #: projects of 1亿元 (10,000万元) or more only
    from_100m: bool = False
    is_count: bool = False
    is_money: bool = False
    #: the denominator over the stock, where an office may choose it (None: the seeds fix
    #: the cohort)
    stock_denominator: object = None
    stock_denominator_text: str = ""
    #: a rate over the region's target for another (count) indicator, not over projects
    of_target: str | None = None

    @property
    def open_basis(self) -> bool:
        return self.stock_denominator is not None

    def denominator_for(self, window: "Window", basis: str = Basis.COHORT) -> Q:
        if basis == Basis.STOCK and self.open_basis:
            return self.stock_denominator(window)
        return self.denominator(window)

    def restriction(self) -> Q:
        """The projects the indicator is about at all (industrial, 1亿元 or more)."""
        q = Q()
        if self.industrial_only:
            q &= Q(category=Category.INDUSTRIAL)
        if self.from_100m:
            q &= Q(total_investment__gte=HUNDRED_MILLION)
        return q

    def describe(self, basis: str = Basis.COHORT) -> dict:
        """The definition in words: numerator, denominator, basis and the projects counted."""
        stock = basis == Basis.STOCK and self.open_basis
        if self.is_count:
            used = ""
        elif self.of_target:
            used = ""
        else:
            used = Basis.STOCK if stock else Basis.COHORT
        counted = _("全部项目（不含会商预审未通过的）")
        if self.industrial_only:
            counted = _("产业类项目（总投资1亿元及以上）") if self.from_100m else _("产业类项目")
        return {
            "numerator": self.numerator_text,
            "denominator": self.stock_denominator_text if stock else self.denominator_text,
            "basis": used,
            "basis_label": str(Basis(used).label) if used else "",
            "basis_open": self.open_basis,
            "projects": str(counted),
            "window": str(_("自1月1日起至所选时段末")),
        }


def _in(field_name: str, window: Window) -> Q:
    return Q(**{f"{field_name}__gte": window.start, f"{field_name}__lte": window.end})


def _by(field_name: str, window: Window) -> Q:
    return Q(**{f"{field_name}__isnull": False, f"{field_name}__lte": window.end})


STAGE_WORDS = {
    "signed_on": _("签约"),
    "filed_on": _("备案（赋码）"),
    "started_on": _("开工"),
    "completed_on": _("竣工"),
    "producing_on": _("投产"),
    "at_capacity_on": _("达效"),
}


def _stage_rate(
    reached: str, next_stage: str, industrial=False, family="wuxi", code=None, open_basis=True
):
    words = {"reached": STAGE_WORDS[reached], "next": STAGE_WORDS[next_stage]}
    stock_text = format_lazy(_("到时段末已{reached}的全部在库项目数（存量，不限年份）"), **words)
    return Definition(
        indicator=code,
        family=family,
        denominator=lambda w: _in(reached, w),
        numerator=lambda w: _by(next_stage, w),
        numerator_text=format_lazy(_("分母中到时段末已{next}的项目数"), **words),
        denominator_text=format_lazy(_("时段内{reached}的项目数（当年批次）"), **words),
        industrial_only=industrial,
        stock_denominator=(lambda w: _by(reached, w)) if open_basis else None,
        stock_denominator_text=stock_text if open_basis else "",
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
            numerator_text=_("在建项目本年已审核月报完成投资（万元）"),
            denominator_text=_("到时段末已开工、且未在本年之前竣工的项目的本年计划投资（万元）"),
            is_money=True,
        ),
        _stage_rate("completed_on", "producing_on", code=Indicator.WX_PRODUCTION),
        _stage_rate("producing_on", "at_capacity_on", code=Indicator.WX_CAPACITY),
        Definition(
            indicator=Indicator.HA_SIGNING,
            family="huaian",
            denominator=lambda w: _in("signed_on", w),
            numerator=lambda w: _in("signed_on", w),
            numerator_text=_("时段内新签约的亿元以上工业项目数"),
            denominator_text=_("本地区“新签约亿元以上工业项目数”的目标（个）"),
            industrial_only=True,
            from_100m=True,
            of_target=Indicator.HA_SIGNED,
        ),
        Definition(
            indicator=Indicator.HA_SIGNED,
            family="huaian",
            denominator=lambda w: _in("signed_on", w),
            numerator=lambda w: _in("signed_on", w),
            numerator_text=_("时段内新签约的亿元以上工业项目数"),
            industrial_only=True,
            from_100m=True,
            is_count=True,
        ),
        _stage_rate(
            "signed_on", "started_on", True, "huaian", Indicator.HA_START, open_basis=False
        ),
        Definition(
            indicator=Indicator.HA_SIGNED_STARTED,
            family="huaian",
            denominator=lambda w: _in("signed_on", w) & _by("started_on", w),
            numerator=lambda w: _in("signed_on", w) & _by("started_on", w),
            numerator_text=_("时段内签约、到时段末已开工的产业类项目数"),
            industrial_only=True,
            is_count=True,
        ),
        _stage_rate("completed_on", "producing_on", True, "huaian", Indicator.HA_PRODUCTION),
        _stage_rate("producing_on", "at_capacity_on", True, "huaian", Indicator.HA_CAPACITY),
        Definition(
            indicator=Indicator.NEW_START_RATE,
            family="new_start",
            denominator=lambda w: Q(planned_start__year=w.year),
            numerator=lambda w: _by("started_on", w),
            numerator_text=_("分母中到时段末已开工的项目数"),
            denominator_text=_("计划开工日期在本年的项目数"),
        ),
        Definition(
            indicator=Indicator.NEW_STARTS,
            family="new_start",
            denominator=lambda w: _in("started_on", w),
            numerator=lambda w: _in("started_on", w),
            numerator_text=_("时段内开工的项目数"),
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
    #: cohort or stock, as counted ("" for counts and money)
    basis: str = ""
    group: ProjectGroup | None = None
    #: the denominator is a target (签约率), not projects
    denominator_is_target: bool = False

    @property
    def definition(self) -> dict:
        return DEFINITIONS[self.indicator].describe(self.basis or Basis.COHORT)

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


def group_q(group: ProjectGroup | None) -> Q:
    """The projects of ``group`` (all of them for None), as a condition on projects."""
    if group is None:
        return Q()
    rule = group.rule
    if rule == GroupRule.PROVINCIAL_IMPLEMENTATION:
        return Q(tier=Tier.PROVINCIAL_IMPLEMENTATION)
    if rule == GroupRule.PROVINCIAL_RESERVE:
        return Q(tier=Tier.PROVINCIAL_RESERVE)
    if rule == GroupRule.TWO_MAJOR:
        return Q(two_major=True) | Q(treasury_bond=True)
    if rule == GroupRule.INDUSTRIAL:
        return Q(category=Category.INDUSTRIAL)
    if rule == GroupRule.GOVERNMENT:
        from funding.models import FundingRecord

        return Q(
            Exists(
                FundingRecord.objects.filter(
                    project=OuterRef("pk"), channel_id__in=GOVERNMENT_CHANNELS, allocated__gt=0
                )
            )
        )
    members = ProjectGroup.projects.through.objects.filter(projectgroup_id=group.pk)
    return Q(pk__in=members.values("project_id"))


def _lineage_codes(code: str) -> list[str]:
    """A region's code and those of the regions above it, nearest first, read off the code
    (GB/T 2260: 320281 · 320200 · 320000) without asking the database."""
    codes = [code, f"{code[:4]}00", f"{code[:2]}0000"]
    return list(dict.fromkeys(codes))


def bases_for(region: Region) -> dict[str, str]:
    """indicator → cohort or stock, as chosen for ``region`` or the nearest region above it
    (cohort where nobody chose). One query."""
    lineage = _lineage_codes(region.code)
    nearest: dict[str, tuple[int, str]] = {}
    for code, indicator, basis in IndicatorBasis.objects.filter(region_id__in=lineage).values_list(
        "region_id", "indicator", "basis"
    ):
        rank = lineage.index(code)
        if indicator not in nearest or rank < nearest[indicator][0]:
            nearest[indicator] = (rank, basis)
    return {
        code: (nearest[code][1] if code in nearest and d.open_basis else Basis.COHORT)
        for code, d in DEFINITIONS.items()
    }


def _projects_of(definition: Definition, queryset: QuerySet) -> QuerySet:
    return queryset.filter(definition.restriction())


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.01"))


def _count_aggregates(window: Window, bases: dict[str, str]) -> dict:
    """One COUNT pair per counted indicator, as aggregate expressions."""
    expressions = {}
    for code, d in DEFINITIONS.items():
        if d.is_money or d.of_target:
            continue
        den = d.denominator_for(window, bases.get(code, Basis.COHORT)) & d.restriction()
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


def _figures(
    counts: dict, money: tuple[Decimal, Decimal], bases: dict[str, str], group=None
) -> list[Figure]:
    figures = []
    for code, d in DEFINITIONS.items():
        if d.of_target:  # filled in with the targets (:func:`_rates_of_targets`)
            numerator, denominator, value = counts.get(f"{d.of_target}__num", 0), None, None
        elif d.is_money:
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
                basis="" if d.is_count or d.is_money or d.of_target else bases[code],
                group=group,
                denominator_is_target=bool(d.of_target),
            )
        )
    return figures


def _rates_of_targets(figures: list[Figure]) -> None:
    """签约率: the count over the target for it, once the targets are known."""
    by_code = {figure.indicator: figure for figure in figures}
    for figure in figures:
        of = DEFINITIONS[figure.indicator].of_target
        if of:
            figure.denominator = by_code[of].target
            figure.value = _rate(figure.numerator, figure.denominator)


#: sub-periods that cover the same window: a March figure is judged against the Q1 target,
#: June against H1, September against Q3, December against the year
SAME_WINDOW = {
    SubPeriod.M03: SubPeriod.Q1,
    SubPeriod.M06: SubPeriod.H1,
    SubPeriod.M09: SubPeriod.Q3,
    SubPeriod.M12: SubPeriod.YEAR,
}
SAME_WINDOW.update({other: month for month, other in list(SAME_WINDOW.items())})


def window_targets(regions, window: Window, group=None) -> dict[tuple[str, str], Decimal]:
    """(region code, indicator) → the target set for exactly this window (and ``group``, or the
    whole region for None), under its own name or the other name of the same window (M06 and
    H1); the window's own name wins. One query."""
    names = [window.sub_period]
    if SubPeriod(window.sub_period) in SAME_WINDOW:
        names.append(SAME_WINDOW[SubPeriod(window.sub_period)].value)
    found: dict[tuple[str, str], Decimal] = {}
    rows = Target.objects.filter(
        region__in=regions, year=window.year, sub_period__in=names, group=group
    )
    for code, indicator, sub_period, value in rows.values_list(
        "region_id", "indicator", "sub_period", "value"
    ):
        key = (code, indicator)
        if key not in found or sub_period == window.sub_period:
            found[key] = value
    return found


def _attach_targets(figures: list[Figure], region: Region, window: Window, group=None) -> None:
    targets = {
        indicator: value
        for (_code, indicator), value in window_targets([region], window, group).items()
    }
    for figure in figures:
        figure.target = targets.get(figure.indicator)
        figure.region = region
    _rates_of_targets(figures)


def indicators(
    region: Region,
    year: int,
    sub_period: str = "",
    queryset: QuerySet | None = None,
    group: ProjectGroup | None = None,
) -> list[Figure]:
    """Every indicator for ``region`` and below over the window (the projects of ``group``
    only, if given), with the region's targets (for that group). ``queryset`` narrows the
    projects (the caller's scope); four queries in all."""
    window = Window(year, sub_period)
    bases = bases_for(region)
    projects = base_projects(queryset).filter(
        group_q(group), region__code__startswith=region.scope_prefix
    )
    counts = projects.aggregate(**_count_aggregates(window, bases))
    money = _investment(window, projects)[None]
    figures = _figures(counts, money, bases, group)
    _attach_targets(figures, region, window, group)
    return figures


def indicators_by_region(
    region: Region,
    year: int,
    sub_period: str = "",
    queryset: QuerySet | None = None,
    group: ProjectGroup | None = None,
) -> list[tuple[Region, list[Figure]]]:
    """The same figures for each region directly below ``region``, each against its own
    targets — to flag lagging regions. Counted on ``region``'s basis (cohort or stock), so the
    regions compare. Grouped queries whatever the number of regions."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    if not children:
        return []
    window = Window(year, sub_period)
    bases = bases_for(region)
    width = len(children[0].scope_prefix)
    projects = base_projects(queryset).filter(
        group_q(group), region__code__startswith=region.scope_prefix
    )
    counts = {
        row.pop("child"): row
        for row in projects.annotate(child=Substr("region__code", 1, width))
        .values("child")
        .annotate(**_count_aggregates(window, bases))
    }
    money = _investment(window, projects, width)
    targets = window_targets(children, window, group)
    rows = []
    for child in children:
        key = child.scope_prefix
        figures = _figures(
            counts.get(key, {}), money.get(key, (Decimal(0), Decimal(0))), bases, group
        )
        for figure in figures:
            figure.region = child
            figure.target = targets.get((child.code, figure.indicator))
        _rates_of_targets(figures)
        rows.append((child, figures))
    return rows


def projects_behind(
    indicator: str,
    region: Region,
    year: int,
    sub_period: str = "",
    part: str = "denominator",
    queryset: QuerySet | None = None,
    group: ProjectGroup | None = None,
) -> QuerySet:
    """The projects counted in an indicator's denominator (or numerator) — the click-through
    and export behind every figure (for 签约率, whose denominator is a target, the projects
    of its numerator)."""
    definition = DEFINITIONS[indicator]
    window = Window(year, sub_period)
    basis = bases_for(region)[indicator] if definition.open_basis else Basis.COHORT
    projects = _projects_of(
        definition,
        base_projects(queryset).filter(
            group_q(group), region__code__startswith=region.scope_prefix
        ),
    )
    rows = projects.filter(definition.denominator_for(window, basis))
    if part == "numerator":
        rows = rows.filter(definition.numerator(window))
    return rows
