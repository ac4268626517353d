"""The schedule computations that follow every write to milestones: one project's schedule as
of today (:func:`project_schedule`), and the stored summary of each project
(:class:`~schedule.models.ProjectSchedule`) the lists and indicators read.

The services recompute a project's summary in the same transaction as each change to its
milestones (:func:`recompute_project`); calendar changes and the nightly job recompute every
project (:func:`recompute_all`).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import groupby
from operator import itemgetter, sub
from typing import NamedTuple

from django.db import connection, connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from core.exceptions import DomainError
from projects.models import Project

from .impact import blocks_by_project, holds, impacts
from .models import ANCHOR_KIND, Milestone, MilestoneLink, ProjectSchedule
from .scheduling import (
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    Node,
    Schedule,
    ScheduleError,
    compute_schedule,
    late_start_warning,
    latest_starts,
    not_a_working_day_warning,
    past_duration_warning,
    provisional_warning,
)
from .workdays import FIRST_DAY, LAST_DAY, WorkdayCalendar, current_calendar


def milestone_node(milestone: Milestone, links: Iterable[tuple[int, int]]) -> Node:
    return Node(
        id=milestone.pk,
        name=milestone.name,
        duration=milestone.duration_days,
        predecessors=tuple(links),
        status=milestone.status,
        actual_start=milestone.actual_start,
        actual_finish=milestone.actual_finish,
        anchor=milestone.kind == ANCHOR_KIND,
    )


def milestones_by_project(project_ids) -> dict[int, list[Milestone]]:
    """The milestones of these projects in display order, with their units and links, by
    project (two queries)."""
    found: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in (
        Milestone.objects.filter(project_id__in=list(project_ids))
        .select_related("responsible_unit")
        .prefetch_related("predecessor_links")
    ):
        found[milestone.project_id].append(milestone)
    return found


def nodes_of(milestones: Iterable[Milestone]) -> list[Node]:
    """The scheduler's nodes of one project's milestones (their links prefetched)."""
    return [
        milestone_node(
            m, [(link.predecessor_id, link.lag_days) for link in m.predecessor_links.all()]
        )
        for m in milestones
    ]


def project_schedule(
    project: Project,
    *,
    today: datetime.date | None = None,
    calendar: WorkdayCalendar | None = None,
) -> tuple[Schedule, list[Milestone]]:
    """The schedule of one project as of today (its open blocking tickets holding their
    milestones back, :mod:`schedule.impact`), and its milestones in display order."""
    schedule, milestones, _impacts = project_impacts(project, today=today, calendar=calendar)
    return schedule, milestones


def project_impacts(
    project: Project,
    *,
    today: datetime.date | None = None,
    calendar: WorkdayCalendar | None = None,
    what_if=None,
    with_durations: bool = False,
):
    """:func:`project_schedule` with what each open blocking ticket costs (schedule, milestones,
    impacts); ``what_if`` (:class:`schedule.whatif.WhatIf`) changes the planned start, the
    milestones' expected finishes and the tickets' deadlines first, nothing saved — with
    ``with_durations`` the durations those finishes give come fourth."""
    from .whatif import durations

    milestones = milestones_by_project([project.pk]).get(project.pk, [])
    nodes = nodes_of(milestones)
    blocks = blocks_by_project([project.pk]).get(project.pk, []) if milestones else []
    today = today or timezone.localdate()
    calendar = calendar or current_calendar()
    planned = project.planned_start
    changed: dict[int, int] = {}
    try:
        if what_if:
            if what_if.finishes:
                baseline, _found = impacts(
                    nodes, planned_start=planned, today=today, calendar=calendar, blocks=blocks
                )
                changed = durations(what_if, nodes, baseline, calendar)
                nodes = [
                    node._replace(duration=changed[node.id]) if node.id in changed else node
                    for node in nodes
                ]
            blocks = [
                replace(block, deadline=what_if.deadlines.get(block.issue_id, block.deadline))
                for block in blocks
            ]
            planned = what_if.planned_start or planned
        schedule, found = impacts(
            nodes, planned_start=planned, today=today, calendar=calendar, blocks=blocks
        )
    except ScheduleError as error:
        raise DomainError(error.message, code=error.code) from error
    if with_durations:
        return schedule, milestones, found, changed
    return schedule, milestones, found


#: what a project's stored summary holds besides the day and time it was computed: project id,
#: anchor date, forecast anchor date, at risk, least float, calendar provisional, warnings
Summary = tuple[int, datetime.date | None, datetime.date | None, bool, int | None, bool, list[str]]


def _summary(project_id: int, schedule: Schedule | None, error: str) -> Summary:
    if schedule is None:
        return (project_id, None, None, False, None, False, [error])
    return (
        project_id,
        schedule.anchor_date,
        schedule.forecast_anchor_date,
        schedule.at_risk,
        schedule.min_float,
        schedule.calendar_provisional,
        schedule.warnings,
    )


_SUMMARY_FIELDS = [
    "anchor_date",
    "forecast_anchor_date",
    "at_risk",
    "min_float",
    "calendar_provisional",
    "warnings",
]


def _store(summaries: Sequence[Summary], today: datetime.date) -> datetime.datetime:
    """Insert or replace the projects' summaries, computed for ``today`` at this moment (the
    ``computed_at`` returned).

    On PostgreSQL one statement for them all: the summaries travel as one JSON document that
    the server unpacks, since binding thousands of rows of parameters in Python took longer than
    the passes themselves."""
    now = timezone.now()
    if not summaries:
        return now
    if connection.vendor != "postgresql":
        ProjectSchedule.objects.bulk_create(
            [
                ProjectSchedule(
                    project_id=summary[0],
                    **dict(zip(_SUMMARY_FIELDS, summary[1:], strict=True)),
                    computed_for=today,
                    computed_at=now,
                )
                for summary in summaries
            ],
            update_conflicts=True,
            unique_fields=["project"],
            update_fields=[*_SUMMARY_FIELDS, "computed_for", "computed_at"],
            batch_size=500,
        )
        return now
    payload = json.dumps(
        [
            [project_id, _iso(anchor), _iso(forecast), risk, least_float, provisional, warnings]
            for project_id, anchor, forecast, risk, least_float, provisional, warnings in summaries
        ],
        ensure_ascii=False,
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_POSTGRESQL, [today, now, payload])
    return now


def _iso(day: datetime.date | None) -> str | None:
    return None if day is None else day.isoformat()


# The summaries as one JSON array of rows, unpacked by the server.
_UPSERT_POSTGRESQL = """
INSERT INTO schedule_projectschedule (
    project_id, anchor_date, forecast_anchor_date, at_risk, min_float, calendar_provisional,
    warnings, computed_for, computed_at
)
SELECT (row->>0)::bigint, (row->>1)::date, (row->>2)::date, (row->>3)::boolean,
       (row->>4)::integer, (row->>5)::boolean, (row->6)::jsonb, %s, %s
