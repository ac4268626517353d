"""Writes to milestones and templates, and the schedule computations that follow them.

Views, API actions, tasks and commands all call these. Every change to a project's milestones
recomputes its schedule summary in the same transaction; calendar changes and the nightly job
recompute every project (:func:`recompute_all`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.exceptions import DomainError
from projects.models import Project

from .models import (
    ANCHOR_KIND,
    Handler,
    Milestone,
    MilestoneKind,
    MilestoneLink,
    MilestoneStatus,
    ProjectSchedule,
    ScheduleTemplate,
    TemplateLink,
    TemplateStep,
)
from .scheduling import Node, Schedule, ScheduleError, compute_schedule, topological_order
from .workdays import WorkdayCalendar, current_calendar

#: words in a department's name that mark it as the handler of a kind of milestone
HANDLER_KEYWORDS = {
    Handler.DEVELOPMENT_REFORM: "发展改革",
    Handler.NATURAL_RESOURCES: "自然资源",
    Handler.ECOLOGY_ENVIRONMENT: "生态环境",
    Handler.FORESTRY: "林业",
    Handler.WATER: "水利",
    Handler.HOUSING: "住房",
}

MILESTONE_FIELDS = frozenset(
    {
        "kind",
        "name",
        "position",
        "duration_days",
        "handler",
        "responsible_unit",
        "status",
        "actual_start",
        "actual_finish",
        "problem",
        "bottleneck",
        "solution_path",
        "expected_resolution_on",
    }
)


# --- computing -----------------------------------------------------------------------------


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
                id=pk,
                name=name,
                duration=duration,
                predecessors=tuple(links[pk]),
                status=status,
                actual_start=actual_start,
                actual_finish=actual_finish,
                anchor=kind == ANCHOR_KIND,
            )
            for pk, _p, name, duration, status, actual_start, actual_finish, kind in rows
        ]
        try:
            schedule = compute_schedule(
                nodes, planned_start=planned[project_id], today=today, calendar=calendar
            )
            summaries.append(_summary(project_id, schedule, "", today))
        except ScheduleError as error:
            summaries.append(_summary(project_id, None, error.message, today))
    with transaction.atomic():
        summaries_kept.exclude(project_id__in=milestones.keys()).delete()
        _store(summaries)
    return len(summaries)


# --- milestones ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Predecessor:
    milestone: Milestone
    lag_days: int = 0


def _refuse(message: str, code: str, field: str | None = None):
    raise DomainError(message, code=code, field=field)


def _check_unit(project: Project, unit: Unit | None) -> None:
    if unit is None:
        return
    if unit.region_id not in project.region.lineage():
        _refuse(
            _("责任单位“%(unit)s”不在项目所在地或其上级地区。") % {"unit": unit.name},
            "unit_out_of_region",
            "responsible_unit",
        )


def _derive_status(milestone: Milestone, fields: dict) -> None:
    """When only dates are given, the status follows them (a finish date means done)."""
    if "status" in fields:
        return
    if milestone.actual_finish:
        milestone.status = MilestoneStatus.DONE
    elif milestone.actual_start:
        milestone.status = MilestoneStatus.IN_PROGRESS
    else:
        milestone.status = MilestoneStatus.NOT_STARTED


def _check_milestone(milestone: Milestone) -> None:
    today = timezone.localdate()
    if milestone.kind not in MilestoneKind.values:
        _refuse(_("未知的节点类型“%(kind)s”。") % {"kind": milestone.kind}, "invalid_kind", "kind")
    if not (milestone.name or "").strip():
        _refuse(_("请填写节点名称。"), "name_required", "name")
    if milestone.duration_days is None or milestone.duration_days < 0:
        _refuse(_("工期应为不小于0的工作日数。"), "invalid_duration", "duration_days")
    if milestone.kind == ANCHOR_KIND and milestone.duration_days != 0:
        _refuse(_("开工节点是一个时点，工期应为0。"), "anchor_duration", "duration_days")
    for field in ("actual_start", "actual_finish"):
        value = getattr(milestone, field)
        if value and value > today:
            _refuse(
                _("%(field)s不能晚于今天。")
                % {"field": Milestone._meta.get_field(field).verbose_name},
                "actual_in_future",
                field,
            )
    if (
        milestone.actual_start
        and milestone.actual_finish
        and milestone.actual_finish < milestone.actual_start
    ):
        _refuse(_("实际完成日期不能早于实际开始日期。"), "finish_before_start", "actual_finish")
    status = milestone.status
    if status not in MilestoneStatus.values:
        _refuse(_("未知的节点状态“%(status)s”。") % {"status": status}, "invalid_status", "status")
    if status == MilestoneStatus.NOT_STARTED and (
        milestone.actual_start or milestone.actual_finish
    ):
        _refuse(
            _("未开始的节点不能有实际日期；请把状态改为“办理中”或“已完成”。"),
            "dates_without_start",
            "status",
        )
    if status == MilestoneStatus.IN_PROGRESS:
        if not milestone.actual_start:
            _refuse(_("办理中的节点请填写实际开始日期。"), "actual_start_required", "actual_start")
        if milestone.actual_finish:
            _refuse(_("已有实际完成日期的节点应标记为“已完成”。"), "finish_not_done", "status")
    if status == MilestoneStatus.DONE and not milestone.actual_finish:
        _refuse(_("已完成的节点请填写实际完成日期。"), "actual_finish_required", "actual_finish")


def _set_predecessors(milestone: Milestone, predecessors: Sequence[Predecessor]) -> None:
    """Replace the predecessors of ``milestone``, refusing foreign, duplicate or cyclic links."""
    seen = set()
    for item in predecessors:
        other = item.milestone
        if other.project_id != milestone.project_id:
            _refuse(_("前置节点必须属于同一项目。"), "predecessor_other_project", "predecessors")
        if other.pk == milestone.pk:
            _refuse(_("节点不能以自身为前置节点。"), "predecessor_self", "predecessors")
        if other.kind == ANCHOR_KIND:
            _refuse(
                _("开工节点是倒排的终点，不能作为其他节点的前置节点。"),
                "anchor_has_successor",
                "predecessors",
            )
        if other.pk in seen:
            _refuse(
                _("前置节点“%(name)s”重复。") % {"name": other.name},
                "predecessor_duplicate",
                "predecessors",
            )
        if item.lag_days is None or item.lag_days < 0:
            _refuse(_("滞后天数应为不小于0的工作日数。"), "invalid_lag", "predecessors")
        seen.add(other.pk)
    MilestoneLink.objects.filter(successor=milestone).delete()
    MilestoneLink.objects.bulk_create(
        MilestoneLink(successor=milestone, predecessor=item.milestone, lag_days=item.lag_days)
        for item in predecessors
    )
    _check_no_cycle(milestone.project_id)


def _check_no_cycle(project_id: int) -> None:
    milestones = list(Milestone.objects.filter(project_id=project_id))
    links = defaultdict(list)
    for successor, predecessor, lag in MilestoneLink.objects.filter(
        successor__project_id=project_id
    ).values_list("successor_id", "predecessor_id", "lag_days"):
        links[successor].append((predecessor, lag))
    try:
        topological_order(
            [milestone_node(milestone, links[milestone.pk]) for milestone in milestones]
        )
    except ScheduleError as error:
        raise DomainError(error.message, code=error.code, field="predecessors") from error


def anchor_milestone(project: Project) -> Milestone:
    """The 开工 anchor a project gets with its first milestone (unsaved)."""
    return Milestone(
        project=project,
        kind=ANCHOR_KIND,
        name=str(MilestoneKind.CONSTRUCTION_START.label),
        duration_days=0,
        handler=Handler.PROJECT_UNIT,
        position=999,
    )


def _ensure_anchor(project: Project, by) -> None:
    if not project.milestones.filter(kind=ANCHOR_KIND).exists():
        _save(anchor_milestone(project), by)


def _save(milestone: Milestone, by, reason: str = "") -> None:
    milestone._history_user = by
    if reason:
        milestone._change_reason = reason
    milestone.save()


def _lock_project(project: Project) -> Project:
    # One writer per project at a time, so concurrent edits cannot build a cycle together.
    return Project.objects.select_for_update().select_related("region").get(pk=project.pk)


@transaction.atomic
def milestone_create(
    *, project: Project, by, predecessors: Sequence[Predecessor] = (), **fields
) -> Milestone:
    """Add a milestone to a project; the 开工 anchor is created with the first one."""
    unknown = fields.keys() - MILESTONE_FIELDS
    if unknown:
        raise TypeError(f"unknown milestone fields: {sorted(unknown)}")
    project = _lock_project(project)
    milestone = Milestone(project=project, **fields)
    if milestone.kind == ANCHOR_KIND and project.milestones.filter(kind=ANCHOR_KIND).exists():
        _refuse(_("该项目已有开工节点。"), "anchor_exists", "kind")
    if "position" not in fields:
        last = project.milestones.exclude(kind=ANCHOR_KIND).order_by("-position").first()
        milestone.position = (last.position + 1) if last else 1
        if milestone.kind == ANCHOR_KIND:
            milestone.position = 999
    _derive_status(milestone, fields)
    _check_milestone(milestone)
    _check_unit(project, milestone.responsible_unit)
    _save(milestone, by)
    _set_predecessors(milestone, predecessors)
    _ensure_anchor(project, by)
    recompute_project(project)
    return milestone


def milestone_change(milestone: Milestone, fields: dict) -> None:
    """Set ``fields`` on a milestone in memory as :func:`milestone_update` does and check the
    result (when only dates are given, the status follows them); raises DomainError. For
    callers that write many milestones at once (the demo data)."""
    unknown = fields.keys() - MILESTONE_FIELDS
    if unknown:
        raise TypeError(f"unknown milestone fields: {sorted(unknown)}")
    was_anchor = milestone.kind == ANCHOR_KIND
    for name, value in fields.items():
        setattr(milestone, name, value)
    if was_anchor and milestone.kind != ANCHOR_KIND:
        _refuse(_("开工节点的类型不能修改。"), "anchor_kind", "kind")
    if not was_anchor and milestone.kind == ANCHOR_KIND:
        _refuse(_("该项目已有开工节点。"), "anchor_exists", "kind")
    if {"actual_start", "actual_finish"} & fields.keys():
        _derive_status(milestone, fields)
    _check_milestone(milestone)


@transaction.atomic
def milestone_update(
    *, milestone: Milestone, by, predecessors: Sequence[Predecessor] | None = None, **fields
) -> Milestone:
    unknown = fields.keys() - MILESTONE_FIELDS
    if unknown:
        raise TypeError(f"unknown milestone fields: {sorted(unknown)}")
    project = _lock_project(milestone.project)
    locked = Milestone.objects.get(pk=milestone.pk)
    milestone_change(locked, fields)
    if "responsible_unit" in fields:
        _check_unit(project, locked.responsible_unit)
    _save(locked, by)
    if predecessors is not None:
        _set_predecessors(locked, predecessors)
    recompute_project(project)
    return locked


@transaction.atomic
def milestone_delete(*, milestone: Milestone, by) -> None:
    project = _lock_project(milestone.project)
    locked = Milestone.objects.get(pk=milestone.pk)
    if locked.kind == ANCHOR_KIND and project.milestones.exclude(pk=locked.pk).exists():
        _refuse(
            _("开工节点是倒排的基准，不能单独删除；请先删除其他节点。"), "anchor_required", "kind"
        )
    locked._history_user = by
    locked.delete()
    recompute_project(project)


def units_by_handler(project: Project) -> dict[str, Unit | None]:
    """The unit nearest to the project (county, then city, then province) for each handler."""
    chain = project.region.lineage()
    departments = sorted(
        Unit.objects.filter(region_id__in=chain, kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE]),
        key=lambda unit: chain.index(unit.region_id),
    )
    found: dict[str, Unit | None] = {Handler.PROJECT_UNIT: project.unit}
    for handler, keyword in HANDLER_KEYWORDS.items():
        found[handler] = next(
            (u for u in departments if u.kind == Unit.Kind.DEPARTMENT and keyword in u.name), None
        )
    found[Handler.LOCAL_GOVERNMENT] = next(
        (u for u in departments if u.kind == Unit.Kind.OFFICE), None
    )
    return found


@transaction.atomic
def apply_template(*, project: Project, template: ScheduleTemplate, by) -> list[Milestone]:
    """Create a project's milestones from a template; they can be edited afterwards."""
    project = _lock_project(project)
    if not template.is_active:
        _refuse(_("该模板已停用。"), "template_inactive", "template")
    if project.milestones.exists():
        _refuse(
            _("该项目已有关键节点，不能再套用模板；如需重排，请先删除现有节点。"),
            "milestones_exist",
            "template",
        )
    milestones, links = template_milestones(project, template)
    for milestone in milestones:
        _save(milestone, by)
    MilestoneLink.objects.bulk_create(links)
    _ensure_anchor(project, by)
    recompute_project(project)
    return list(project.milestones.all())


