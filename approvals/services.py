"""Writes to approvals: create, edit, status changes, and the bulk sync of the online approval
platform. Every status change goes through :func:`approval_transition` (or the sync, which
follows the platform's own state) and leaves an :class:`~approvals.models.ApprovalEvent`; an
approval that is granted finishes its linked milestone and the schedule recomputes.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, Unit
from core.exceptions import DomainError, NotPermitted
from core.workflow import Action, Workflow
from projects.codes import normalize_project_code
from projects.models import Project, Tier
from schedule import services as schedule_services
from schedule.models import Milestone, MilestoneStatus
from schedule.services import HANDLER_KEYWORDS
from schedule.workdays import WorkdayCalendar, current_calendar

from .models import (
    DECIDED_STATUSES,
    RUNNING_STATUSES,
    Approval,
    ApprovalEvent,
    ApprovalKind,
    ApprovalStatus,
    AuthorityLevel,
    TargetRule,
)

S = ApprovalStatus


def _refusal(approval: Approval, action: Action) -> DomainError:
    return DomainError(
        _("审批事项当前为“%(current)s”，不能变更为“%(status)s”。")
        % {"current": S(approval.status).label, "status": S(action.target).label},
        code="illegal_transition",
        field="status",
    )


def _context(approval: Approval) -> dict:
    return {
        "project_id": approval.project_id,
        "region": approval.project.region_id,
        "units": (approval.unit_id, approval.project.unit_id),
    }


def may_edit(approval: Approval, user) -> bool:
    """Editors of the library in scope (office staff, API clients), and the liaisons of the
    handling department ("keep approvals of their unit up to date", SPEC §1)."""
    if user is None or not user.is_authenticated:
        return False
    if not Approval.objects.for_user(user).filter(pk=approval.pk).exists():
        return False
    return user.can_edit_library or (
        Role.Code.DEPARTMENT_LIAISON in user.role_codes and user.unit_id == approval.unit_id
    )


_DECIDING = frozenset({S.ACCEPTED, S.UNDER_REVIEW})

#: the approval workflow: each action leads to one status, from the statuses listed
WORKFLOW = Workflow(
    name="approval",
    model=Approval,
    states=S,
    event_model=ApprovalEvent,
    event_subject="approval",
    may=may_edit,
    denied=gettext_lazy("您没有变更该审批事项状态的权限。"),
    refusal=_refusal,
    context=_context,
    actions=[
        Action("prepare", gettext_lazy("编制材料"),
               frozenset({S.NOT_STARTED, S.RETURNED, S.REFUSED}), S.PREPARING),
        Action("submit", gettext_lazy("申报"),
               frozenset({S.NOT_STARTED, S.PREPARING, S.RETURNED}), S.SUBMITTED),
        Action("accept", gettext_lazy("受理"), frozenset({S.SUBMITTED}), S.ACCEPTED),
        Action("review", gettext_lazy("进入审查"), frozenset({S.ACCEPTED}), S.UNDER_REVIEW),
        Action("approve", gettext_lazy("批复"), _DECIDING, S.APPROVED),
        Action("refuse", gettext_lazy("不予批复"), _DECIDING, S.REFUSED),
        Action("return", gettext_lazy("退回补正"), _DECIDING | {S.SUBMITTED}, S.RETURNED),
    ],
)  # fmt: skip
#: API/page action → the status it leads to
ACTIONS: dict[str, str] = {name: action.target for name, action in WORKFLOW.table.items()}
ACTION_LABELS = {name: action.label for name, action in WORKFLOW.table.items()}
#: status → the statuses it may move to (read from the table)
TRANSITIONS: dict[str, frozenset[str]] = {
    state: frozenset(a.target for a in WORKFLOW.table.values() if state in a.sources)
    for state in S.values
}
#: the action that leads to each status
_ACTION_FOR = {target: name for name, target in ACTIONS.items()}
#: the date each status records
STATUS_DATES = {
    S.SUBMITTED: "submitted_on",
    S.ACCEPTED: "accepted_on",
    S.APPROVED: "decided_on",
    S.REFUSED: "decided_on",
}

EDITABLE_FIELDS = frozenset(
    {
        "unit",
        "authority_level",
        "promised_days",
        "planned_submission_on",
        "fixed_target_on",
        "document_no",
        "specialist",
        "note",
    }
)


#: fields the handling department may not change on its own approvals
OFFICE_ONLY_FIELDS = frozenset({"unit", "authority_level", "promised_days", "fixed_target_on"})


# --- who may write ---------------------------------------------------------------------------


def allowed_actions(approval: Approval, user) -> list[str]:
    return WORKFLOW.allowed_actions(approval, user)


# --- dates and figures ----------------------------------------------------------------------


def target_days(kind: ApprovalKind, promised_days: int) -> int | None:
    """Working days the target allows (None: a fixed date instead)."""
    if kind.target_rule == TargetRule.SAME_DAY:
        return 0
    if kind.target_rule == TargetRule.FIXED_DATE:
        return None
    return math.floor(promised_days * kind.target_share)


def _fix_dates(approval: Approval, calendar: WorkdayCalendar) -> None:
    """Promise and target dates follow the acceptance; working days follow the decision."""
    if approval.accepted_on is None:
        approval.promise_due_on = approval.target_on = None
        approval.actual_days = None
        return
    approval.promise_due_on = calendar.add_workdays(approval.accepted_on, approval.promised_days)
    days = target_days(approval.kind, approval.promised_days)
    if days is None:
        approval.target_on = approval.fixed_target_on or approval.promise_due_on
    else:
        approval.target_on = calendar.add_workdays(approval.accepted_on, days)
    approval.actual_days = (
        calendar.workdays_between(approval.accepted_on, approval.decided_on)
        if approval.decided_on is not None and approval.status in DECIDED_STATUSES
        else None
    )


@dataclass(frozen=True)
class Figures:
    """How an approval stands against its promise and target (working days)."""

    elapsed_days: int | None  # since acceptance, to the decision or today
    remaining_promise: int | None
    remaining_target: int | None
    overdue: bool  # past the promise (still running, or decided late)
    target_missed: bool
    speedup: float | None  # 1 − actual / promised, for decided approvals
    #: years the count ran into whose holidays are not entered: the figures are provisional
    provisional_years: tuple[int, ...] = ()

    @property
    def calendar_provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def speedup_percent(self) -> str:
        return "" if self.speedup is None else f"{self.speedup * 100:.0f}%"

    @property
    def slowdown_percent(self) -> str:
        """How much longer than promised a late decision took (the negative speed-up)."""
        return "" if self.speedup is None else f"{-self.speedup * 100:.0f}%"


def figures(
    approval: Approval,
    today: datetime.date | None = None,
    calendar: WorkdayCalendar | None = None,
) -> Figures:
    if approval.accepted_on is None or approval.status not in (
        *RUNNING_STATUSES,
        *DECIDED_STATUSES,
    ):
        return Figures(None, None, None, False, False, None)
    today = today or timezone.localdate()
    calendar = calendar or current_calendar()
    end = approval.decided_on if approval.is_decided else today
    elapsed = calendar.workdays_between(approval.accepted_on, end)
    remaining_promise = approval.promised_days - elapsed
    if approval.target_on is not None:
        remaining_target = calendar.workdays_between(end, approval.target_on)
    else:
        remaining_target = None
    overdue = end > approval.promise_due_on
    target_missed = approval.target_on is not None and end > approval.target_on
    speedup = None
    if approval.is_decided and approval.promised_days:
        speedup = 1 - elapsed / approval.promised_days
    provisional = tuple(
        calendar.provisional_years(
            approval.accepted_on, end, approval.promise_due_on, approval.target_on
        )
    )
    return Figures(
        elapsed, remaining_promise, remaining_target, overdue, target_missed, speedup, provisional
    )


# --- create and edit ------------------------------------------------------------------------


def default_authority(project: Project) -> str:
    if project.tier in (Tier.PROVINCIAL_IMPLEMENTATION, Tier.PROVINCIAL_RESERVE):
        return AuthorityLevel.PROVINCE
    return {"province": AuthorityLevel.PROVINCE, "city": AuthorityLevel.CITY}.get(
        project.region.level, AuthorityLevel.COUNTY
    )


def default_unit(project: Project, kind: ApprovalKind, authority_level: str) -> Unit | None:
    """The department of the kind's handler at the authority's level (or the nearest one
    above it), else the office there."""
    chain = project.region.lineage()  # county, city, province
    start = {AuthorityLevel.COUNTY: 0, AuthorityLevel.CITY: 1}.get(authority_level, 2)
    levels = chain[min(start, len(chain) - 1) :] if len(chain) > 1 else chain
    keyword = HANDLER_KEYWORDS.get(kind.handler, "")
    units = list(
        Unit.objects.filter(region_id__in=levels, kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.OFFICE])
    )
    units.sort(key=lambda unit: levels.index(unit.region_id))
    for unit in units:
        if unit.kind == Unit.Kind.DEPARTMENT and keyword and keyword in unit.name:
            return unit
    return next((unit for unit in units if unit.kind == Unit.Kind.OFFICE), None)


def _check_writer(by, project: Project) -> None:
    if not by.can_edit_library:
        raise NotPermitted(_("您没有登记审批事项的权限。"), code="not_permitted")
    if not Project.objects.for_user(by).filter(pk=project.pk).exists():
        raise DomainError(
            _("所选项目不存在或不在您的管辖范围内。"), code="project_out_of_scope", field="project"
        )


def _check_fields(approval: Approval) -> None:
    if approval.unit.kind == Unit.Kind.ENTERPRISE:
        raise DomainError(_("办理单位应为审批部门。"), code="invalid_unit", field="unit")
    lineage = approval.project.region.lineage()
    if approval.unit.region_id not in lineage:
        raise DomainError(
            _("办理单位应为项目所在县（市、区）、设区市或省级的部门。"),
            code="unit_out_of_scope",
            field="unit",
        )
    specialist = approval.specialist
    if specialist is not None and not (
        specialist.unit_id == approval.unit_id or specialist.region_id in lineage
    ):
        raise DomainError(
            _("服务专员应为办理单位或项目所在地区的工作人员。"),
            code="specialist_out_of_scope",
            field="specialist",
        )
    if approval.promised_days is None or approval.promised_days > 365:
        raise DomainError(
            _("承诺时限应为0至365个工作日。"), code="invalid_promise", field="promised_days"
        )
    if approval.authority_level not in AuthorityLevel.values:
        raise DomainError(_("未知的审批层级。"), code="invalid_level", field="authority_level")


@transaction.atomic
def approval_create(
    *,
    by,
    project: Project,
    kind: ApprovalKind,
    unit: Unit | None = None,
    authority_level: str = "",
    promised_days: int | None = None,
    **fields,
) -> Approval:
    """Register an approval a project needs (one per kind), with the kind's defaults."""
    _check_writer(by, project)
    if Approval.objects.filter(project=project, kind=kind).exists():
        raise DomainError(
            _("该项目已登记“%(kind)s”审批事项。") % {"kind": kind.name},
            code="approval_exists",
            field="kind",
        )
    approval = new_approval(
        project=project,
        kind=kind,
        unit=unit,
        authority_level=authority_level,
        promised_days=promised_days,
        **fields,
    )
    approval.save()
    return approval