FROM jsonb_array_elements(%s::jsonb) AS row
ON CONFLICT (project_id) DO UPDATE SET
    anchor_date = EXCLUDED.anchor_date,
    forecast_anchor_date = EXCLUDED.forecast_anchor_date,
    at_risk = EXCLUDED.at_risk,
    min_float = EXCLUDED.min_float,
    calendar_provisional = EXCLUDED.calendar_provisional,
    warnings = EXCLUDED.warnings,
    computed_for = EXCLUDED.computed_for,
    computed_at = EXCLUDED.computed_at
"""


def recompute_project(
    project: Project, *, today=None, calendar: WorkdayCalendar | None = None
) -> Schedule | None:
    """Recompute and store one project's schedule summary (none when it has no milestones)."""
    today = today or timezone.localdate()
    if not project.milestones.exists():
        ProjectSchedule.objects.filter(project=project).delete()
        return None
    try:
        schedule, _milestones = project_schedule(project, today=today, calendar=calendar)
    except DomainError as error:
        _store([_summary(project.pk, None, error.messages[0])], today)
        return None
    _store([_summary(project.pk, schedule, "")], today)
    return schedule


#: projects recomputed together by :func:`recompute_all`: read, computed and stored in one go,
#: so the memory a run needs is that of this many projects' milestones (about 1 KB each at 15
#: milestones), whatever the size of the library
RECOMPUTE_CHUNK = 5000


