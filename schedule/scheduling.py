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
import functools
import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import get_language, gettext

from .workdays import CalendarRangeError, WorkdayCalendar

NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"


def _(message: str) -> str:
    """``gettext``, remembered per language: the nightly recompute of every project asks for
    the same few sentences thousands of times."""
    return _translated(get_language(), message)


@functools.lru_cache(maxsize=128)
def _translated(language: str | None, message: str) -> str:
    return gettext(message)


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


# The conventions in working-day numbers (inlined in the passes, which run for every milestone
# of every project each night).


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
    finish_not_before: Mapping[Hashable, datetime.date] | None = None,
) -> Schedule:
    """Both passes over one project's milestones. Without ``details`` only the summary (the
    dates, risk, float and warnings a project's stored summary keeps): no result per
    milestone, which the nightly recompute of every project does not need.

    ``finish_not_before`` (milestone id → day) holds milestones that are not done back: such
    a milestone may begin and go on as usual but cannot finish before that day (an open
    problem blocking it, :mod:`schedule.impact`); its successors wait for it, and its float is
    the lesser of its start's and its finish's.

    ``nodes`` are :class:`Node` values or plain tuples in its field order (the nightly
    recompute builds tens of thousands of them). The passes run on the milestones' positions
    in the list and on working-day numbers; only the figures shown become dates."""
    nodes = list(nodes)
    if not nodes:
        return Schedule(planned_start, None, False, False, [], [])
    network = _network(nodes)
    anchor = network.anchor
    warnings: list[str] = []
    if anchor is None:
        warnings.append(_("尚未设置开工节点，无法倒排最迟时间。"))
    try:
        held = [None] * len(nodes)
        if finish_not_before:
            for index, node in enumerate(nodes):
                day = finish_not_before.get(node[0])
                if day is not None and node[4] != DONE:
                    held[index] = calendar.number_on_or_after(day)
        return _passes(
            nodes, network, anchor, planned_start, today, calendar, warnings, details, held
        )
    except CalendarRangeError as error:
        raise ScheduleError(error.messages[0], code="calendar_range") from error


class _Network(NamedTuple):
    """A project's links by position in its list of milestones, with the implicit links of
    the milestones without successor into the anchor."""

    #: every position after those of its predecessors
    order: Sequence[int]
    #: per position, (predecessor's position, lag)
    predecessors: list[list[tuple[int, int]]]
    anchor: int | None


def _network(nodes: list[Node]) -> _Network:
    """The links by position, the anchor's position and one ordering; refuses, in this order:
    a negative duration or lag, more than one anchor, what :func:`topological_order` refuses,
    a link out of the anchor."""
    position = {node[0]: index for index, node in enumerate(nodes)}
    predecessors: list[list[tuple[int, int]]] = []
    has_successor = [False] * len(nodes)
    listed_in_order = True  # every predecessor listed before its successor
    anchor = None
    anchors = 0
    unknown = None  # the first milestone with a predecessor not among them
    for index, (_id, name, duration, entered, _s, _a, _f, is_anchor) in enumerate(nodes):
        if duration < 0:
            raise ScheduleError(
                _("节点“%(name)s”的工期不能为负数。") % {"name": name},
                code="negative_duration",
            )
        links = []
        for predecessor, lag in entered:
            if lag < 0:
                raise ScheduleError(
                    _("节点“%(name)s”的滞后天数不能为负数。") % {"name": name},
                    code="negative_lag",
                )
            at = position.get(predecessor)
            if at is None:
                unknown = unknown or (name,)
                continue
            if at >= index:
                listed_in_order = False
            links.append((at, lag))
            has_successor[at] = True
        predecessors.append(links)
        if is_anchor:
            anchors += 1
            anchor = index
    if anchors > 1:
        raise ScheduleError(_("一个项目只能有一个开工节点。"), code="multiple_anchors")
    if unknown:
        raise ScheduleError(
            _("节点“%(name)s”的前置节点不存在。") % {"name": unknown[0]},
            code="unknown_predecessor",
        )
    if anchor is not None and not _link_to_anchor(nodes, predecessors, has_successor, anchor):
        listed_in_order = False
    if listed_in_order:
        # what the ordering below gives then (the usual case: a template lists the steps in
        # order), and no cycle is possible
        return _Network(range(len(nodes)), predecessors, anchor)
    return _Network(_ordered(nodes, predecessors), predecessors, anchor)


