"""Backward and forward scheduling of a project's key milestones (倒排关键节点, SPEC §4).

A plain module: it takes milestones as :class:`Node` values and a :class:`WorkdayCalendar`, and
needs no database. The convention, shared with every other implementation:

* Working days are numbered. A milestone of duration ``d > 0`` that starts on working day ``s``
  occupies days ``s … s+d−1`` (its finish is ``s+d−1``); a zero-duration milestone happens on
  one working day (start = finish).
* A finish-to-start link with lag ``L`` lets the successor start on the first working day after
  the predecessor's last day plus ``L`` more working days; a zero-duration predecessor lets its
  successor start the same day (plus ``L``).
* The anchor (开工) happens on the planned start, or the working day before it when that is not
  a working day (with a warning). A milestone other than the anchor that has no successor must
  still be finished before the anchor: it is linked to the anchor with no lag.
* Backward pass from the anchor → latest start and finish. Forward pass from "today" and the
  actual dates → earliest start and finish: a done milestone sits at its actual dates, one in
  progress starts at its actual start, nothing not yet started starts before today.
* Total float = latest start − earliest start in working days (negative allowed); critical when
  the float is ≤ 0; the project is at risk when any float is negative.
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _

from .workdays import CalendarRangeError, WorkdayCalendar

NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"


class ScheduleError(ValueError):
    """Milestones that cannot be scheduled; ``code`` is stable for API clients."""

    def __init__(self, message: str, code: str):
        self.message = message
        self.code = code
        super().__init__(message)


class CycleError(ScheduleError):
    """The predecessors form a cycle; ``cycle`` lists the names along it, first name repeated."""

    def __init__(self, cycle: list[str]):
        self.cycle = cycle
        super().__init__(
            _("前置关系存在循环：%(cycle)s。请删除其中一条前置关系。")
            % {"cycle": " → ".join(cycle)},
            code="milestone_cycle",
        )


class Node(NamedTuple):
    """One milestone as the scheduler sees it (a named tuple: a province's projects make tens
    of thousands of them each night)."""

    id: Hashable
    name: str
    duration: int
    #: (predecessor id, lag in working days)
    predecessors: tuple[tuple[Hashable, int], ...] = ()
    status: str = NOT_STARTED
    actual_start: datetime.date | None = None
    actual_finish: datetime.date | None = None
    anchor: bool = False


@dataclass
class NodeResult:
    id: Hashable
    name: str
    duration: int
    predecessors: tuple[tuple[Hashable, int], ...]
    latest_start: datetime.date | None
    latest_finish: datetime.date | None
    earliest_start: datetime.date
    earliest_finish: datetime.date
    actual_start: datetime.date | None
    actual_finish: datetime.date | None
    total_float: int | None
    critical: bool
    anchor: bool


@dataclass
class Schedule:
    anchor_date: datetime.date | None
    forecast_anchor_date: datetime.date | None
    at_risk: bool
    calendar_provisional: bool
    warnings: list[str] = field(default_factory=list)
    #: in topological order (every milestone after its predecessors); empty when computed
    #: for the summary only (``compute_schedule(…, details=False)``)
    milestones: list[NodeResult] = field(default_factory=list)
    #: the least total float (working days) of the milestones not yet finished: how much the
    #: construction start can still absorb (negative: it is already late)
    min_float: int | None = None

    def by_id(self) -> dict[Hashable, NodeResult]:
        return {result.id: result for result in self.milestones}


def topological_order(nodes: Sequence[Node]) -> list[Node]:
    """Nodes with every predecessor first, keeping the given order where free; refuses cycles."""
    position = {node.id: index for index, node in enumerate(nodes)}
    waiting = [0] * len(nodes)
    successors: list[list[int]] = [[] for _node in nodes]
    for index, node in enumerate(nodes):
        for predecessor, _lag in node.predecessors:
            if predecessor not in position:
                raise ScheduleError(
                    _("节点“%(name)s”的前置节点不存在。") % {"name": node.name},
                    code="unknown_predecessor",
                )
            waiting[index] += 1
            successors[position[predecessor]].append(index)
    # the ready milestones by their given position: the first listed goes first
    ready = [index for index, count in enumerate(waiting) if count == 0]
    order: list[Node] = []
    while ready:
        current = heapq.heappop(ready)
        order.append(nodes[current])
        for successor in successors[current]:
            waiting[successor] -= 1
            if waiting[successor] == 0:
                heapq.heappush(ready, successor)
    if len(order) < len(nodes):
        by_id = {node.id: node for node in nodes}
        remaining = {nodes[index].id for index, count in enumerate(waiting) if count > 0}
        raise CycleError(_find_cycle(by_id, remaining, position))
    return order


def _find_cycle(
    by_id: dict[Hashable, Node], remaining: set[Hashable], position: dict[Hashable, int]
) -> list[str]:
    """Names along one cycle among ``remaining`` (each has a predecessor in the set), starting
    from the milestone listed first."""
    # Walk predecessor edges from a node left over; in a finite set a walk must repeat.
    start = min(remaining, key=position.__getitem__)
    path: list[Hashable] = []
    seen: dict[Hashable, int] = {}
    current = start
    while current not in seen:
        seen[current] = len(path)
        path.append(current)
        current = next(p for p, _lag in by_id[current].predecessors if p in remaining)
    loop = path[seen[current] :]
    loop.reverse()  # predecessor → successor, the way work flows
    first = min(range(len(loop)), key=lambda k: position[loop[k]])
    loop = loop[first:] + loop[:first]
    names = [by_id[i].name for i in loop]
    return [*names, names[0]]


def _release(finish: int, duration: int) -> int:
    """The first day a successor may start (before lag) after a predecessor finishing here."""
    return finish + 1 if duration > 0 else finish


def _finish(start: int, duration: int) -> int:
    return start + duration - 1 if duration > 0 else start


def _start(finish: int, duration: int) -> int:
    return finish - duration + 1 if duration > 0 else finish


def compute_schedule(
    nodes: Iterable[Node],
    *,
    planned_start: datetime.date | None,
    today: datetime.date,
    calendar: WorkdayCalendar,
    details: bool = True,
) -> Schedule:
    """Both passes over one project's milestones. Without ``details`` only the summary (the
    dates, risk, float and warnings a project's stored summary keeps): no result per
    milestone, which the nightly recompute of every project does not need."""
    nodes = list(nodes)
    warnings: list[str] = []
    for node in nodes:
        if node.duration < 0:
            raise ScheduleError(
                _("节点“%(name)s”的工期不能为负数。") % {"name": node.name},
                code="negative_duration",
            )
        if any(lag < 0 for _p, lag in node.predecessors):
            raise ScheduleError(
                _("节点“%(name)s”的滞后天数不能为负数。") % {"name": node.name}, code="negative_lag"
            )
    anchors = [node for node in nodes if node.anchor]
    if len(anchors) > 1:
        raise ScheduleError(_("一个项目只能有一个开工节点。"), code="multiple_anchors")
    if not nodes:
        return Schedule(planned_start, None, False, False, [], [])
    anchor = anchors[0] if anchors else None
    if anchor is not None and any(
        predecessor == anchor.id for node in nodes for predecessor, _lag in node.predecessors
    ):
        topological_order(nodes)  # a cycle or an unknown predecessor is reported first
        raise ScheduleError(
            _("开工节点是倒排的终点，不能作为其他节点的前置节点。"), code="anchor_has_successor"
        )
    entered = nodes
    shown = {}
    if anchor is None:
        warnings.append(_("尚未设置开工节点，无法倒排最迟时间。"))
    else:
        # Every milestone must be finished before construction starts: one with no successor
        # is linked to the anchor with no lag.
        linked = {p for node in nodes for p, _lag in node.predecessors}
        implicit = tuple(
            (node.id, 0) for node in nodes if node is not anchor and node.id not in linked
        )
        implicit = tuple(link for link in implicit if link[0] not in dict(anchor.predecessors))
        if implicit:
            nodes = [
                node._replace(predecessors=node.predecessors + implicit) if node is anchor else node
                for node in nodes
            ]
            shown = {anchor.id: anchor.predecessors}
            anchor = next(node for node in nodes if node.anchor)
    try:
        # The links into the anchor, which has no successor, add no cycle: one ordering of
        # the milestones with them also checks the links as entered.
        order = topological_order(nodes)
    except ScheduleError:
        topological_order(entered)  # the error as the links were entered
        raise

    try:
        schedule = _passes(order, anchor, planned_start, today, calendar, warnings, details)
    except CalendarRangeError as error:
        raise ScheduleError(error.messages[0], code="calendar_range") from error
    for result in schedule.milestones:
        # report the links as entered, not the implicit ones
        if result.id in shown:
            result.predecessors = shown[result.id]
    return schedule


def _passes(order, anchor, planned_start, today, calendar, warnings, details) -> Schedule:
    anchor_date, latest_start, latest_finish = _backward(
        order, anchor, planned_start, calendar, warnings
    )
    earliest_start, earliest_finish = _forward(order, today, calendar, warnings)
    at_risk = False
    min_float = None
    for node in order:
        if node.id in latest_start:
            total_float = latest_start[node.id] - earliest_start[node.id]
            at_risk = at_risk or total_float < 0
            if node.actual_finish is None and (min_float is None or total_float < min_float):
                min_float = total_float
    forecast = None
    if anchor is not None:
        forecast = _earliest_start_day(anchor, earliest_start, calendar)
        if anchor_date is not None and forecast > anchor_date:
            warnings.append(
                _("按当前进度预计%(forecast)s才能开工，晚于计划开工日期%(anchor)s。")
                % {"forecast": forecast.isoformat(), "anchor": anchor_date.isoformat()}
            )
    provisional = calendar.provisional_years(
        today, planned_start, *_span(order, calendar, latest_start, earliest_start, earliest_finish)
    )
    if provisional:
        warnings.append(
            _("%(years)s年的节假日安排尚未录入工作日历，相关日期暂按仅周末休息推算。")
            % {"years": "、".join(str(year) for year in provisional)}
        )
    return Schedule(
        anchor_date=anchor_date,
        forecast_anchor_date=forecast,
        at_risk=at_risk,
        calendar_provisional=bool(provisional),
        warnings=warnings,
        milestones=_results(
            order, calendar, latest_start, latest_finish, earliest_start, earliest_finish
        )
        if details
        else [],
        min_float=min_float,
    )


def _earliest_start_day(node: Node, earliest_start, calendar) -> datetime.date:
    """The milestone's earliest start as shown: its actual start once under way."""
    if node.status != NOT_STARTED and node.actual_start:
        return node.actual_start
    return calendar.day_of(earliest_start[node.id])