def new_approval(
    *,
    project: Project,
    kind: ApprovalKind,
    unit: Unit | None = None,
    authority_level: str = "",
    promised_days: int | None = None,
    **fields,
) -> Approval:
    """The approval :func:`approval_create` registers, with the kind's defaults and checked, not
    saved yet: for callers that write many at once (the demo data)."""
    unknown = fields.keys() - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown approval fields: {sorted(unknown)}")
    authority_level = authority_level or default_authority(project)
    unit = unit or default_unit(project, kind, authority_level)
    if unit is None:
        raise DomainError(_("请指定办理单位。"), code="required", field="unit")
    approval = Approval(
        project=project,
        kind=kind,
        unit=unit,
        authority_level=authority_level,
        promised_days=kind.promised_days if promised_days is None else promised_days,
        **fields,
    )
    _check_fields(approval)
    return approval


@transaction.atomic
def approval_update(*, approval: Approval, by, **fields) -> Approval:
    """Edit what is not the status (the status changes only through transitions)."""
    unknown = fields.keys() - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown approval fields: {sorted(unknown)}")
    locked = (
        Approval.objects.select_for_update(of=("self",))
        .select_related("kind", "unit", "project__region")
        .get(pk=approval.pk)
    )
    if not may_edit(locked, by):
        raise NotPermitted(_("您没有修改该审批事项的权限。"), code="not_permitted")
    if fields.keys() & OFFICE_ONLY_FIELDS and not by.can_edit_library:
        # The department does not set its own promise, target or who handles it.
        raise NotPermitted(
            _("承诺时限、限定日期、办理单位和审批层级由重大办登记，办理部门不能修改。"),
            code="not_permitted",
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    _check_fields(locked)
    _fix_dates(locked, current_calendar())
    locked.save()
    return locked


# --- status changes -------------------------------------------------------------------------


def _check_date(approval: Approval, status: str, date: datetime.date | None, today) -> None:
    if date is not None and date > today:
        raise DomainError(_("发生日期不能晚于今天。"), code="date_future", field="date")
    field = STATUS_DATES.get(status)
    if field is None:
        return
    if date is None:
        raise DomainError(_("请填写发生日期。"), code="date_required", field="date")
    earlier = {
        "accepted_on": ("submitted_on", _("受理日期不能早于申报日期。")),
        "decided_on": ("accepted_on", _("批复日期不能早于受理日期。")),
    }.get(field)
    if earlier is not None:
        before = getattr(approval, earlier[0])
        if before is not None and date < before:
            raise DomainError(earlier[1], code="date_order", field="date")


def _finish_milestone(approval: Approval, by) -> None:
    """批复 completes the project's milestone of the kind's milestone kind (if it has one)."""
    if approval.status != S.APPROVED or not approval.kind.milestone_kind:
        return
    milestone = (
        Milestone.objects.filter(project=approval.project, kind=approval.kind.milestone_kind)
        .order_by("position")
        .first()
    )
    if milestone is None or milestone.actual_finish == approval.decided_on:
        return
    # Keep the start the milestone recorded when it fits; else the application's dates.
    start = milestone.actual_start
    if start is None or start > approval.decided_on:
        start = approval.submitted_on or approval.accepted_on or approval.decided_on
        start = min(start, approval.decided_on)
    schedule_services.milestone_update(
        milestone=milestone,
        by=by,
        actual_start=start,
        actual_finish=approval.decided_on,
        status=MilestoneStatus.DONE,
    )


def _action_for(status: str) -> Action:
    """The step that leads to ``status``; for a status no step leads to (未开始), a step
    that starts from nowhere, so the table refuses it."""
    if status not in S.values:
        raise DomainError(_("未知的审批状态。"), code="invalid_status", field="status")
    if status not in _ACTION_FOR:
        return Action("", S(status).label, frozenset(), status)
    return WORKFLOW.table[_ACTION_FOR[status]]


@transaction.atomic
def approval_transition(
    *,
    approval: Approval,
    by,
    status: str,
    date: datetime.date | None = None,
    document_no: str = "",
    comment: str = "",
) -> Approval:
    action = _action_for(status)
    locked = (
        Approval.objects.select_for_update().select_related("kind", "project").get(pk=approval.pk)
    )
    today, calendar = timezone.localdate(), current_calendar()
    if not action.name:
        WORKFLOW.check(locked, action, by)  # refused: no step leads to this status

    def change(current: Approval, values: dict) -> None:
        _change(current, status, date, document_no, today=today, calendar=calendar)

    WORKFLOW.perform(
        locked,
        action.name,
        by,
        change=change,
        comment=comment.strip(),
        extra={"date": date},
        lock=False,
    )
    _finish_milestone(locked, by)
    return locked


def approval_step(
    approval: Approval,
    status: str,
    date: datetime.date | None,
    document_no: str = "",
    *,
    today: datetime.date,
    calendar: WorkdayCalendar,
) -> str:
    """Move an approval to ``status`` in memory, after the table's checks (no user: the
    caller writes many at once, as the demo data does, and saves them itself); returns the
    status it came from."""
    WORKFLOW.check(approval, _action_for(status), None)
    before = approval.status
    _change(approval, status, date, document_no, today=today, calendar=calendar)
    return before


def _change(approval: Approval, status: str, date, document_no: str, *, today, calendar) -> None:
    _check_date(approval, status, date, today)
    if status == S.APPROVED:
        document_no = (document_no or approval.document_no).strip()
        if not document_no:
            raise DomainError(_("请填写批复文号。"), code="required", field="document_no")
        approval.document_no = document_no
    _apply(approval, status, date)
    _fix_dates(approval, calendar)


def _apply(approval: Approval, status: str, date: datetime.date | None) -> None:
    approval.status = status
    if status == S.SUBMITTED:
        approval.submitted_on = date
        approval.accepted_on = approval.decided_on = None
    elif status == S.ACCEPTED:
        approval.accepted_on = date
        approval.decided_on = None
    elif status in DECIDED_STATUSES:
        approval.decided_on = date
    elif status in (S.RETURNED, S.PREPARING):
        # 退回补正 stops the clock: the next submission is accepted afresh.
        approval.accepted_on = approval.decided_on = None


# --- sync from the online approval platform --------------------------------------------------

SYNC_FIELDS = ("submitted_on", "accepted_on", "decided_on", "document_no")


class SyncRefused(DomainError):
    """A sync batch with errors: nothing was written. ``rows`` maps row index → field errors."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        super().__init__(
            _("同步数据有%(count)d行错误，全部未写入，请修正后重新推送。") % {"count": len(rows)},
            code="sync_rejected",
        )


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _sync_row_errors(
    row: dict, projects: dict, kinds: dict, existing: dict, today
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    code = normalize_project_code(row.get("project_code") or "")
    if not code:
        add("project_code", _("请提供项目代码。"))
    elif code not in projects:
        add(
            "project_code",
            _("项目代码“%(code)s”不在项目库中或不在您的管辖范围内。") % {"code": code},
        )
    if row.get("kind") not in kinds:
        add("kind", _("未知的审批类型“%(kind)s”。") % {"kind": row.get("kind")})
    status = row.get("status")
    if status not in S.values:
        add("status", _("未知的审批状态“%(status)s”。") % {"status": status})
        return errors
    submitted, accepted, decided = (
        row.get(f) for f in ("submitted_on", "accepted_on", "decided_on")
    )
    needs = {
        "submitted_on": status in (S.SUBMITTED, *RUNNING_STATUSES, *DECIDED_STATUSES),
        "accepted_on": status in (*RUNNING_STATUSES, *DECIDED_STATUSES),
        "decided_on": status in DECIDED_STATUSES,
    }
    for field, needed in needs.items():
        value = row.get(field)
        if needed and value is None:
            add(field, _("状态为“%(status)s”时必须提供该日期。") % {"status": S(status).label})
        if not needed and value is not None and field != "submitted_on":
            add(field, _("状态为“%(status)s”时不应有该日期。") % {"status": S(status).label})
        if value is not None and value > today:
            add(field, _("日期不能晚于今天。"))
    if submitted and accepted and accepted < submitted:
        add("accepted_on", _("受理日期不能早于申报日期。"))
    if accepted and decided and decided < accepted:
        add("decided_on", _("批复日期不能早于受理日期。"))
    if status == S.APPROVED and not (row.get("document_no") or "").strip():
        add("document_no", _("已批复的事项须提供批复文号。"))
    project, kind = projects.get(code), kinds.get(row.get("kind"))
    if project is not None and kind is not None:
        current = existing.get((project.pk, kind.code))
        if current is not None and current.status == S.APPROVED and status != S.APPROVED:
            add(
                "status",
                _("该事项已批复，不能由同步改回“%(status)s”。") % {"status": S(status).label},
            )
        if current is None and default_unit(project, kind, default_authority(project)) is None:
            add("kind", _("找不到该审批类型的办理单位，请先在平台登记该审批事项。"))
    return errors


@transaction.atomic
def approval_sync(*, by, rows: list[dict]) -> SyncResult:
    """Upsert the platform's approvals on (project code, kind); all or nothing. A batch sent
    twice changes nothing the second time."""
    if not by.can_edit_library:
        raise NotPermitted(_("您没有同步审批数据的权限。"), code="not_permitted")
    codes = {normalize_project_code(row.get("project_code") or "") for row in rows}
    projects = {
        p.code: p
        for p in Project.objects.for_user(by)
        .filter(code__in=codes)
        .select_related("region", "unit")
    }
    kinds = {kind.code: kind for kind in ApprovalKind.objects.all()}
    existing = {
        (a.project_id, a.kind_id): a
        for a in Approval.objects.select_for_update().filter(project__in=projects.values())
    }
    today = timezone.localdate()
    errors = {}
    seen = {}
    for index, row in enumerate(rows):
        row_errors = _sync_row_errors(row, projects, kinds, existing, today)
        key = (normalize_project_code(row.get("project_code") or ""), row.get("kind"))
        if key in seen:
            row_errors.setdefault("kind", []).append(
                _("与第%(row)d行重复（同一项目同一审批类型）。") % {"row": seen[key] + 1}
            )
        seen[key] = index
        if row_errors:
            errors[index] = row_errors
    if errors:
        raise SyncRefused(errors)

    result = SyncResult()
    calendar = current_calendar()
    for row in rows:
        project = projects[normalize_project_code(row["project_code"])]
        kind = kinds[row["kind"]]
        approval = Approval.objects.select_for_update().filter(project=project, kind=kind).first()
        created = approval is None
        if created:
            authority = default_authority(project)
            approval = Approval(
                project=project,
                kind=kind,
                authority_level=authority,
                unit=default_unit(project, kind, authority),
                promised_days=kind.promised_days,
            )
        incoming = {field: row.get(field) for field in SYNC_FIELDS}
        incoming["document_no"] = (incoming["document_no"] or approval.document_no or "").strip()
        current = {field: getattr(approval, field) for field in SYNC_FIELDS}
        if not created and approval.status == row["status"] and current == incoming:
            result.unchanged += 1
            continue
        before = approval.status
        approval.status = row["status"]
        for field, value in incoming.items():
            setattr(approval, field, value)
        _fix_dates(approval, calendar)
        approval.save()
        WORKFLOW.record(
            approval,
            "sync",
            by,
            before={"status": before},
            comment=_("在线审批平台同步"),
            date=row.get("decided_on") or row.get("accepted_on") or row.get("submitted_on"),
            synced=True,
        )
        _finish_milestone(approval, by)
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


@transaction.atomic
def refresh_dates() -> int:
    """Recompute every accepted approval's promise/target dates and working days (after a
    calendar change). Returns how many changed."""
    calendar = current_calendar()
    changed = 0
    for approval in Approval.objects.filter(accepted_on__isnull=False).select_related("kind"):
        before = (approval.promise_due_on, approval.target_on, approval.actual_days)
        _fix_dates(approval, calendar)
        if before != (approval.promise_due_on, approval.target_on, approval.actual_days):
            approval.save(update_fields=["promise_due_on", "target_on", "actual_days"])
            changed += 1
    return changed
