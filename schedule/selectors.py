"""What the schedule pages show: the computed schedule laid out as a Gantt chart."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from core.exceptions import DomainError
from projects.selectors import HistoryEntry, history_entries

from . import services
from .models import Milestone
from .scheduling import NodeResult, Schedule


@dataclass
class Bar:
    left: float  # percent of the chart's width
    width: float
    start: datetime.date
    finish: datetime.date


@dataclass
class GanttRow:
    milestone: Milestone
    result: NodeResult
    predecessors: list[tuple[Milestone, int]]
    latest: Bar | None
    forecast: Bar
    actual: Bar | None


@dataclass
class Tick:
    left: float
    label: str


@dataclass
class ScheduleChart:
    schedule: Schedule | None
    error: str
    rows: list[GanttRow]
    ticks: list[Tick]
    today: datetime.date
    today_left: float | None


def _bar(first: datetime.date, span: int, start, finish) -> Bar | None:
    if start is None or finish is None:
        return None
    left = (start - first).days / span * 100
    width = max(((finish - start).days + 1) / span * 100, 0.6)
    return Bar(round(left, 3), round(width, 3), start, finish)


def _month_ticks(first: datetime.date, last: datetime.date, span: int) -> list[Tick]:
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = 1 if months <= 14 else 2 if months <= 28 else 3 if months <= 42 else 6
    ticks = []
    day = first.replace(day=1)
    index = 0
    while day <= last:
        if day >= first and index % step == 0:
            ticks.append(Tick(round((day - first).days / span * 100, 3), f"{day:%Y-%m}"))
        index += 1
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return ticks


def schedule_chart(project) -> ScheduleChart:
    today = timezone.localdate()
    try:
        schedule, milestones = services.project_schedule(project, today=today)
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
    first, last = min(dates), max(dates)
    first -= datetime.timedelta(days=3)
    last += datetime.timedelta(days=3)
    span = (last - first).days + 1
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
                latest=_bar(first, span, result.latest_start, result.latest_finish),
                forecast=_bar(first, span, result.earliest_start, result.earliest_finish),
                actual=_bar(first, span, actual_start, actual_finish),
            )
        )
    return ScheduleChart(
        schedule=schedule,
        error="",
        rows=rows,
        ticks=_month_ticks(first, last, span),
        today=today,
        today_left=round((today - first).days / span * 100, 3),
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