def _earliest_finish_day(node: Node, earliest_finish, calendar) -> datetime.date:
    """The milestone's earliest finish as shown: its actual finish once done."""
    if node.status == DONE and node.actual_finish:
        return node.actual_finish
    return calendar.day_of(earliest_finish[node.id])


def _span(order, calendar, latest_start, earliest_start, earliest_finish) -> list[datetime.date]:
    """The first and last of the dates shown (latest starts, earliest starts and finishes),
    found among the working-day numbers so that only those two become dates."""
    numbers = list(latest_start.values())
    dates = []
    for node in order:
        if node.status != NOT_STARTED and node.actual_start:
            dates.append(node.actual_start)
        else:
            numbers.append(earliest_start[node.id])
        if node.status == DONE and node.actual_finish:
            dates.append(node.actual_finish)
        else:
            numbers.append(earliest_finish[node.id])
    if numbers:
        dates += (calendar.day_of(min(numbers)), calendar.day_of(max(numbers)))
    return dates


def _backward(order, anchor, planned_start, calendar, warnings):
    """Backward pass from the anchor: the anchor's date and the latest start and finish of
    each milestone (working-day numbers); none without an anchor or a planned start."""
    latest_start: dict[Hashable, int] = {}
    latest_finish: dict[Hashable, int] = {}
    if anchor is None:
        return None, latest_start, latest_finish
    if planned_start is None:
        warnings.append(_("项目未填写计划开工日期，无法倒排最迟时间。"))
        return None, latest_start, latest_finish
    anchor_number = calendar.number_on_or_before(planned_start)
    anchor_date = calendar.day_of(anchor_number)
    if anchor_date != planned_start:
        warnings.append(
            _("计划开工日期%(planned)s不是工作日，按前一个工作日%(anchor)s倒排。")
            % {"planned": planned_start.isoformat(), "anchor": anchor_date.isoformat()}
        )
    successors: dict[Hashable, list[tuple[Hashable, int]]] = {node.id: [] for node in order}
    for node in order:
        for predecessor, lag in node.predecessors:
            successors[predecessor].append((node.id, lag))
    for node in reversed(order):
        if node is anchor:
            finish = _finish(anchor_number, node.duration)
        else:
            finish = min(
                latest_start[succ] - lag - (1 if node.duration > 0 else 0)
                for succ, lag in successors[node.id]
            )
        latest_finish[node.id] = finish
        latest_start[node.id] = _start(finish, node.duration)
    return anchor_date, latest_start, latest_finish