def _link_to_anchor(nodes, predecessors, has_successor, anchor: int) -> bool:
    """Every milestone must be finished before construction starts: link each one with no
    successor to the anchor with no lag. Refuses a link out of the anchor; whether every
    implicit link comes from a milestone listed before the anchor."""
    if has_successor[anchor]:
        topological_order(list(map(Node._make, nodes)))  # a cycle is reported first
        raise ScheduleError(
            _("开工节点是倒排的终点，不能作为其他节点的前置节点。"),
            code="anchor_has_successor",
        )
    listed_before = True
    for index, linked in enumerate(has_successor):
        if not linked and index != anchor:
            predecessors[anchor].append((index, 0))
            if index > anchor:
                listed_before = False
    return listed_before


def _ordered(nodes: list[Node], predecessors: list[list[tuple[int, int]]]) -> list[int]:
    """Kahn's ordering of the positions, the ready milestones by their position: the first
    listed goes first."""
    successors: list[list[int]] = [[] for _node in nodes]
    for index, links in enumerate(predecessors):
        for predecessor, _lag in links:
            successors[predecessor].append(index)
    waiting = [len(links) for links in predecessors]
    ready = [index for index, count in enumerate(waiting) if not count]
    order = []
    while ready:
        current = heapq.heappop(ready)
        order.append(current)
        for successor in successors[current]:
            waiting[successor] -= 1
            if not waiting[successor]:
                heapq.heappush(ready, successor)
    if len(order) < len(nodes):
        # The links into the anchor, which has no successor, add no cycle: the cycle is one
        # of the links as entered, reported as such.
        topological_order(list(map(Node._make, nodes)))
        raise AssertionError("a cycle that topological_order did not find")
    return order


def _passes(nodes, network, anchor, planned_start, today, calendar, warnings, details, held):
    anchor_date, latest_start = _backward(nodes, network, anchor, planned_start, calendar, warnings)
    forward = _forward(nodes, network, latest_start, today, calendar, warnings, held)
    forecast = None
    if anchor is not None:
        forecast = _earliest_start_day(nodes[anchor], forward.earliest_start[anchor], calendar)
        if anchor_date is not None and forecast > anchor_date:
            warnings.append(late_start_warning(forecast, anchor_date))
    # the span of the dates shown, found among the working-day numbers so that only the
    # first and the last become dates
    numbers = forward.numbers_shown + latest_start if latest_start else forward.numbers_shown
    shown = forward.dates_shown
    if numbers:
        shown += (calendar.day_of(min(numbers)), calendar.day_of(max(numbers)))
    provisional = calendar.provisional_years(today, planned_start, *shown)
    if provisional:
        warnings.append(provisional_warning(provisional))
    return Schedule(
        anchor_date=anchor_date,
        forecast_anchor_date=forecast,
        at_risk=forward.at_risk,
        calendar_provisional=bool(provisional),
        warnings=warnings,
        milestones=_results(
            nodes,
            network.order,
            calendar,
            latest_start,
            forward.earliest_start,
            forward.earliest_finish,
            held,
        )
        if details
        else [],
        min_float=forward.min_float,
    )


# The warnings of a schedule that the nightly recompute also gives
# (:mod:`schedule.recompute`, which runs the passes on its own for the usual projects).


def not_a_working_day_warning(planned_start: datetime.date, anchor_date: datetime.date) -> str:
    return _("计划开工日期%(planned)s不是工作日，按前一个工作日%(anchor)s倒排。") % {
        "planned": planned_start.isoformat(),
        "anchor": anchor_date.isoformat(),
    }


def past_duration_warning(name: str, duration: int) -> str:
    return _("节点“%(name)s”已超过工期（%(days)s个工作日）仍未完成。") % {
        "name": name,
        "days": duration,
    }


