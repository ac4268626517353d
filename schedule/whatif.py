"""What-if on a project's schedule (issue 23): another planned start, another expected finish
for a milestone, another deadline for a blocking ticket — the forecast, floats and critical path
computed at once by the same code as the real schedule (:func:`recompute.project_impacts`),
nothing saved; "save as plan" applies the milestones' and the planned start's changes through
their services (recorded in the history).

A milestone's expected finish becomes its duration: the working days from its start (its
actual start once under way, else its forecast start) to that day, both counted. A ticket's
deadline is the handling unit's commitment under 五到位: it is weighed here but saved only by
the ticket's own workflow, never by "save as plan".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from core.exceptions import DomainError

from .scheduling import DONE


@dataclass(frozen=True)
class WhatIf:
    planned_start: datetime.date | None = None
    #: milestone id → expected finish
    finishes: dict[int, datetime.date] = field(default_factory=dict)
    #: ticket id → deadline
    deadlines: dict[int, datetime.date] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.planned_start or self.finishes or self.deadlines)


def _date(value: str, label: str) -> datetime.date:
    try:
        day = parse_date(value.strip())
    except ValueError:
        day = None
    if day is None:
        raise DomainError(
            _("“%(label)s”不是有效日期（格式如 2026-10-12）。") % {"label": label},
            code="invalid_date",
        )
    return day


def parse(data, milestones, tickets) -> WhatIf:
    """A what-if from a query string or a JSON body: ``planned_start``, ``finish_<milestone
    id>``, ``deadline_<ticket id>`` (empty values left out); the ids must be the project's."""
    names = {m.pk: m.name for m in milestones}
    planned = (data.get("planned_start") or "").strip()
    finishes, deadlines = {}, {}
    for key in data:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        kind, _sep, number = key.partition("_")
        if kind not in ("finish", "deadline") or not number.isdecimal():
            continue
        pk = int(number)
        if kind == "finish":
            if pk not in names:
                raise DomainError(_("节点不属于本项目。"), code="unknown_milestone")
            finishes[pk] = _date(value, names[pk])
        else:
            if pk not in tickets:
                raise DomainError(_("问题不属于本项目或已不再阻碍节点。"), code="unknown_issue")
            deadlines[pk] = _date(value, _("办结时限"))
    return WhatIf(
        planned_start=_date(planned, _("计划开工日期")) if planned else None,
        finishes=finishes,
        deadlines=deadlines,
    )


def durations(what_if: WhatIf, nodes, baseline, calendar) -> dict[int, int]:
    """milestone id → the duration its expected finish gives, from its start in ``baseline``
    (the schedule before the what-if)."""
    found = {}
    starts = {result.id: result.earliest_start for result in baseline.milestones}
    for node in nodes:
        finish = what_if.finishes.get(node.id)
        if finish is None:
            continue
        if node.status == DONE:
            raise DomainError(
                _("节点“%(name)s”已完成，不能调整预计完成日期。") % {"name": node.name},
                code="milestone_done",
            )
        if node.anchor or node.duration == 0:
            raise DomainError(
                _("“%(name)s”是时点，不能调整完成日期；开工节点请调整计划开工日期。")
                % {"name": node.name},
                code="milestone_event",
            )
        start = node.actual_start or starts[node.id]
        if finish < start:
            raise DomainError(
                _("节点“%(name)s”的预计完成日期不能早于其开始日期%(start)s。")
                % {"name": node.name, "start": start.isoformat()},
                code="finish_before_start",
            )
        found[node.id] = (
            calendar.number_on_or_before(finish) - calendar.number_on_or_after(start) + 1
        )
        if found[node.id] < 1:
            raise DomainError(
                _("节点“%(name)s”的开始至预计完成之间没有工作日。") % {"name": node.name},
                code="finish_before_start",
            )
    return found


@transaction.atomic
def save_as_plan(*, project, what_if: WhatIf, by) -> dict[int, int]:
    """Apply ``what_if``'s milestones (as durations) and planned start through their services;
    answers the durations set."""
    from projects import services as project_services

    from . import services
    from .recompute import project_impacts

    if not by.can_edit_library:
        raise DomainError(_("只有项目库维护人员可以保存为计划。"), code="permission_denied")
    _schedule, milestones, _impacts, changed = project_impacts(
        project, what_if=what_if, with_durations=True
    )
    by_id = {m.pk: m for m in milestones}
    for pk, duration in changed.items():
        services.milestone_update(milestone=by_id[pk], by=by, duration_days=duration)
    if what_if.planned_start and what_if.planned_start != project.planned_start:
        project_services.project_update(project=project, by=by, planned_start=what_if.planned_start)
    return changed
