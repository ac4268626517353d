"""The schedule computations that follow every write to milestones: one project's schedule as
of today (:func:`project_schedule`), and the stored summary of each project
(:class:`~schedule.models.ProjectSchedule`) the lists and indicators read.

The services recompute a project's summary in the same transaction as each change to its
milestones (:func:`recompute_project`); calendar changes and the nightly job recompute every
project (:func:`recompute_all`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from projects.models import Project

from .models import ANCHOR_KIND, Milestone, MilestoneLink, ProjectSchedule
from .scheduling import Node, Schedule, ScheduleError, compute_schedule
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


def project_schedule(
    project: Project,
    *,
    today: datetime.date | None = None,
    calendar: WorkdayCalendar | None = None,
) -> tuple[Schedule, list[Milestone]]:
    """The schedule of one project as of today, and its milestones in display order."""
    milestones = list(
        project.milestones.select_related("responsible_unit").prefetch_related("predecessor_links")
    )
    links = defaultdict(list)
    for milestone in milestones:
        for link in milestone.predecessor_links.all():
            links[milestone.pk].append((link.predecessor_id, link.lag_days))
    try:
        schedule = compute_schedule(
            [milestone_node(milestone, links[milestone.pk]) for milestone in milestones],
            planned_start=project.planned_start,
            today=today or timezone.localdate(),
            calendar=calendar or current_calendar(),
        )
    except ScheduleError as error:
        raise DomainError(error.message, code=error.code) from error
    return schedule, milestones


def _summary(project_id: int, schedule: Schedule | None, error: str, today) -> ProjectSchedule:
    return ProjectSchedule(
        project_id=project_id,
        anchor_date=schedule.anchor_date if schedule else None,
        forecast_anchor_date=schedule.forecast_anchor_date if schedule else None,
        at_risk=schedule.at_risk if schedule else False,
        min_float=schedule.min_float if schedule else None,
        calendar_provisional=schedule.calendar_provisional if schedule else False,
        warnings=(schedule.warnings if schedule else [error]),
        computed_for=today,
        computed_at=timezone.now(),
    )


def _store(summaries: Sequence[ProjectSchedule]) -> None:
    ProjectSchedule.objects.bulk_create(
        summaries,
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[
            "anchor_date",
            "forecast_anchor_date",
            "at_risk",
            "min_float",
            "calendar_provisional",
            "warnings",
            "computed_for",
            "computed_at",
        ],
        batch_size=500,
    )


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
        _store([_summary(project.pk, None, error.messages[0], today)])
        return None
    _store([_summary(project.pk, schedule, "", today)])
    return schedule


def recompute_all(
    *, today=None, calendar: WorkdayCalendar | None = None, projects: Iterable[int] | None = None
) -> int:
    """Recompute every project's schedule (or those of the ``projects`` with these ids) in a
    handful of queries; returns how many."""
    today = today or timezone.localdate()
    calendar = calendar or current_calendar()
    rows = Milestone.objects.all()
    link_rows = MilestoneLink.objects.all()
    summaries_kept = ProjectSchedule.objects.all()
    if projects is not None:
        projects = list(projects)
        rows = rows.filter(project_id__in=projects)
        link_rows = link_rows.filter(successor__project_id__in=projects)
        summaries_kept = summaries_kept.filter(project_id__in=projects)
    milestones = defaultdict(list)
    for row in rows.order_by("project_id", "position", "id").values_list(
        "pk",
        "project_id",
        "name",
        "duration_days",
        "status",
        "actual_start",
        "actual_finish",
        "kind",
    ):
        milestones[row[1]].append(row)
    links = defaultdict(list)
    for successor, predecessor, lag in link_rows.values_list(
        "successor_id", "predecessor_id", "lag_days"
    ):
        links[successor].append((predecessor, lag))
    planned = dict(
        Project.objects.filter(pk__in=milestones.keys()).values_list("pk", "planned_start")
    )
    summaries = []
    for project_id, rows in milestones.items():
        nodes = [
            Node(
                pk,
                name,
                duration,
                tuple(links[pk]),
                status,
                actual_start,
                actual_finish,
                kind == ANCHOR_KIND,
            )
            for pk, _p, name, duration, status, actual_start, actual_finish, kind in rows
        ]
        try:
            schedule = compute_schedule(
                nodes,
                planned_start=planned[project_id],
                today=today,
                calendar=calendar,
                details=False,  # the summary is all that is stored
            )
            summaries.append(_summary(project_id, schedule, "", today))
        except ScheduleError as error:
            summaries.append(_summary(project_id, None, error.message, today))
    with transaction.atomic():
        summaries_kept.exclude(project_id__in=milestones.keys()).delete()
        _store(summaries)
    return len(summaries)