def late_start_warning(forecast: datetime.date, anchor_date: datetime.date) -> str:
    return _("按当前进度预计%(forecast)s才能开工，晚于计划开工日期%(anchor)s。") % {
        "forecast": forecast.isoformat(),
        "anchor": anchor_date.isoformat(),
    }


def provisional_warning(years: Iterable[int]) -> str:
    return _("%(years)s年的节假日安排尚未录入工作日历，相关日期暂按仅周末休息推算。") % {
        "years": "、".join(str(year) for year in years)
    }


def _earliest_start_day(node: Node, number: int, calendar) -> datetime.date:
    """The milestone's earliest start as shown: its actual start once under way."""
    _id, _name, _duration, _links, status, actual_start, _actual_finish, _anchor = node
    if status != NOT_STARTED and actual_start:
        return actual_start
    return calendar.day_of(number)


def _earliest_finish_day(node: Node, number: int, calendar) -> datetime.date:
    """The milestone's earliest finish as shown: its actual finish once done."""
    _id, _name, _duration, _links, status, _actual_start, actual_finish, _anchor = node
    if status == DONE and actual_finish:
        return actual_finish
    return calendar.day_of(number)


def latest_starts(order, durations, predecessors, anchor: int, anchor_number: int) -> list[int]:
    """The backward pass: the latest start (working-day number) of each milestone, by
    position, when the anchor starts on working day ``anchor_number``. ``order`` lists the
    positions predecessors first; ``predecessors`` gives each position's (predecessor's
    position, lag) pairs, the links into the anchor of those without successor included."""
    latest_start = [0] * len(durations)
    # per position, the least of its successors' latest starts less the lag, filled in as
    # the successors are reached (each before its predecessors, backwards)
    bound: list[int | None] = [None] * len(durations)
    for index in reversed(order):
        duration = durations[index]
        if index == anchor:
            finish = anchor_number + duration - 1 if duration > 0 else anchor_number
        else:
            # every milestone but the anchor has a successor (the implicit links)
            finish = bound[index]
            if duration > 0:
                finish -= 1
        start = finish - duration + 1 if duration > 0 else finish
        latest_start[index] = start
        for predecessor, lag in predecessors[index]:
            latest = start - lag
            known = bound[predecessor]
            if known is None or latest < known:
                bound[predecessor] = latest
    return latest_start


def _backward(nodes, network, anchor, planned_start, calendar, warnings):
    """Backward pass from the anchor: the anchor's date and the latest start of each milestone
    (working-day numbers, by position); none without an anchor or a planned start."""
    if anchor is None:
        return None, None
    if planned_start is None:
        warnings.append(_("项目未填写计划开工日期，无法倒排最迟时间。"))
        return None, None
    anchor_number = calendar.number_on_or_before(planned_start)
    anchor_date = calendar.day_of(anchor_number)
    if anchor_date != planned_start:
        warnings.append(not_a_working_day_warning(planned_start, anchor_date))
    durations = [node[2] for node in nodes]
    latest_start = latest_starts(
        network.order, durations, network.predecessors, anchor, anchor_number
    )
    return anchor_date, latest_start


class _Forward(NamedTuple):
    """What the forward pass finds, by position; with each milestone's float once the
    backward pass has run."""

    earliest_start: list[int]
    earliest_finish: list[int]
    at_risk: bool
    #: the least total float of the milestones not finished
    min_float: int | None
    #: the earliest starts and finishes shown as working-day numbers, and as actual dates
    numbers_shown: list[int]
    dates_shown: list[datetime.date]


