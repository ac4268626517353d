"""The approval workflow: who may change an approval's status, the one table of its steps, and
the step itself (dates checked, the linked milestone finished on 批复)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from core.exceptions import DomainError
from core.workflow import Action, Workflow, about_project
from schedule import services as schedule_services
from schedule.models import Milestone, MilestoneStatus
from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import (
    DECIDED_STATUSES,
    Approval,
    ApprovalEvent,
    ApprovalStatus,
)
from .figures import _fix_dates

S = ApprovalStatus


def _refusal(approval: Approval, action: Action) -> DomainError:
    return DomainError(
        _("审批事项当前为“%(current)s”，不能变更为“%(status)s”。")
        % {"current": S(approval.status).label, "status": S(action.target).label},
        code="illegal_transition",
        field="status",
    )


def _context(approval: Approval) -> dict:
    return about_project(approval.project, approval.unit_id)


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

# --- who may write ---------------------------------------------------------------------------


def allowed_actions(approval: Approval, user) -> list[str]:
    return WORKFLOW.allowed_actions(approval, user)


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
