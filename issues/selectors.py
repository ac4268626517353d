"""Reads for the issue pages: the board, the close-out list (清单式管理), special supervision
(专题督办) and a project's issues.

Every function takes querysets the caller has already scoped with ``for_user`` (or the user, to
scope with), so the pages and the export cannot drift apart on who sees what. Counting happens in
the database; the number of queries does not depend on the number of tickets.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, RowNumber, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Region, Role, Unit
from schedule.workdays import WorkdayCalendar, current_calendar

from .models import HANDLING_STATUSES, OPEN_STATUSES, Interview, Issue, Level, Notice, Status

#: the board's columns unless the user filters by status; rejected tickets are a link beside it
BOARD_STATUSES = tuple(s for s in Status if s != Status.REJECTED)
#: cards per column; the column says how many more the filters would show
BOARD_COLUMN_LIMIT = 40
#: roles that may report an issue from the pages (the API also lets systems report)
PAGE_REPORTER_ROLES = (
    Role.Code.OFFICE_STAFF,
    Role.Code.COUNTY_FILER,
    Role.Code.PROJECT_UNIT_CONTACT,
)
#: finished tickets shown on a project page below its open ones
PROJECT_RECENT_FINISHED = 5


def may_report(user) -> bool:
    """Whether the pages offer this user the report form (county filers, project units, offices)."""
    return user.is_authenticated and user.has_role(*PAGE_REPORTER_ROLES)


def overdue_q(today: datetime.date) -> Q:
    """Past the deadline while a unit is handling it (the same rule as ``Issue.is_overdue``)."""
    return Q(status__in=HANDLING_STATUSES, deadline__lt=today)


def accept_late_q() -> Q:
    """Still to be accepted, and marked by the sweep as past its level's time limit for it
    (受理超时, the same rule as ``Issue.accept_late``)."""
    return Q(status=Status.REPORTED, accept_overdue_since__isnull=False)


def _urgency(today: datetime.date) -> list:
    """Overdue (or 受理超时) first, then the nearest deadline; tickets without one last, oldest
    first."""
    late = Case(
        When(overdue_q(today) | accept_late_q(), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return [late.asc(), F("deadline").asc(nulls_last=True), F("reported_at").asc(), F("pk").asc()]


def by_urgency(queryset: QuerySet, today: datetime.date) -> QuerySet:
    return queryset.order_by(*_urgency(today))


# --- the board -----------------------------------------------------------------------------


@dataclass
class Card:
    issue: Issue
    overdue: bool
    due_soon: bool
    #: not accepted within its level's time limit (受理超时)
    accept_late: bool = False
    #: for a ticket still to be accepted: the last day for accepting it
    accept_due: datetime.date | None = None


@dataclass
class Column:
    status: str
    label: str
    count: int
    cards: list[Card]

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


def card(issue: Issue, today: datetime.date, calendar: WorkdayCalendar | None) -> Card:
    """A ticket with its badges: overdue, or due within ISSUE_REMIND_WORKDAYS working days;
    受理超时. ``calendar`` is only consulted for a ticket being handled against a deadline,
    and, when given, for the time limit of one still to be accepted."""
    overdue = issue.is_overdue(today)
    due_soon = (
        not overdue
        and issue.status in HANDLING_STATUSES
        and issue.deadline is not None
        and calendar.workdays_between(today, issue.deadline) <= settings.ISSUE_REMIND_WORKDAYS
    )
    accept_due = (
        issue.accept_due_on(calendar)
        if calendar is not None and issue.status == Status.REPORTED
        else None
    )
    return Card(issue, overdue, due_soon, issue.accept_late, accept_due)


def status_counts(queryset: QuerySet) -> dict[str, int]:
    return dict(queryset.order_by().values_list("status").annotate(n=Count("pk", distinct=True)))


def board_columns(
    queryset: QuerySet,
    statuses,
    today: datetime.date,
    calendar: WorkdayCalendar,
    counts: dict[str, int],
    limit: int | None = None,
    order: list | None = None,
) -> list[Column]:
    """One column per status with its first ``limit`` cards, most urgent first (or in
    ``order``, a sort's terms), in one query however many tickets there are (the per-column cut
    is a window function). ``counts`` are :func:`status_counts` of the same queryset."""
    limit = limit or BOARD_COLUMN_LIMIT
    ranked = (
        Issue.objects.filter(pk__in=queryset.filter(status__in=statuses).values("pk"))
        .with_related()
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("status")], order_by=order or _urgency(today)
            )
        )
        .filter(position__lte=limit)
        .order_by("status", "position")
    )
    cards: dict[str, list[Card]] = {status: [] for status in statuses}
    for issue in ranked:
        cards[issue.status].append(card(issue, today, calendar))
    return [
        Column(status, Status(status).label, counts.get(status, 0), cards[status])
        for status in statuses
    ]


# --- a project's issues --------------------------------------------------------------------


@dataclass
class ProjectIssues:
    open: list[Card]
    finished: list[Issue]


def project_issues(user, project, today: datetime.date | None = None) -> ProjectIssues:
    """The project's tickets the user may see: open ones (most urgent first) and the latest
    finished ones, for the project page."""
    today = today or timezone.localdate()
    of_project = Issue.objects.for_user(user).filter(project=project).select_related("unit")
    open_issues = list(by_urgency(of_project.open(), today))
    finished = of_project.exclude(status__in=OPEN_STATUSES).order_by("-updated_at", "-pk")
    # The calendar costs queries; only deadlines being worked against need it.
    calendar = (
        current_calendar()
        if any(issue.status in HANDLING_STATUSES for issue in open_issues)
        else None
    )
    return ProjectIssues(
        open=[card(issue, today, calendar) for issue in open_issues],
        finished=list(finished[:PROJECT_RECENT_FINISHED]),
    )


# --- the close-out list (清单) --------------------------------------------------------------


@dataclass
class CloseoutRow:
    issue: Issue
    age_days: int
    overdue: bool


def closeout_rows(queryset: QuerySet, today: datetime.date | None = None) -> list[CloseoutRow]:
    """Open tickets by region, then handling unit (not yet dispatched first), then urgency,
    each with its age in days since it was reported."""
    today = today or timezone.localdate()
    issues = (
        queryset.open()
        .with_related()
        .order_by("region_id", F("unit__name").asc(nulls_first=True), "unit_id", *_urgency(today))
    )
    return [
        CloseoutRow(
            issue=issue,
            age_days=(today - timezone.localtime(issue.reported_at).date()).days,
            overdue=issue.is_overdue(today),
        )
        for issue in issues
    ]


def closeout_units(queryset: QuerySet) -> QuerySet:
    """The handling units that have open tickets in ``queryset`` (the unit filter's options)."""
    return Unit.objects.filter(pk__in=queryset.open().values("unit")).order_by("region_id", "name")


# --- special supervision (专题督办) ---------------------------------------------------------


@dataclass
class SupervisionRow:
    subject: Unit | Region
    open_count: int
    overdue_count: int
    share: float
    notices: int | None = None
    interviews: int | None = None


def supervision_limits() -> dict:
    """The thresholds as the page states them (the share in percent), and the time limits for
    accepting per level."""
    limits = settings.ISSUE_SUPERVISION
    return {
        "min_overdue": limits["min_overdue"],
        "min_open": limits["min_open"],
        "percent": round(limits["overdue_ratio"] * 100),
        "window_days": settings.ISSUE_NOTICE_WINDOW_DAYS,
        "red_indicators": settings.SUPERVISION_RED_INDICATORS,
        "yellow_margin": settings.COCKPIT_YELLOW_MARGIN,
        "approvals": {
            **settings.APPROVAL_SUPERVISION,
            "percent": round(settings.APPROVAL_SUPERVISION["overdue_ratio"] * 100),
        },
        "accept": [
            (Level(level).label, days)
            for level, days in settings.ISSUE_ACCEPT_WORKDAYS.items()
            if level in Level.values
        ],
    }


def _supervision_counts(open_issues: QuerySet, group_by: str, today: datetime.date) -> QuerySet:
    """``open_issues`` grouped by ``group_by``, keeping the groups past a threshold: at least
    ``min_overdue`` overdue, or an overdue share of at least ``overdue_ratio`` among at least
    ``min_open`` open tickets."""
    limits = settings.ISSUE_SUPERVISION
    groups = open_issues.values(group_by).annotate(
        open_count=Count("pk"), overdue_count=Count("pk", filter=overdue_q(today))
    )
    return _past_thresholds(
        groups,
        total="open_count",
        late="overdue_count",
        least_late=limits["min_overdue"],
        least_total=limits["min_open"],
        ratio=limits["overdue_ratio"],
    ).order_by("-overdue_count", "-share", group_by)


def _past_thresholds(groups: QuerySet, *, total: str, late: str, least_late, least_total, ratio):
    """The groups (counted as ``total`` and ``late``) with at least ``least_late`` late, or a
    late share of at least ``ratio`` among at least ``least_total``; the share annotated."""
    return groups.annotate(
        share=ExpressionWrapper(
            Cast(late, FloatField()) / Cast(total, FloatField()), output_field=FloatField()
        )
    ).filter(
        Q(**{f"{late}__gte": least_late}) | Q(**{f"{total}__gte": least_total, "share__gte": ratio})
    )


def _counts_by_unit(queryset: QuerySet, unit_ids) -> dict[int, int]:
    return dict(
        queryset.filter(unit__in=unit_ids)
        .order_by()
        .values_list("unit")
        .annotate(n=Count("pk", distinct=True))
    )


def supervised_units(user, today: datetime.date | None = None) -> list[SupervisionRow]:
    """Handling units past the supervision thresholds, with their 通报 and 约谈 in the notice
    window (ISSUE_NOTICE_WINDOW_DAYS)."""
    today = today or timezone.localdate()
    open_issues = Issue.objects.for_user(user).open().filter(unit__isnull=False).order_by()
    rows = list(_supervision_counts(open_issues, "unit", today))
    units = Unit.objects.select_related("region").in_bulk([row["unit"] for row in rows])
    since = today - datetime.timedelta(days=settings.ISSUE_NOTICE_WINDOW_DAYS - 1)
    notices = _counts_by_unit(Notice.objects.for_user(user).filter(issued_on__gte=since), units)
    interviews = _counts_by_unit(
        Interview.objects.for_user(user).filter(triggered_on__gte=since), units
    )
    return [
        SupervisionRow(
            subject=units[row["unit"]],
            open_count=row["open_count"],
            overdue_count=row["overdue_count"],
            share=row["share"],
            notices=notices.get(row["unit"], 0),
            interviews=interviews.get(row["unit"], 0),
        )
        for row in rows
    ]


def supervised_regions(user, today: datetime.date | None = None) -> list[SupervisionRow]:
    """Cities (with their counties' tickets) and counties past the supervision thresholds,
    among the regions the user may see."""
    today = today or timezone.localdate()
    open_issues = Issue.objects.for_user(user).open().order_by()
    by_county = _supervision_counts(
        open_issues.filter(region__level=Region.Level.COUNTY).annotate(code=F("region_id")),
        "code",
        today,
    )
    by_city = _supervision_counts(
        open_issues.annotate(code=Concat(Substr("region_id", 1, 4), Value("00"))), "code", today
    )
    rows = [*by_city, *by_county]
    regions = Region.objects.for_user(user).in_bulk(
        [row["code"] for row in rows], field_name="code"
    )
    found = [
        SupervisionRow(
            subject=regions[row["code"]],
            open_count=row["open_count"],
            overdue_count=row["overdue_count"],
            share=row["share"],
        )
        for row in rows
        if row["code"] in regions
        and regions[row["code"]].level in (Region.Level.CITY, Region.Level.COUNTY)
    ]
    return sorted(found, key=lambda row: (-row.overdue_count, -row.share, row.subject.code))


@dataclass
class RedIndicatorRegion:
    """A region whose indicators show red lights: each below its target by more than the
    cockpit's yellow margin (``COCKPIT_YELLOW_MARGIN`` points)."""

    region: Region
    #: the red ones, each an ``indicators.selectors.Figure`` with its value and target
    figures: list
    window_label: str


def red_indicator_regions(user, today: datetime.date | None = None) -> list[RedIndicatorRegion]:
    """The regions directly below the user's own (cities for the province, counties for a
    city) with at least ``SUPERVISION_RED_INDICATORS`` of the cockpit's indicators red, the
    year to this month, each against the region's own targets; most red first. The projects
    counted are those the user may see. Grouped queries whatever the number of regions."""
    from cockpit.selectors import KPI_INDICATORS, kpi_light
    from indicators.lights import RED
    from indicators.selectors import indicators_by_region
    from projects.models import Project

    today = today or timezone.localdate()
    home = user.home_region()
    if home is None or user.sees_only_assignments:
        return []
    least = settings.SUPERVISION_RED_INDICATORS
    rows = []
    by_region = indicators_by_region(
        home, today.year, f"M{today.month:02d}", Project.objects.for_user(user)
    )
    for region, figures in by_region:
        red = [
            figure
            for figure in figures
            if figure.indicator in KPI_INDICATORS and kpi_light(figure.value, figure.target) == RED
        ]
        if red and len(red) >= least:
            label = _("%(year)s年1—%(month)s月") % {"year": today.year, "month": today.month}
            rows.append(RedIndicatorRegion(region=region, figures=red, window_label=label))
    return sorted(rows, key=lambda row: (-len(row.figures), row.region.code))


@dataclass
class LateApprovalUnit:
    """A handling unit with approvals running past the time limit it promised."""

    unit: Unit
    running: int
    overdue: int
    share: float


def late_approval_units(user, today: datetime.date | None = None) -> list[LateApprovalUnit]:
    """Handling units past the approval thresholds (``APPROVAL_SUPERVISION``): at least
    ``min_overdue`` approvals running past their promised day, or an overdue share of at least
    ``overdue_ratio`` among at least ``min_running`` running; among the approvals the user may
    see, most overdue first. Two queries."""
    from approvals.models import RUNNING_STATUSES, Approval, late_q

    today = today or timezone.localdate()
    limits = settings.APPROVAL_SUPERVISION
    groups = (
        Approval.objects.for_user(user)
        .filter(status__in=RUNNING_STATUSES)
        .order_by()
        .values("unit")
        .annotate(running=Count("pk"), overdue=Count("pk", filter=late_q(today)))
    )
    rows = list(
        _past_thresholds(
            groups,
            total="running",
            late="overdue",
            least_late=limits["min_overdue"],
            least_total=limits["min_running"],
            ratio=limits["overdue_ratio"],
        )
        .filter(overdue__gt=0)
        .order_by("-overdue", "-share", "unit")
    )
    units = Unit.objects.select_related("region").in_bulk([row["unit"] for row in rows])
    return [
        LateApprovalUnit(
            unit=units[row["unit"]],
            running=row["running"],
            overdue=row["overdue"],
            share=row["share"],
        )
        for row in rows
    ]


@dataclass
class AcceptLateRow:
    """The tickets of one level's office not accepted within its time limit (受理超时): the
    office is that of ``region`` (the province office for both 省级 and 省政府)."""

    region: Region
    office: str
    level: str
    count: int
    since: datetime.date

    @property
    def level_label(self) -> str:
        return Level(self.level).label


def accept_late_offices(user) -> list[AcceptLateRow]:
    """The offices with tickets marked 受理超时 among those the user may see, per level, most
    first; one query for the counts, one for the offices and their regions."""
    office = Case(
        When(level=Level.COUNTY, then=F("region_id")),
        When(level=Level.CITY, then=Concat(Substr("region_id", 1, 4), Value("00"))),
        default=Concat(Substr("region_id", 1, 2), Value("0000")),
        output_field=CharField(),
    )
    rows = list(
        Issue.objects.for_user(user)
        .filter(accept_late_q())
        .order_by()
        .annotate(office=office)
        .values("office", "level")
        .annotate(count=Count("pk"), since=Min("accept_overdue_since"))
        .order_by("-count", "office", "level")
    )
    offices = {
        unit.region_id: unit
        for unit in Unit.objects.filter(
            kind=Unit.Kind.OFFICE, region__in={row["office"] for row in rows}
        )
        .select_related("region")
        .order_by("-name")  # one office per region; the first by name when there are more
    }
    return [
        AcceptLateRow(
            offices[row["office"]].region,
            offices[row["office"]].name,
            row["level"],
            row["count"],
            row["since"],
        )
        for row in rows
        if row["office"] in offices
    ]


# --- resolution over a period (the briefing's 问题办理情况) ----------------------------------


@dataclass
class ResolutionRow:
    """Tickets of one region or handling unit: reported and resolved (办结) in the period,
    still open and overdue as of ``today``."""

    subject: Region | Unit | None
    new: int = 0
    resolved: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def label(self) -> str:
        return str(self.subject) if self.subject is not None else "—"


def _window_q(field: str, start: datetime.date, end: datetime.date) -> Q:
    """``field`` (a datetime) falls on a local day from ``start`` to ``end``."""
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return Q(**{f"{field}__gte": since, f"{field}__lt": until})


def _resolution_aggregates(start: datetime.date, end: datetime.date, today: datetime.date) -> dict:
    return {
        "new": Count("pk", filter=_window_q("reported_at", start, end)),
        "resolved": Count("pk", filter=_window_q("resolved_at", start, end)),
        "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "overdue": Count("pk", filter=overdue_q(today)),
    }


def resolution_totals(
    queryset: QuerySet, start: datetime.date, end: datetime.date, today: datetime.date
) -> ResolutionRow:
    """All of ``queryset`` (scoped tickets) in one row; one query."""
    return ResolutionRow(
        None, **queryset.order_by().aggregate(**_resolution_aggregates(start, end, today))
    )


def resolution_by_region(
    queryset: QuerySet,
    region: Region,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
) -> list[ResolutionRow]:
    """Per region directly below ``region`` (the tickets of a county count for its city), in
    code order, every child listed; tickets filed at ``region`` itself form a last row. Two
    queries."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    inside = queryset.filter(region__code__startswith=region.scope_prefix).order_by()
    if not children:
        return [
            ResolutionRow(region, **inside.aggregate(**_resolution_aggregates(start, end, today)))
        ]
    width = len(children[0].scope_prefix)
    counts = {
        row.pop("child"): row
        for row in inside.annotate(child=Substr("region__code", 1, width))
        .values("child")
        .annotate(**_resolution_aggregates(start, end, today))
    }
    rows = [ResolutionRow(child, **counts.pop(child.scope_prefix, {})) for child in children]
    own = counts.pop(region.code[:width], None)
    if own:
        rows.append(ResolutionRow(region, **own))
    return rows


def resolution_by_unit(
    queryset: QuerySet, start: datetime.date, end: datetime.date, today: datetime.date
) -> list[ResolutionRow]:
    """Per handling unit with any ticket new, resolved, open or overdue in the period, most
    overdue first. Two queries."""
    counts = list(
        queryset.filter(unit__isnull=False)
        .order_by()
        .values("unit")
        .annotate(**_resolution_aggregates(start, end, today))
        .filter(Q(new__gt=0) | Q(resolved__gt=0) | Q(open__gt=0))
    )
    units = Unit.objects.select_related("region").in_bulk([row["unit"] for row in counts])
    rows = [ResolutionRow(units[row.pop("unit")], **row) for row in counts]
    return sorted(
        rows, key=lambda row: (-row.overdue, -row.open, row.subject.region_id, row.subject.name)
    )


# --- tickets that threaten construction starts (schedule.impact) ----------------------------


def quarter_end(day: datetime.date) -> datetime.date:
    month = (day.month - 1) // 3 * 3 + 3
    last = datetime.date(day.year + month // 12, month % 12 + 1, 1) - datetime.timedelta(1)
    return last


def threatening(
    queryset: QuerySet,
    today: datetime.date,
    calendar: WorkdayCalendar | None = None,
    starts_by: datetime.date | None = None,
) -> list:
    """The open tickets of ``queryset`` (scoped) that hold a milestone back so that the
    construction start slips past its planned day, each with its impact (schedule.impact),
    the most working days at risk first; with ``starts_by``, only projects planned to start
    by then (this quarter's starts, and those already due)."""
    from schedule.impact import ranked

    found = [pair for pair in ranked(queryset, today, calendar) if pair[1].days_at_risk > 0]
    if starts_by is not None:
        found = [
            (issue, impact)
            for issue, impact in found
            if issue.project.planned_start is not None and issue.project.planned_start <= starts_by
        ]
    return found