def template_milestones(
    project: Project,
    template: ScheduleTemplate,
    *,
    steps: Sequence[TemplateStep] | None = None,
    units: dict[str, Unit | None] | None = None,
) -> tuple[list[Milestone], list[MilestoneLink]]:
    """The milestones a template gives a project, unsaved, in the order :func:`apply_template`
    saves them, and the links between them (the anchor is added by the caller when the
    template has none). Callers that write many projects at once (the demo data) pass the
    template's steps with their ``predecessor_links`` and the project's
    :func:`units_by_handler`."""
    if steps is None:
        steps = list(template.steps.prefetch_related("predecessor_links"))
    if units is None:
        units = units_by_handler(project)
    reason = _("套用模板“%(name)s”") % {"name": template.name}
    created = {}
    for step in steps:
        milestone = Milestone(
            project=project,
            position=step.position,
            kind=step.kind,
            name=step.name,
            duration_days=step.duration_days,
            handler=step.handler,
            responsible_unit=units.get(step.handler),
        )
        if step.kind == ANCHOR_KIND and project.started_on:
            # The project has already started: its anchor is a fact, not a plan.
            milestone.status = MilestoneStatus.DONE
            milestone.actual_start = milestone.actual_finish = project.started_on
        milestone._change_reason = reason
        created[step.pk] = milestone
    links = [
        MilestoneLink(
            successor=created[step.pk],
            predecessor=created[link.predecessor_id],
            lag_days=link.lag_days,
        )
        for step in steps
        for link in step.predecessor_links.all()
    ]
    return list(created.values()), links