def recompute_all(
    *, today=None, calendar: WorkdayCalendar | None = None, projects: Iterable[int] | None = None
) -> int:
    """Recompute every project's schedule (or those of the ``projects`` with these ids), in
    chunks of :data:`RECOMPUTE_CHUNK` projects of a handful of queries each; returns how many."""
    today = today or timezone.localdate()
    calendar = calendar or current_calendar()
    if projects is not None:
        projects = list(projects)
        chunks = [
            projects[at : at + RECOMPUTE_CHUNK] for at in range(0, len(projects), RECOMPUTE_CHUNK)
        ]
        return sum(_recompute_chunk(chunk, today, calendar) for chunk in chunks)
    # every project, in ranges of ids: each after the last one's end, up to the id
    # RECOMPUTE_CHUNK projects on (none: to the end)
    done, after = 0, 0
    ids = Project.objects.order_by("pk").values_list("pk", flat=True)
    while True:
        last = next(iter(ids.filter(pk__gt=after)[RECOMPUTE_CHUNK - 1 : RECOMPUTE_CHUNK]), None)
        done += _recompute_chunk((after, last), today, calendar)
        if last is None:
            return done
        after = last


def _recompute_chunk(projects: list[int] | tuple[int, int | None], today, calendar) -> int:
    """The projects with these ids (a list) or in this range of ids (a pair: after the first,
    up to the second or to the end): their summaries computed and stored, those of projects
    without milestones removed."""
    if isinstance(projects, tuple):
        after, last = projects
        within = {"project_id__gt": after} if after else {}  # from the first project: no bound
        if last is not None:
            within["project_id__lte"] = last
        rows = Milestone.objects.filter(**within)
        link_rows = MilestoneLink.objects.filter(
            **{f"successor__{lookup}": value for lookup, value in within.items()}
        )
        summaries_kept = ProjectSchedule.objects.filter(**within)
        project_rows = Project.objects.filter(
            **{lookup.replace("project_id", "pk"): value for lookup, value in within.items()}
        )
    else:
        rows = Milestone.objects.filter(project_id__in=projects)
        link_rows = MilestoneLink.objects.filter(successor__project_id__in=projects)
        summaries_kept = ProjectSchedule.objects.filter(project_id__in=projects)
        project_rows = Project.objects.filter(pk__in=projects)
    with _garbage_collector_paused():
        summaries = _compute(rows, link_rows, project_rows, today, calendar)
    with transaction.atomic():
        stamped = _store(summaries, today)
        # the summaries this run did not write are those of projects without milestones, unless
        # a project got its first milestones meanwhile: only those without any are removed (the
        # few left over, not every summary against every milestone)
        left = list(
            summaries_kept.exclude(computed_at=stamped).values_list("project_id", flat=True)
        )
        if left:
            ProjectSchedule.objects.filter(project_id__in=left).exclude(
                Exists(Milestone.objects.filter(project_id=OuterRef("project_id")))
            ).delete()
    return len(summaries)


def _compute(rows, link_rows, project_rows, today, calendar) -> list[Summary]:
    """The summary of every project of these milestone and link rows (the projects'
    ``project_rows`` hold the planned starts).

    The usual project (its milestones listed after their predecessors, one anchor, a planned
    start, dates the calendar covers, no ticket holding a milestone back) goes through
    :func:`_usual_summary`; any other through :func:`~schedule.scheduling.compute_schedule`,
    which has the last word on everything :func:`_usual_summary` leaves to it."""
    planned = dict(_rows(project_rows.order_by().values_list("pk", "planned_start")))
    links: dict[int, list[tuple[int, int]]] = {}
    for successor, predecessor, lag in _rows(
        # in any order (the model's orders by the predecessor's position: a join and a sort)
        link_rows.order_by().values_list("successor_id", "predecessor_id", "lag_days"),
        binary=True,
    ):
        if successor in links:
            links[successor].append((predecessor, lag))
        else:
            links[successor] = [(predecessor, lag)]
    # the open tickets that hold a milestone back, by project (a few: one query)
    held = {
        project_id: holds(blocks, today)
        for project_id, blocks in blocks_by_project(
            project_rows.values_list("pk", flat=True)
        ).items()
    }
    summaries, others = _usual_summaries(rows, links, planned, held, today, calendar)
    if others:
        # with every name: an error may name any milestone
        for project_id, planned_start, nodes in _projects(
            rows.filter(project_id__in=others), links, planned
        ):
            try:
                schedule = _summary_schedule(
                    nodes, planned_start, today, calendar, held.get(project_id)
                )
                summaries.append(_summary(project_id, schedule, ""))
            except ScheduleError as error:
                summaries.append(_summary(project_id, None, error.message))
    return summaries