def _forward(nodes, network, latest_start, today, calendar, warnings, held) -> _Forward:
    """Forward pass from today and the actual dates: the earliest start and finish of each
    milestone (working-day numbers, by position); a milestone not done that is ``held`` (by
    position: a working-day number, or None) does not finish before that day."""
    on_or_before = calendar.number_on_or_before
    on_or_after = calendar.number_on_or_after
    now = on_or_after(today)
    predecessors = network.predecessors
    earliest_start = [0] * len(nodes)
    earliest_finish = [0] * len(nodes)
    at_risk = False
    min_float = None
    numbers_shown = []
    dates_shown = []
    for index in network.order:
        _id, name, duration, _links, status, actual_start, actual_finish, _anchor = nodes[index]
        if status == DONE and actual_finish is not None:
            finish = on_or_before(actual_finish)
            if actual_start is not None:
                start = min(on_or_after(actual_start), finish)
            else:
                start = _start(finish, duration)
        elif status == DONE or status == IN_PROGRESS:
            start, finish = _under_way(
                name, duration, status, actual_start, now, calendar, warnings
            )
        else:
            start = now
            for predecessor, lag in predecessors[index]:
                # the first day after the predecessor's last (its own day for an event), + lag
                release = earliest_finish[predecessor] + lag
                if nodes[predecessor][2] > 0:
                    release += 1
                if release > start:
                    start = release
            finish = start + duration - 1 if duration > 0 else start
        hold = held[index]
        if hold is not None:
            start, finish = _held_back(hold, start, finish, duration)
        earliest_start[index] = start
        earliest_finish[index] = finish
        if latest_start is not None:
            total_float = latest_start[index] - start
            if hold is not None:
                total_float = _held_float(latest_start[index], start, finish, duration)
            if total_float < 0:
                at_risk = True
            if actual_finish is None and (min_float is None or total_float < min_float):
                min_float = total_float
        # as _earliest_start_day and _earliest_finish_day show them
        if status != NOT_STARTED and actual_start:
            dates_shown.append(actual_start)
        else:
            numbers_shown.append(start)
        if status == DONE and actual_finish:
            dates_shown.append(actual_finish)
        else:
            numbers_shown.append(finish)
    return _Forward(earliest_start, earliest_finish, at_risk, min_float, numbers_shown, dates_shown)


def _held_back(hold: int, start: int, finish: int, duration: int) -> tuple[int, int]:
    """A milestone that cannot finish before ``hold``: it begins as it would, its finish
    waits (an event, with no duration, moves as a whole)."""
    if hold <= finish:
        return start, finish
    return (hold if duration == 0 else start), hold


def _held_float(latest: int, start: int, finish: int, duration: int) -> int:
    """The float of a milestone held back: the lesser of its start's and its finish's."""
    return min(latest - start, _finish(latest, duration) - finish)


def _under_way(name, duration, status, actual_start, now, calendar, warnings) -> tuple[int, int]:
    """Start and finish of a milestone in progress, or marked done without a finish date."""
    if status == DONE:
        warnings.append(
            _("节点“%(name)s”已标记完成但未填写实际完成日期，按今天推算。") % {"name": name}
        )
    if actual_start is not None:
        start = calendar.number_on_or_after(actual_start)
    else:
        start = now
        warnings.append(
            _("节点“%(name)s”已开始但未填写实际开始日期，按今天推算。") % {"name": name}
        )
    finish = _finish(start, duration)
    if status == IN_PROGRESS and finish < now:
        warnings.append(past_duration_warning(name, duration))
    return start, finish


def _results(nodes, order, calendar, latest_start, earliest_start, earliest_finish, held):
    """One result per milestone, in ``order``, with its dates and float (for a milestone held
    back, the lesser of its start's and its finish's); the links as entered (not the implicit
    ones)."""
    results = []
    for index in order:
        node = nodes[index]
        node_id, name, duration, predecessors, _status, actual_start, actual_finish, anchor = node
        total_float = latest = None
        if latest_start is not None:
            latest = latest_start[index]
            total_float = latest - earliest_start[index]
            if held[index] is not None:
                total_float = _held_float(
                    latest, earliest_start[index], earliest_finish[index], duration
                )
        results.append(
            NodeResult(
                id=node_id,
                name=name,
                duration=duration,
                predecessors=predecessors,
                latest_start=None if latest is None else calendar.day_of(latest),
                latest_finish=None
                if latest is None
                else calendar.day_of(_finish(latest, duration)),
                earliest_start=_earliest_start_day(node, earliest_start[index], calendar),
                earliest_finish=_earliest_finish_day(node, earliest_finish[index], calendar),
                actual_start=actual_start,
                actual_finish=actual_finish,
                total_float=total_float,
                critical=total_float is not None and total_float <= 0,
                anchor=anchor,
            )
        )
    return results
