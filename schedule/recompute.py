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
from operator import itemgetter

from django.db import connection, connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
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
)
from .workdays import WorkdayCalendar, current_calendar


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
    ``project_rows`` hold the planned starts)."""
    planned = dict(_rows(project_rows.order_by().values_list("pk", "planned_start")))
    links: dict[int, list[tuple[int, int]]] = {}
    for successor, predecessor, lag in _rows(
        # in any order (the model's orders by the predecessor's position: a join and a sort)
        link_rows.order_by().values_list("successor_id", "predecessor_id", "lag_days")
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
    summaries = []
    failed = []
    for project_id, planned_start, nodes in _projects(rows, links, planned):
        try:
            schedule = _summary_schedule(
                nodes, planned_start, today, calendar, held.get(project_id)
            )
        except ScheduleError:
            failed.append(project_id)
            continue
        summaries.append(_summary(project_id, schedule, ""))
    if failed:
        # their errors name any milestone: again with every name
        for project_id, planned_start, nodes in _projects(
            rows.filter(project_id__in=failed), links, planned, names=True
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


def _projects(rows, links, planned: dict, *, names: bool = False):
    """Each project of these milestone rows with milestones, in the order of their ids: its id,
    its planned start (from ``planned``, by project id) and its milestones in display order, as
    tuples in :class:`Node`'s field order.

    What is read is what the passes need, as cheaply as the database gives it (the columns
    read made the query twice as slow; the join for the planned start and the database's sort
    took as long again as reading the rows, against a few milliseconds for sorting them here):
    the status follows from the dates, as the table's
    ``milestone_status_matches_dates`` constraint has it, and only a milestone in progress
    has its name, the only one a warning of the passes names (``scheduling._under_way``),
    unless ``names``: an error may name any milestone."""
    under_way = Q(actual_start__isnull=False, actual_finish__isnull=True)
    name = F("name") if names else Case(When(under_way, then=F("name")), default=Value(""))
    rows = _rows(
        rows.annotate(
            shown_name=name,
            is_anchor=ExpressionWrapper(Q(kind=ANCHOR_KIND), output_field=BooleanField()),
        )
        .order_by()
        .values_list(
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
    # by project, position, id (unique: nothing further is compared); the rows come mostly in
    # that order already, which Python's sort finds in one sweep
    rows.sort()
    no_links = ()
    link_of = links.get
    for project_id, found in groupby(rows, itemgetter(0)):
        nodes = [
            (
                pk,
                shown,
                duration,
                link_of(pk, no_links),
                DONE if finish is not None else IN_PROGRESS if start is not None else NOT_STARTED,
                start,
                finish,
                anchor,
            )
            for _project, _position, pk, shown, duration, start, finish, anchor in found
        ]
        yield project_id, planned.get(project_id), nodes


def _rows(queryset) -> list[tuple]:
    """The rows of a ``values_list()`` query as the database driver returns them, without
    Django's per-row iteration, which took as long as the query itself for the tens of
    thousands of milestones and links of a province. Only for columns that need no conversion
    from the driver's values (numbers, text, dates)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