def _summary_schedule(nodes, planned_start, today, calendar, held=None) -> Schedule:
    """A project's schedule as its stored summary needs it (no dates per milestone)."""
    return compute_schedule(
        nodes,
        planned_start=planned_start,
        today=today,
        calendar=calendar,
        details=False,
        finish_not_before=held,
    )


@contextlib.contextmanager
def _garbage_collector_paused():
    """Python's cycle collector paused: reading and scheduling every project allocates
    hundreds of thousands of small tuples and lists, none of them in a cycle, and each
    allocation threshold started a collection that walked every object of the process — a
    third of the nightly run's time. Reference counting frees them all the same; the
    collector resumes afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _projects(rows, links, planned: dict):
    """Each project of these milestone rows with milestones, in the order of their ids: its id,
    its planned start (from ``planned``, by project id) and its milestones in display order, as
    tuples in :class:`Node`'s field order (``links``: (predecessor, lag) by successor id).

    For the projects :func:`_usual_summary` leaves to ``compute_schedule`` (a few): the status
    follows from the dates, as the table's ``milestone_status_matches_dates`` constraint has
    it, and every milestone has its name (an error may name any)."""
    rows = _rows(
        rows.annotate(is_anchor=ExpressionWrapper(Q(kind=ANCHOR_KIND), output_field=BooleanField()))
        .order_by()
        .values_list(
            "project_id",
            "position",
            "pk",
            "name",
            "duration_days",
            "actual_start",
            "actual_finish",
            "is_anchor",
        )
    )
    # by project, position, id (unique: nothing further is compared)
    rows.sort()
    no_links = ()
    link_of = links.get
    for project_id, found in groupby(rows, itemgetter(0)):
        nodes = [
            (
                pk,
                name,
                duration,
                link_of(pk, no_links),
                DONE if finish is not None else IN_PROGRESS if start is not None else NOT_STARTED,
                start,
                finish,
                anchor,
            )
            for _project, _position, pk, name, duration, start, finish, anchor in found
        ]
        yield project_id, planned.get(project_id), nodes


# --- the usual project's summary ------------------------------------------------------------


class _Numbering(NamedTuple):
    """A calendar's working-day numbers by day, days being counted from ``FIRST_DAY`` (the
    dates as the database gives them for the nightly recompute, integers)."""

    #: the working days (the calendar's), in order: the day of each number
    days: tuple[datetime.date, ...]
    #: per number, its day
    offsets: list[int]
    #: per day of the span, the number of that day or of the working day before it (a day
    #: with none absent)
    on_or_before: dict[int, int]
    #: per day of the span, the number of that day or of the working day after it (a day with
    #: none absent)
    on_or_after: dict[int, int]


_numberings: list[_Numbering] = []


def _numbering(calendar: WorkdayCalendar) -> _Numbering:
    """The numbering of this calendar's working days (the last one made is kept: calendars
    are made afresh for each run, their days the same until an office changes one)."""
    days = tuple(calendar._days)
    if _numberings and _numberings[0].days == days:
        return _numberings[0]
    offsets = [(day - FIRST_DAY).days for day in days]
    span = (LAST_DAY - FIRST_DAY).days + 1
    on_or_before: dict[int, int] = {}
    on_or_after: dict[int, int] = {}
    number = -1
    for offset in range(span):
        if number + 1 < len(offsets) and offsets[number + 1] == offset:
            number += 1
        if number >= 0:
            on_or_before[offset] = number
    number = len(offsets)
    for offset in range(span - 1, -1, -1):
        if number > 0 and offsets[number - 1] == offset:
            number -= 1
        if number < len(offsets):
            on_or_after[offset] = number
    _numberings[:] = [_Numbering(days, offsets, on_or_before, on_or_after)]
    return _numberings[0]


def _day_number(field: str) -> Func:
    """A date column as the number of days since ``FIRST_DAY`` (PostgreSQL)."""
    return Func(
        F(field),
        template=f"(%(expressions)s - DATE '{FIRST_DAY.isoformat()}')",
        output_field=IntegerField(),
    )


def _usual_rows(rows) -> list[tuple]:
    """The rows of these milestones as :func:`_projects` reads them, sorted, their dates as
    days since ``FIRST_DAY``: counted by PostgreSQL (integers cost less to read than dates),
    here on the other databases."""
    under_way = Q(actual_start__isnull=False, actual_finish__isnull=True)
    columns = rows.annotate(
        shown_name=Case(When(under_way, then=F("name")), default=Value("")),
        is_anchor=ExpressionWrapper(Q(kind=ANCHOR_KIND), output_field=BooleanField()),
    ).order_by()
    if connections[rows.db].vendor == "postgresql":
        found = _rows(
            columns.annotate(
                start_day=_day_number("actual_start"), finish_day=_day_number("actual_finish")
            ).values_list(
                "project_id",
                "position",
                "pk",
                "shown_name",
                "duration_days",
                "start_day",
                "finish_day",
                "is_anchor",
            ),
            binary=True,
        )
    else:
        first = FIRST_DAY
        found = [
            (
                project_id,
                position,
                pk,
                shown,
                duration,
                None if start is None else (start - first).days,
                None if finish is None else (finish - first).days,
                anchor,
            )
            for project_id, position, pk, shown, duration, start, finish, anchor in _rows(
                columns.values_list(
                    "project_id",
                    "position",
                    "pk",
                    "shown_name",
                    "duration_days",
                    "actual_start",
                    "actual_finish",
                    "is_anchor",
                )
            )
        ]
    # by project, position, id (unique: nothing further is compared); the rows come mostly in
    # that order already, which Python's sort finds in one sweep
    found.sort()
    return found


def _usual_summaries(rows, links, planned, held, today, calendar):
    """The summaries of the usual projects of these milestone rows (see :func:`_usual_summary`),
    and the ids of the others."""
    summaries: list[Summary] = []
    others: list[int] = []
    numbering = _numbering(calendar)
    today_offset = (today - FIRST_DAY).days
    found = _usual_rows(rows)
    now = numbering.on_or_after.get(today_offset)
    if now is None:
        # today out of the calendar: compute_schedule says so for each project
        return summaries, sorted({row[0] for row in found})
    link_of = links.get
    known_years = calendar.known_years
    append = summaries.append
    for project_id, milestones in groupby(found, itemgetter(0)):
        summary = None
        if project_id not in held:
            summary = _usual_summary(
                project_id,
                planned.get(project_id),
                list(milestones),
                link_of,
                numbering,
                today_offset,
                now,
                known_years,
            )
        if summary is None:
            others.append(project_id)
        else:
            append(summary)
    return summaries, others


def _usual_summary(
    project_id, planned_start, milestones, link_of, numbering, today_offset, now, known_years
) -> Summary | None:
    """The summary of a usual project: what ``compute_schedule(…, details=False)`` gives for
    it, the same passes over the same working-day numbers, without the nodes, the dates and
    the checks they need — the nightly recompute runs them for every project; none (left to
    :func:`~schedule.scheduling.compute_schedule`) for any other.

    A usual project has a planned start and one anchor without successor, every milestone is
    listed after its predecessors (what :func:`~schedule.scheduling.compute_schedule` orders
    them by then: their order), those without successor before the anchor, no duration or
    lag is negative, and every date, as every working-day number the summary shows, is one
    the calendar covers. Its ``milestones`` are :func:`_usual_rows`'s rows, in their order;
    ``link_of`` gives a milestone's (predecessor, lag) by its id."""
    if planned_start is None:
        return None
    network = _usual_network(milestones, link_of)
    if network is None:
        return None
    predecessors, anchor = network
    planned_offset = (planned_start - FIRST_DAY).days
    anchor_number = numbering.on_or_before.get(planned_offset) if planned_offset >= 0 else None
    if anchor_number is None:
        return None
    durations = [milestone[4] for milestone in milestones]
    latest = latest_starts(range(len(milestones)), durations, predecessors, anchor, anchor_number)
    days = numbering.days
    anchor_date = days[anchor_number]
    warnings = []
    if numbering.offsets[anchor_number] != planned_offset:
        warnings.append(not_a_working_day_warning(planned_start, anchor_date))
    # the working-day numbers shown (the latest starts, the earliest starts and finishes but
    # the actual dates) and the days shown (today, the planned start, the actual dates)
    numbers = latest.copy()
    shown = [today_offset, planned_offset]
    unfinished: list[int] = []
    try:
        starts = _earliest(
            milestones, predecessors, latest, numbering, now, warnings, numbers, shown, unfinished
        )
    except KeyError:  # an actual date the calendar does not cover
        return None
    low, high = min(numbers), max(numbers)
    if low < 0 or high >= len(days):
        return None
    started = milestones[anchor][5]
    forecast = (
        days[starts[anchor]] if started is None else FIRST_DAY + datetime.timedelta(days=started)
    )
    if forecast > anchor_date:
        warnings.append(late_start_warning(forecast, anchor_date))
    shown += (numbering.offsets[low], numbering.offsets[high])
    provisional = [
        year
        for year in range(
            (FIRST_DAY + datetime.timedelta(days=min(shown))).year,
            (FIRST_DAY + datetime.timedelta(days=max(shown))).year + 1,
        )
        if year not in known_years
    ]
    if provisional:
        warnings.append(provisional_warning(provisional))
    return (
        project_id,
        anchor_date,
        forecast,
        min(map(sub, latest, starts)) < 0,
        min(unfinished) if unfinished else None,
        bool(provisional),
        warnings,
    )


