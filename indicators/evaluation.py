"""Quarterly 点评 and yearly 考核 (seed 004 "一季一点评、全年一考核"; seed 001 "细化对市级部门的
考核"; seed 002 "年终…对年度目标完成情况和“五率”情况进行考核"): the regions directly below an
office and the departments handling its projects' approvals and tickets, scored from the
platform's own figures with the weights the office sets, and ranked.

Each criterion gives a score from 0 to 100:

- a rate with a target: the rate over the target (capped at 100: reaching the target is full
  marks); without a target, the rate itself;
- a count (新签约亿元以上工业项目数): the count over its target, capped at 100; without a target
  it is not scored;
- a period with no target of its own is judged against the year's: a rate as it stands, a
  count pro rata (a quarter of it by March, half by June, three quarters by September);
- nothing to count (no denominator): not scored.

The total is the weighted mean of the criteria that were scored (a criterion not scored does
not pull a region down; its weight goes to the others), rounded to two decimals; equal totals
share a rank. Figures run from 1 January to the end of the quarter, as on the indicators page:
the first quarter's 点评 (Q1), the half year (H1), three quarters (Q3) and the year's 考核.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import Substr, TruncDate
from django.utils.translation import gettext_lazy as _

from accounts.models import Region, Unit

from . import selectors
from .models import EvaluationSubject, EvaluationWeight, Indicator

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
#: a ticket resolved and not sent back since
RESOLVED_STATUSES = ("resolved", "confirmed", "closed")
#: the share of a year's count target a period is judged against when it has none of its own
YEAR_SHARE = {"Q1": Decimal("0.25"), "H1": Decimal("0.5"), "Q3": Decimal("0.75"), "": Decimal(1)}
#: the 点评 of each quarter, and the year's 考核 (figures from 1 January to the end)
PERIODS = (
    ("Q1", _("一季度点评")),
    ("H1", _("二季度（上半年）点评")),
    ("Q3", _("三季度点评")),
    ("", _("年度考核")),
)
PERIOD_LABELS = dict(PERIODS)
#: the month a period ends in: its briefing carries the table
PERIOD_OF_MONTH = {3: "Q1", 6: "H1", 9: "Q3", 12: ""}


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    subject: str
    #: what it counts, in words (the page, the workbook)
    text: str
    #: the indicator behind it (regions), or None for tickets and approvals
    indicator: str | None = None


CRITERIA = (
    Criterion(
        "new_start_rate",
        _("新开工"),
        EvaluationSubject.REGION,
        _("计划新开工项目开工率，对照本地区目标"),
        Indicator.NEW_START_RATE,
    ),
    Criterion(
        "investment",
        _("投资完成"),
        EvaluationSubject.REGION,
        _("开工项目投资完成率，对照本地区目标"),
        Indicator.WX_INVESTMENT,
    ),
    Criterion(
        "signed",
        _("新招引"),
        EvaluationSubject.REGION,
        _("新签约亿元以上工业项目数，对照本地区目标（未设目标不计分）"),
        Indicator.HA_SIGNED,
    ),
    Criterion(
        "production",
        _("竣工投产"),
        EvaluationSubject.REGION,
        _("竣工项目投产率，对照本地区目标"),
        Indicator.WX_PRODUCTION,
    ),
    Criterion(
        "issues",
        _("问题办结"),
        EvaluationSubject.REGION,
        _("办结时限在时段内且已到期的困难问题中，按时限办结的比例"),
    ),
    Criterion(
        "approvals",
        _("审批提速"),
        EvaluationSubject.DEPARTMENT,
        _("时段内办结的审批中，在承诺时限（工作日）内办结的比例"),
    ),
    Criterion(
        "issues",
        _("问题办结"),
        EvaluationSubject.DEPARTMENT,
        _("交本部门办理、办结时限在时段内且已到期的困难问题中，按时限办结的比例"),
    ),
)


def criteria(subject: str) -> list[Criterion]:
    return [c for c in CRITERIA if c.subject == subject]


def weights(region: Region, year: int, subject: str) -> dict[str, int]:
    """The weights ``region``'s office set for ``year``, or the defaults of the settings
    (``EVALUATION_WEIGHTS``) for the criteria it did not set. One query."""
    chosen = dict(
        EvaluationWeight.objects.filter(region=region, year=year, subject=subject).values_list(
            "criterion", "weight"
        )
    )
    defaults = settings.EVALUATION_WEIGHTS[subject]
    return {c.code: chosen.get(c.code, defaults.get(c.code, 0)) for c in criteria(subject)}


@dataclass
class Score:
    criterion: Criterion
    value: Decimal | None  # the figure (a rate in percent, or a count)
    target: Decimal | None
    score: Decimal | None  # 0–100, None: not scored
    unit: str = "%"


@dataclass
class Row:
    subject: Region | Unit
    scores: list[Score]
    total: Decimal | None = None
    rank: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.subject.name


@dataclass
class Table:
    region: Region
    year: int
    period: str
    weights: dict[str, int]
    criteria: list[Criterion]
    rows: list[Row]
    #: rows left out of a bounded list (the briefing)
    rest: int = 0

    @property
    def title(self) -> str:
        return f"{self.year}年{PERIOD_LABELS[self.period]}"

    @property
    def columns(self) -> list[tuple[Criterion, int]]:
        """Each criterion with its weight."""
        return [(c, self.weights[c.code]) for c in self.criteria]


def score_of(value, target, *, is_count: bool = False) -> Decimal | None:
    if value is None:
        return None
    value = Decimal(value)
    if target is None:
        return None if is_count else min(value, HUNDRED).quantize(CENT, ROUND_HALF_UP)
    target = Decimal(target)
    if target <= 0:
        return HUNDRED
    return min(value * HUNDRED / target, HUNDRED).quantize(CENT, ROUND_HALF_UP)


def _rank(rows: list[Row], chosen: dict[str, int]) -> list[Row]:
    for row in rows:
        scored = [(chosen[s.criterion.code], s.score) for s in row.scores if s.score is not None]
        weight = sum(w for w, _score in scored)
        if weight:
            row.total = (sum(w * s for w, s in scored) / weight).quantize(CENT, ROUND_HALF_UP)
    ranked = sorted(rows, key=lambda r: (r.total is None, -(r.total or 0), r.subject.pk))
    previous, rank = None, 0
    for place, row in enumerate(ranked, start=1):
        if row.total is None:
            continue
        if row.total != previous:
            rank, previous = place, row.total
        row.rank = rank
    return ranked


def _on_time(tickets, window: selectors.Window, today: datetime.date, group: str) -> dict:
    """key → (resolved by the deadline, due) over tickets whose deadline falls in the window
    and has passed."""
    due = tickets.filter(
        deadline__gte=window.start, deadline__lte=min(window.end, today - datetime.timedelta(1))
    )
    rows = (
        due.order_by()
        .annotate(resolved_on=TruncDate("resolved_at"))
        .values(group)
        .annotate(
            due=Count("pk"),
            # resolved by the deadline and still resolved (a ticket sent back is not)
            kept=Count(
                "pk",
                filter=Q(
                    status__in=RESOLVED_STATUSES,
                    resolved_on__isnull=False,
                    resolved_on__lte=F("deadline"),
                ),
            ),
        )
    )
    return {row[group]: (row["kept"], row["due"]) for row in rows}


def _rate(pair) -> Decimal | None:
    if not pair or not pair[1]:
        return None
    kept, due = pair
    return (Decimal(kept) * HUNDRED / Decimal(due)).quantize(CENT, ROUND_HALF_UP)


def regions_table(user, region: Region, year: int, period: str, today: datetime.date) -> Table:
    """The regions directly below ``region``, each scored on its own figures against its own
    targets (the projects and tickets in ``user``'s scope)."""
    from issues.models import Issue
    from projects.models import Project

    window = selectors.Window(year, period)
    chosen = weights(region, year, EvaluationSubject.REGION)
    own = criteria(EvaluationSubject.REGION)
    by_region = selectors.indicators_by_region(
        region, year, period, queryset=Project.objects.for_user(user)
    )
    if not by_region:
        return Table(region, year, period, chosen, own, [])
    width = len(by_region[0][0].scope_prefix)
    # a period without its own target is judged against the year's: a rate as it stands, a
    # count pro rata (a quarter of the year's signings by the end of March)
    year_targets = (
        selectors.window_targets([child for child, _f in by_region], selectors.Window(year))
        if period
        else {}
    )
    tickets = Issue.objects.for_user(user).filter(region__code__startswith=region.scope_prefix)
    issues = _on_time(
        tickets.annotate(child=Substr("region__code", 1, width)), window, today, "child"
    )
    rows = []
    for child, figures in by_region:
        figure_of = {f.indicator: f for f in figures}
        scores = []
        for criterion in own:
            if criterion.indicator:
                f = figure_of[criterion.indicator]
                is_count = criterion.indicator in Indicator.counts()
                target = f.target
                if target is None and (child.code, criterion.indicator) in year_targets:
                    target = year_targets[(child.code, criterion.indicator)]
                    if is_count:
                        target = (target * YEAR_SHARE[period]).quantize(CENT, ROUND_HALF_UP)
                scores.append(
                    Score(
                        criterion,
                        f.value,
                        target,
                        score_of(f.value, target, is_count=is_count),
                        "个" if is_count else "%",
                    )
                )
            else:
                value = _rate(issues.get(child.scope_prefix))
                scores.append(Score(criterion, value, None, score_of(value, None)))
        rows.append(Row(child, scores))
    return Table(region, year, period, chosen, own, _rank(rows, chosen))


def departments_table(user, region: Region, year: int, period: str, today: datetime.date) -> Table:
    """The departments (units of kind department) handling approvals or tickets of the
    projects in ``region`` and ``user``'s scope."""
    from approvals.models import Approval
    from approvals.selectors import decided_q, within_promise_q
    from issues.models import Issue

    window = selectors.Window(year, period)
    chosen = weights(region, year, EvaluationSubject.DEPARTMENT)
    own = criteria(EvaluationSubject.DEPARTMENT)
    decided = (
        Approval.objects.for_user(user)
        .filter(
            decided_q(),
            project__region__code__startswith=region.scope_prefix,
            unit__kind=Unit.Kind.DEPARTMENT,
            decided_on__gte=window.start,
            decided_on__lte=window.end,
        )
        .order_by()
        .values("unit")
        .annotate(due=Count("pk"), kept=Count("pk", filter=within_promise_q()))
    )
    approvals = {row["unit"]: (row["kept"], row["due"]) for row in decided}
    tickets = Issue.objects.for_user(user).filter(
        region__code__startswith=region.scope_prefix, unit__kind=Unit.Kind.DEPARTMENT
    )
    issues = _on_time(tickets, window, today, "unit")
    units = Unit.objects.in_bulk(set(approvals) | set(issues))
    rows = []
    for pk, unit in units.items():
        scores = []
        for criterion in own:
            pair = approvals.get(pk) if criterion.code == "approvals" else issues.get(pk)
            value = _rate(pair)
            scores.append(Score(criterion, value, None, score_of(value, None)))
        rows.append(Row(unit, scores))
    return Table(region, year, period, chosen, own, _rank(rows, chosen))


def weights_save(*, by, region: Region, year: int, subject: str, values: dict[str, str]) -> None:
    """Set every weight of ``subject`` for ``region`` and ``year`` at once: whole numbers from
    0 to 100, not all 0; all or nothing."""
    from django.db import transaction

    from core.exceptions import DomainError, NotPermitted

    from .services import may_set

    if not may_set(by, region):
        raise NotPermitted(_("只能设定本地区的考核权重。"), code="permission_denied")
    parsed = {}
    for criterion in criteria(subject):
        raw = (values.get(criterion.code) or "").strip()
        if not raw.isdigit() or not 0 <= int(raw) <= 100:
            raise DomainError(
                _("“%(label)s”的权重应为0到100之间的整数。") % {"label": criterion.label},
                code="invalid",
                field=criterion.code,
            )
        parsed[criterion.code] = int(raw)
    if not any(parsed.values()):
        raise DomainError(_("权重不能全部为0。"), code="invalid", field="weights")
    with transaction.atomic():
        for code, weight in parsed.items():
            EvaluationWeight.objects.update_or_create(
                region=region,
                year=year,
                subject=subject,
                criterion=code,
                defaults={"weight": weight, "set_by": by},
            )


def workbook(table: Table, subject: str) -> bytes:
    """The table as an .xlsx sheet (the one writer, ``core.xlsx``): rank, name, each
    criterion's figure and score, the total."""
    from core import xlsx

    columns: list = [
        (str(_("排名")), lambda row: row.rank),
        (
            str(_("地区") if subject == EvaluationSubject.REGION else _("部门")),
            lambda row: row.name,
        ),
    ]
    for index, criterion in enumerate(table.criteria):
        weight = table.weights[criterion.code]
        columns += [
            (
                f"{criterion.label}",
                lambda row, i=index: row.scores[i].value,
                "0.00",
            ),
            (
                f"{criterion.label}{_('得分')}（{_('权重')}{weight}）",
                lambda row, i=index: row.scores[i].score,
                "0.00",
            ),
        ]
    columns.append((str(_("总分")), lambda row: row.total, "0.00"))
    return xlsx.workbook(table.title, columns, table.rows, freeze="C2")


@dataclass
class Briefed:
    """The 点评 or 考核 of a quarter's last month as the briefing prints it: the regions, and the
    departments bounded to ``REPORT_LIST_LIMIT`` rows with the number left out."""

    regions: Table
    departments: Table

    @property
    def tables(self):
        return [(_("（一）下辖地区"), self.regions), (_("（二）职能部门"), self.departments)]


def for_briefing(reader, year: int, month: int, today: datetime.date) -> Briefed | None:
    """The table of the quarter that ``month`` ends, or None in other months."""
    if month not in PERIOD_OF_MONTH:
        return None
    period = PERIOD_OF_MONTH[month]
    regions = regions_table(reader, reader.region, year, period, today)
    departments = departments_table(reader, reader.region, year, period, today)
    limit = settings.REPORT_LIST_LIMIT
    for table in (regions, departments):
        table.rest = max(len(table.rows) - limit, 0)
        table.rows = table.rows[:limit]
    return Briefed(regions, departments)