def sync_anchor(*, project: Project, by) -> None:
    """Keep the 开工 anchor in step with the project's stage, then recompute.

    A project that has started has its anchor done on the start date; a stage correction that
    undoes the start puts the anchor back to not started.
    """
    anchor = project.milestones.filter(kind=ANCHOR_KIND).first()
    if anchor is not None:
        if project.started_on and anchor.actual_finish != project.started_on:
            anchor.status = MilestoneStatus.DONE
            anchor.actual_start = anchor.actual_finish = project.started_on
            _save(anchor, by, reason=_("项目开工"))
        elif not project.started_on and anchor.status != MilestoneStatus.NOT_STARTED:
            anchor.status = MilestoneStatus.NOT_STARTED
            anchor.actual_start = anchor.actual_finish = None
            _save(anchor, by, reason=_("项目开工日期已更正"))
    recompute_project(project)


# --- templates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    """One row of the template editor: predecessors refer to other rows by position."""

    position: int
    kind: str
    name: str
    duration_days: int
    handler: str
    predecessors: tuple[tuple[int, int], ...] = ()


@transaction.atomic
def template_save(
    *,
    template: ScheduleTemplate,
    steps: Sequence[StepSpec],
    by,
) -> ScheduleTemplate:
    """Save a template and replace its steps; projects that used it keep their milestones."""
    positions = [step.position for step in steps]
    if len(set(positions)) != len(positions):
        _refuse(_("节点序号不能重复。"), "duplicate_position", "steps")
    anchors = [step for step in steps if step.kind == ANCHOR_KIND]
    if len(anchors) != 1:
        _refuse(_("模板必须有且只有一个“开工”节点。"), "template_anchor", "steps")
    if anchors[0].duration_days != 0:
        _refuse(_("开工节点是一个时点，工期应为0。"), "anchor_duration", "steps")
    by_position = {step.position: step for step in steps}
    for step in steps:
        for predecessor, lag in step.predecessors:
            if predecessor not in by_position:
                _refuse(
                    _("节点“%(name)s”的前置节点序号%(position)s不存在。")
                    % {"name": step.name, "position": predecessor},
                    "unknown_predecessor",
                    "steps",
                )
            if by_position[predecessor].kind == ANCHOR_KIND:
                _refuse(
                    _("开工节点是倒排的终点，不能作为其他节点的前置节点。"),
                    "anchor_has_successor",
                    "steps",
                )
            if lag < 0:
                _refuse(_("滞后天数应为不小于0的工作日数。"), "invalid_lag", "steps")
    try:
        topological_order(
            [Node(s.position, s.name, s.duration_days, s.predecessors) for s in steps]
        )
    except ScheduleError as error:
        raise DomainError(error.message, code=error.code, field="steps") from error

    template.updated_by = by
    template.full_clean()
    template.save()
    template.steps.all().delete()
    saved = {
        spec.position: TemplateStep.objects.create(
            template=template,
            position=spec.position,
            kind=spec.kind,
            name=spec.name,
            duration_days=spec.duration_days,
            handler=spec.handler,
        )
        for spec in steps
    }
    TemplateLink.objects.bulk_create(
        TemplateLink(successor=saved[spec.position], predecessor=saved[p], lag_days=lag)
        for spec in steps
        for p, lag in spec.predecessors
    )
    return template