def _usual_network(milestones, link_of):
    """Per position, the (predecessor's position, lag) of a usual project's milestones, with
    the links of those without successor into the anchor, and the anchor's position; none for
    another project."""
    count = len(milestones)
    index = {milestone[2]: at for at, milestone in enumerate(milestones)}
    predecessors = []
    has_successor = [False] * count
    anchor = None
    at = 0
    for milestone in milestones:
        links = []
        for predecessor, lag in link_of(milestone[2], ()):
            earlier = index.get(predecessor, count)
            if earlier >= at or lag < 0:
                return None
            links.append((earlier, lag))
            has_successor[earlier] = True
        predecessors.append(links)
        if milestone[7]:
            if anchor is not None:
                return None
            anchor = at
        if milestone[4] < 0:
            return None
        at += 1
    if anchor is None or has_successor[anchor]:
        return None
    # every milestone must be finished before construction starts
    into_anchor = predecessors[anchor]
    for at, linked in enumerate(has_successor):
        if not linked and at != anchor:
            if at > anchor:
                return None
            into_anchor.append((at, 0))
    return predecessors, anchor


def _earliest(milestones, predecessors, latest, numbering, now, warnings, numbers, shown, left):
    """The forward pass from today and the actual dates: the earliest start of each milestone
    (a usual project's, in order); adds the numbers and the days shown to ``numbers`` and
    ``shown``, the floats of the milestones not finished to ``left``."""
    on_or_before = numbering.on_or_before
    on_or_after = numbering.on_or_after
    starts = []
    finishes = []
    at = 0
    for _project, _position, _pk, name, duration, started, finished, _anchor in milestones:
        if finished is not None:
            finish = on_or_before[finished]
            if started is not None:
                start = min(on_or_after[started], finish)
            else:
                start = finish - duration + 1 if duration > 0 else finish
        elif started is not None:
            start = on_or_after[started]
            finish = start + duration - 1 if duration > 0 else start
            if finish < now:
                warnings.append(past_duration_warning(name, duration))
        else:
            start = now
            for predecessor, lag in predecessors[at]:
                release = finishes[predecessor] + lag
                if milestones[predecessor][4] > 0:
                    release += 1
                if release > start:
                    start = release
            finish = start + duration - 1 if duration > 0 else start
        starts.append(start)
        finishes.append(finish)
        if started is None:
            numbers.append(start)
        else:
            shown.append(started)
        if finished is None:
            numbers.append(finish)
            left.append(latest[at] - start)
        else:
            shown.append(finished)
        at += 1
    return starts


def _rows(queryset, *, binary: bool = False) -> list[tuple]:
    """The rows of a ``values_list()`` query as the database driver returns them, without
    Django's per-row iteration, which took as long as the query itself for the tens of
    thousands of milestones and links of a province. Only for columns that need no conversion
    from the driver's values (numbers, text, dates). With ``binary``, on PostgreSQL, in the
    binary format (numbers, booleans and text only): integers cost less to read that way."""
    sql, params = queryset.query.sql_with_params()
    database = connections[queryset.db]
    if binary and database.vendor == "postgresql":
        import psycopg

        database.ensure_connection()
        raw = psycopg.Cursor(database.connection)
        raw.format = psycopg.pq.Format.BINARY
        # through Django's wrapper all the same: its errors, and the queries it logs
        cursor = (
            database.make_debug_cursor(raw)
            if database.queries_logged
            else database.make_cursor(raw)
        )
    else:
        cursor = database.cursor()
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
