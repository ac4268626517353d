"""What the schedule pages show: the computed schedule laid out as a Gantt chart (its time axis
from :mod:`core.charts`; the page draws the rows in HTML, each with its links)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from core.charts import Span, Tick, TimeAxis
from core.exceptions import DomainError
from issues.models import Issue
from projects.selectors import HistoryEntry, history_entries

from .impact import Impact
from .models import Milestone
from .recompute import project_impacts
from .scheduling import NodeResult, Schedule


@dataclass
class BlockingIssue:
    """An open ticket holding a milestone back, as its Gantt row draws it: a mark on the day
    the milestone waits for, with what it costs the start."""

    issue: object
    impact: Impact
    left: float | None


@dataclass
class GanttRow:
    milestone: Milestone
    result: NodeResult
    predecessors: list[tuple[Milestone, int]]
    latest: Span | None
    forecast: Span
    actual: Span | None
    blocks: list[BlockingIssue] = field(default_factory=list)


@dataclass
class ScheduleChart:
    schedule: Schedule | None
    error: str
    rows: list[GanttRow]
    ticks: list[Tick]
    today: datetime.date
    today_left: float | None
    impacts: list[Impact] = field(default_factory=list)


def schedule_chart(project, user=None, what_if=None) -> ScheduleChart:
    """The project's schedule laid out, with the open tickets holding its milestones back
    (those ``user`` may see drawn on their rows); ``what_if`` (:mod:`schedule.whatif`) shows
    it changed, without saving anything."""
    today = timezone.localdate()
    try:
        schedule, milestones, impacts = project_impacts(project, today=today, what_if=what_if)
    except DomainError as error:
        return ScheduleChart(None, error.messages[0], [], [], today, None)
    if not milestones:
        return ScheduleChart(schedule, "", [], [], today, None)
    results = schedule.by_id()
    by_id = {milestone.pk: milestone for milestone in milestones}
    dates = [today]
    for result in results.values():
        dates += [
            d
            for d in (
                result.latest_start,
                result.latest_finish,
                result.earliest_start,
                result.earliest_finish,
                result.actual_start,
                result.actual_finish,
            )
            if d is not None
        ]
    dates += [impact.resolve_by for impact in impacts]
    axis = TimeAxis.around(dates)
    tickets = Issue.objects.for_user(user) if user is not None else Issue.objects.all()
    shown = tickets.in_bulk([impact.issue_id for impact in impacts])
    blocks = defaultdict(list)
    for impact in impacts:
        if impact.issue_id in shown:
            blocks[impact.milestone_id].append(
                BlockingIssue(shown[impact.issue_id], impact, axis.left(impact.resolve_by))
            )
    rows = []
    for milestone in milestones:
        result = results[milestone.pk]
        actual_start = result.actual_start or result.actual_finish
        actual_finish = result.actual_finish or (today if result.actual_start else None)
        rows.append(
            GanttRow(
                milestone=milestone,
                result=result,
                predecessors=[(by_id[p], lag) for p, lag in result.predecessors],
                latest=axis.span(result.latest_start, result.latest_finish),
                forecast=axis.span(result.earliest_start, result.earliest_finish),
                actual=axis.span(actual_start, actual_finish),
                blocks=blocks.get(milestone.pk, []),
            )
        )
    return ScheduleChart(
        schedule=schedule,
        error="",
        rows=rows,
        ticks=axis.month_ticks(),
        today=today,
        today_left=axis.left(today),
        impacts=impacts,
    )


MILESTONE_HISTORY_LIMIT = 30


def milestone_history(project) -> list[HistoryEntry]:
    """Recent changes to the project's milestones, newest first, deleted ones included."""
    fetch = MILESTONE_HISTORY_LIMIT * 3
    records = list(
        Milestone.history.filter(project_id=project.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:fetch]
    )
    groups = defaultdict(list)
    for record in records:
        groups[record.id].append(record)
    return history_entries(
        Milestone,
        groups.values(),
        limit=MILESTONE_HISTORY_LIMIT,
        truncated=len(records) == fetch,
        subject=lambda record: record.name,
    )
