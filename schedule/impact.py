"""Which problem moves which construction start (issue 23): an open ticket that names the
milestone it blocks holds that milestone back in the schedule, and what each such ticket costs
is worked out by the same computation as the schedule itself (:func:`compute_schedule`).

The rule: **a milestone cannot finish while a problem blocking it is open** — it may begin and
go on (the work around a problem rarely stops: the land file is prepared while the quota is
being found), but it is not done before the problem is. So the milestone's finish waits for the
day the ticket is to be resolved: its 办结时限 (deadline), or today when the deadline has passed
or none is set yet (an open problem is not solved before today). A finish, not a start, because
most problems are found on milestones already under way, which a start constraint would not
touch. A ticket stops holding when it is resolved (已办结 and after) or refused.

For each open blocking ticket, against the schedule with no ticket holding anything:

- ``consumed_float``: the working days of its milestone's float it takes;
- ``forecast_start`` / ``forecast_start_without``: the forecast 开工 if it is resolved on its
  deadline, and without it;
- ``start_delay``: the working days that moves the forecast start;
- ``days_at_risk``: the working days it pushes the start past the planned start (or past the
  forecast without it, if that is later already) — the figure tickets are ranked by.

Each ticket is weighed alone, so two tickets on the same path are each seen for what they
hold back, not hidden behind each other.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .scheduling import Node, Schedule, compute_schedule
from .workdays import WorkdayCalendar


def blocking_q() -> Q:
    """Tickets that hold their milestone back: naming one, and neither resolved nor refused."""
    from issues.models import Status

    done = (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED, Status.REJECTED)
    return Q(milestone__isnull=False) & ~Q(status__in=done)


@dataclass(frozen=True)
class Block:
    issue_id: int
    milestone_id: int
    deadline: datetime.date | None

    def resolve_by(self, today: datetime.date) -> datetime.date:
        """The day the milestone waits for: the deadline, or today once it has passed."""
        if self.deadline is None or self.deadline < today:
            return today
        return self.deadline


def blocks_by_project(project_ids: Iterable[int] | QuerySet) -> dict[int, list[Block]]:
    """The open blocking tickets of these projects (ids, or a query of them), by project (one
    query)."""
    from issues.models import Issue

    if not isinstance(project_ids, QuerySet):
        project_ids = list(project_ids)
    found: dict[int, list[Block]] = defaultdict(list)
    rows = (
        Issue.objects.filter(blocking_q(), project_id__in=project_ids)
        .order_by("pk")
        .values_list("project_id", "pk", "milestone_id", "deadline")
    )
    for project_id, pk, milestone_id, deadline in rows:
        found[project_id].append(Block(pk, milestone_id, deadline))
    return found


def holds(blocks: Sequence[Block], today: datetime.date) -> dict[int, datetime.date]:
    """milestone id → the day it cannot finish before (the latest of its tickets')."""
    held: dict[int, datetime.date] = {}
    for block in blocks:
        day = block.resolve_by(today)
        if block.milestone_id not in held or day > held[block.milestone_id]:
            held[block.milestone_id] = day
    return held


@dataclass
class Impact:
    issue_id: int
    milestone_id: int
    resolve_by: datetime.date
    overdue: bool
    consumed_float: int | None
    forecast_start: datetime.date | None
    forecast_start_without: datetime.date | None
    start_delay: int
    days_at_risk: int


def impacts(
    nodes: Sequence[Node],
    *,
    planned_start: datetime.date | None,
    today: datetime.date,
    calendar: WorkdayCalendar,
    blocks: Sequence[Block],
    held: dict[int, datetime.date] | None = None,
) -> tuple[Schedule, list[Impact]]:
    """The schedule with every ticket holding (and ``held``: extra finishes, a what-if), and
    each ticket's impact weighed alone against the schedule with none."""

    def computed(hold: dict) -> Schedule:
        return compute_schedule(
            nodes,
            planned_start=planned_start,
            today=today,
            calendar=calendar,
            finish_not_before=hold,
        )

    extra = held or {}
    schedule = computed(_merged(holds(blocks, today), extra))
    if not blocks:
        return schedule, []
    baseline = computed(extra)
    floats = {result.id: result.total_float for result in baseline.milestones}
    found = []
    for block in blocks:
        day = block.resolve_by(today)
        alone = computed(_merged({block.milestone_id: day}, extra))
        mine = next(r for r in alone.milestones if r.id == block.milestone_id)
        before = floats.get(block.milestone_id)
        consumed = None
        if before is not None and mine.total_float is not None:
            consumed = max(before - mine.total_float, 0)
        with_it, without = alone.forecast_anchor_date, baseline.forecast_anchor_date
        delay = risk = 0
        if with_it is not None and without is not None:
            delay = max(calendar.workdays_between(without, with_it), 0)
            bar = without
            if baseline.anchor_date is not None and baseline.anchor_date > bar:
                bar = baseline.anchor_date
            risk = max(calendar.workdays_between(bar, with_it), 0)
        found.append(
            Impact(
                issue_id=block.issue_id,
                milestone_id=block.milestone_id,
                resolve_by=day,
                overdue=block.deadline is not None and block.deadline < today,
                consumed_float=consumed,
                forecast_start=with_it,
                forecast_start_without=without,
                start_delay=delay,
                days_at_risk=risk,
            )
        )
    return schedule, found


def _merged(first: dict, second: dict) -> dict:
    if not second:
        return first
    merged = dict(first)
    for key, day in second.items():
        if key not in merged or day > merged[key]:
            merged[key] = day
    return merged


def ranked(
    issues, today: datetime.date, calendar: WorkdayCalendar | None = None
) -> list[tuple[object, Impact]]:
    """``issues`` (tickets, scoped by the caller) that hold a milestone back, each with its
    impact, the most working days of construction start at risk first; tickets whose project's
    schedule cannot be computed are left out. A query for the tickets, two for the schedules."""
    from .recompute import milestones_by_project, nodes_of
    from .scheduling import ScheduleError

    tickets = list(issues.filter(blocking_q()).select_related("project", "milestone", "region"))
    if not tickets:
        return []
    if calendar is None:
        from .workdays import current_calendar

        calendar = current_calendar()
    by_project: dict[int, list] = defaultdict(list)
    for ticket in tickets:
        by_project[ticket.project_id].append(ticket)
    milestones = milestones_by_project(by_project)
    found = []
    for project_id, own in by_project.items():
        nodes = nodes_of(milestones.get(project_id, []))
        blocks = [Block(t.pk, t.milestone_id, t.deadline) for t in own]
        try:
            _schedule, weighed = impacts(
                nodes,
                planned_start=own[0].project.planned_start,
                today=today,
                calendar=calendar,
                blocks=blocks,
            )
        except ScheduleError:
            continue
        tickets_by_id = {t.pk: t for t in own}
        found += [(tickets_by_id[impact.issue_id], impact) for impact in weighed]
    found.sort(key=lambda pair: (-pair[1].days_at_risk, -pair[1].start_delay, pair[0].pk))
    return found


def impact_of(issue, today: datetime.date | None = None) -> Impact | None:
    """What ``issue`` costs its project's construction start, if it is an open ticket blocking
    a milestone (None otherwise, or when the schedule cannot be computed)."""
    from django.utils import timezone

    from core.exceptions import DomainError

    from .recompute import project_impacts

    if issue.project_id is None or issue.milestone_id is None:
        return None
    try:
        _schedule, _milestones, found = project_impacts(
            issue.project, today=today or timezone.localdate()
        )
    except DomainError:
        return None
    return next((impact for impact in found if impact.issue_id == issue.pk), None)


def escalation_suggested(impact: Impact | None) -> bool:
    """A ticket that puts at least ``ISSUE_ESCALATION_IMPACT_DAYS`` working days of the
    construction start at risk is offered for escalation, its impact stated."""
    from django.conf import settings

    return impact is not None and impact.days_at_risk >= settings.ISSUE_ESCALATION_IMPACT_DAYS
