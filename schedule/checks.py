"""What a milestone, its links and a template must satisfy before the services write them.

Each check raises :class:`~core.exceptions.DomainError` with a stable code and the field it is
about; the services in :mod:`schedule.services` run them in the order they are listed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from core.exceptions import DomainError
from projects.models import Project

from .models import ANCHOR_KIND, Milestone, MilestoneKind, MilestoneLink, MilestoneStatus
from .recompute import milestone_node
from .scheduling import Node, ScheduleError, topological_order

if TYPE_CHECKING:
    from .services import Predecessor, StepSpec


def refuse(message: str, code: str, field: str | None = None):
    raise DomainError(message, code=code, field=field)


def check_unit(project: Project, unit: Unit | None) -> None:
    if unit is None:
        return
    if unit.region_id not in project.region.lineage():
        refuse(
            _("责任单位“%(unit)s”不在项目所在地或其上级地区。") % {"unit": unit.name},
            "unit_out_of_region",
            "responsible_unit",
        )


def derive_status(milestone: Milestone, fields: dict) -> None:
    """When only dates are given, the status follows them (a finish date means done)."""
    if "status" in fields:
        return
    if milestone.actual_finish:
        milestone.status = MilestoneStatus.DONE
    elif milestone.actual_start:
        milestone.status = MilestoneStatus.IN_PROGRESS
    else:
        milestone.status = MilestoneStatus.NOT_STARTED


def check_milestone(milestone: Milestone) -> None:
    today = timezone.localdate()
    if milestone.kind not in MilestoneKind.values:
        refuse(_("未知的节点类型“%(kind)s”。") % {"kind": milestone.kind}, "invalid_kind", "kind")
    if not (milestone.name or "").strip():
        refuse(_("请填写节点名称。"), "name_required", "name")
    if milestone.duration_days is None or milestone.duration_days < 0:
        refuse(_("工期应为不小于0的工作日数。"), "invalid_duration", "duration_days")
    if milestone.kind == ANCHOR_KIND and milestone.duration_days != 0:
        refuse(_("开工节点是一个时点，工期应为0。"), "anchor_duration", "duration_days")
    for field in ("actual_start", "actual_finish"):
        value = getattr(milestone, field)
        if value and value > today:
            refuse(
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
        refuse(_("实际完成日期不能早于实际开始日期。"), "finish_before_start", "actual_finish")
    status = milestone.status
    if status not in MilestoneStatus.values:
        refuse(_("未知的节点状态“%(status)s”。") % {"status": status}, "invalid_status", "status")
    if status == MilestoneStatus.NOT_STARTED and (
        milestone.actual_start or milestone.actual_finish
    ):
        refuse(
            _("未开始的节点不能有实际日期；请把状态改为“办理中”或“已完成”。"),
            "dates_without_start",
            "status",
        )
    if status == MilestoneStatus.IN_PROGRESS:
        if not milestone.actual_start:
            refuse(_("办理中的节点请填写实际开始日期。"), "actual_start_required", "actual_start")
        if milestone.actual_finish:
            refuse(_("已有实际完成日期的节点应标记为“已完成”。"), "finish_not_done", "status")
    if status == MilestoneStatus.DONE and not milestone.actual_finish:
        refuse(_("已完成的节点请填写实际完成日期。"), "actual_finish_required", "actual_finish")


def check_predecessors(milestone: Milestone, predecessors: Sequence[Predecessor]) -> None:
    """Refuse foreign, self, anchor and duplicate predecessors and negative lags (cycles are
    checked once the links are written: :func:`check_no_cycle`)."""
    seen = set()
    for item in predecessors:
        other = item.milestone
        if other.project_id != milestone.project_id:
            refuse(_("前置节点必须属于同一项目。"), "predecessor_other_project", "predecessors")
        if other.pk == milestone.pk:
            refuse(_("节点不能以自身为前置节点。"), "predecessor_self", "predecessors")
        if other.kind == ANCHOR_KIND:
            refuse(
                _("开工节点是倒排的终点，不能作为其他节点的前置节点。"),
                "anchor_has_successor",
                "predecessors",
            )
        if other.pk in seen:
            refuse(
                _("前置节点“%(name)s”重复。") % {"name": other.name},
                "predecessor_duplicate",
                "predecessors",
            )
        if item.lag_days is None or item.lag_days < 0:
            refuse(_("滞后天数应为不小于0的工作日数。"), "invalid_lag", "predecessors")
        seen.add(other.pk)


def check_no_cycle(project_id: int) -> None:
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


def check_steps(steps: Sequence[StepSpec]) -> None:
    """A template's rows: distinct positions, exactly one anchor of duration 0, predecessors
    that exist and are not the anchor, no negative lag and no cycle."""
    positions = [step.position for step in steps]
    if len(set(positions)) != len(positions):
        refuse(_("节点序号不能重复。"), "duplicate_position", "steps")
    anchors = [step for step in steps if step.kind == ANCHOR_KIND]
    if len(anchors) != 1:
        refuse(_("模板必须有且只有一个“开工”节点。"), "template_anchor", "steps")
    if anchors[0].duration_days != 0:
        refuse(_("开工节点是一个时点，工期应为0。"), "anchor_duration", "steps")
    by_position = {step.position: step for step in steps}
    for step in steps:
        for predecessor, lag in step.predecessors:
            if predecessor not in by_position:
                refuse(
                    _("节点“%(name)s”的前置节点序号%(position)s不存在。")
                    % {"name": step.name, "position": predecessor},
                    "unknown_predecessor",
                    "steps",
                )
            if by_position[predecessor].kind == ANCHOR_KIND:
                refuse(
                    _("开工节点是倒排的终点，不能作为其他节点的前置节点。"),
                    "anchor_has_successor",
                    "steps",
                )
            if lag < 0:
                refuse(_("滞后天数应为不小于0的工作日数。"), "invalid_lag", "steps")
    try:
        topological_order(
            [Node(s.position, s.name, s.duration_days, s.predecessors) for s in steps]
        )
    except ScheduleError as error:
        raise DomainError(error.message, code=error.code, field="steps") from error
