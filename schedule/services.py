"""Writes to milestones and templates; every one runs the checks of :mod:`schedule.checks`
first and recomputes what it changed (:mod:`schedule.recompute`).

Views, API actions, tasks and commands all call these. Every change to a project's milestones
recomputes its schedule summary in the same transaction; calendar changes and the nightly job
recompute every project (:func:`recompute_all`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Unit
from projects.models import Project

from . import checks
from .models import (
    ANCHOR_KIND,
    Handler,
    Milestone,
    MilestoneKind,
    MilestoneLink,
    MilestoneStatus,
    ScheduleTemplate,
    TemplateLink,
    TemplateStep,
)

# The computations are called through this module too (the views, the API and the tests do).
from .recompute import recompute_project

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


# --- milestones ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Predecessor:
    milestone: Milestone
    lag_days: int = 0


def _set_predecessors(milestone: Milestone, predecessors: Sequence[Predecessor]) -> None:
    """Replace the predecessors of ``milestone``, refusing foreign, duplicate or cyclic links."""
    checks.check_predecessors(milestone, predecessors)
    MilestoneLink.objects.filter(successor=milestone).delete()
    MilestoneLink.objects.bulk_create(
        MilestoneLink(successor=milestone, predecessor=item.milestone, lag_days=item.lag_days)
        for item in predecessors
    )
    checks.check_no_cycle(milestone.project_id)


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
        checks.refuse(_("该项目已有开工节点。"), "anchor_exists", "kind")
    if "position" not in fields:
        last = project.milestones.exclude(kind=ANCHOR_KIND).order_by("-position").first()
        milestone.position = (last.position + 1) if last else 1
        if milestone.kind == ANCHOR_KIND:
            milestone.position = 999
    checks.derive_status(milestone, fields)
    checks.check_milestone(milestone)
    checks.check_unit(project, milestone.responsible_unit)
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
        checks.refuse(_("开工节点的类型不能修改。"), "anchor_kind", "kind")
    if not was_anchor and milestone.kind == ANCHOR_KIND:
        checks.refuse(_("该项目已有开工节点。"), "anchor_exists", "kind")
    if {"actual_start", "actual_finish"} & fields.keys():
        checks.derive_status(milestone, fields)
    checks.check_milestone(milestone)


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
        checks.check_unit(project, locked.responsible_unit)
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
        checks.refuse(
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
        checks.refuse(_("该模板已停用。"), "template_inactive", "template")
    if project.milestones.exists():
        checks.refuse(
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
    checks.check_steps(steps)
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