def _forward(order, today, calendar, warnings):
    """Forward pass from today and the actual dates: the earliest start and finish of each
    milestone (working-day numbers)."""
    durations = {node.id: node.duration for node in order}
    now = calendar.number_on_or_after(today)
    earliest_start: dict[Hashable, int] = {}
    earliest_finish: dict[Hashable, int] = {}
    for node in order:
        if node.status == DONE and node.actual_finish is not None:
            finish = calendar.number_on_or_before(node.actual_finish)
            if node.actual_start is not None:
                start = min(calendar.number_on_or_after(node.actual_start), finish)
            else:
                start = _start(finish, node.duration)
        elif node.status in (DONE, IN_PROGRESS):
            start, finish = _under_way(node, now, calendar, warnings)
        else:
            start = now
            for predecessor, lag in node.predecessors:
                start = max(
                    start,
                    _release(earliest_finish[predecessor], durations[predecessor]) + lag,
                )
            finish = _finish(start, node.duration)
        earliest_start[node.id] = start
        earliest_finish[node.id] = finish
    return earliest_start, earliest_finish


def _under_way(node: Node, now: int, calendar: WorkdayCalendar, warnings) -> tuple[int, int]:
    """Start and finish of a milestone in progress, or marked done without a finish date."""
    if node.status == DONE:
        warnings.append(
            _("节点“%(name)s”已标记完成但未填写实际完成日期，按今天推算。") % {"name": node.name}
        )
    if node.actual_start is not None:
        start = calendar.number_on_or_after(node.actual_start)
    else:
        start = now
        warnings.append(
            _("节点“%(name)s”已开始但未填写实际开始日期，按今天推算。") % {"name": node.name}
        )
    finish = _finish(start, node.duration)
    if node.status == IN_PROGRESS and finish < now:
        warnings.append(
            _("节点“%(name)s”已超过工期（%(days)s个工作日）仍未完成。")
            % {"name": node.name, "days": node.duration}
        )
    return start, finish


def _results(order, calendar, latest_start, latest_finish, earliest_start, earliest_finish):
    """One result per milestone, in ``order``, with its dates and float."""
    results = []
    for node in order:
        total_float = None
        if node.id in latest_start:
            total_float = latest_start[node.id] - earliest_start[node.id]
        results.append(
            NodeResult(
                id=node.id,
                name=node.name,
                duration=node.duration,
                predecessors=node.predecessors,
                latest_start=_day(calendar, latest_start.get(node.id)),
                latest_finish=_day(calendar, latest_finish.get(node.id)),
                earliest_start=_earliest_start_day(node, earliest_start, calendar),
                earliest_finish=_earliest_finish_day(node, earliest_finish, calendar),
                actual_start=node.actual_start,
                actual_finish=node.actual_finish,
                total_float=total_float,
                critical=total_float is not None and total_float <= 0,
                anchor=node.anchor,
            )
        )
    return results


def _day(calendar: WorkdayCalendar, number: int | None) -> datetime.date | None:
    return None if number is None else calendar.day_of(number)
