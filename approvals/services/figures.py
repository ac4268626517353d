"""Promise and target dates, and how an approval stands against them (working days)."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import (
    DECIDED_STATUSES,
    RUNNING_STATUSES,
    Approval,
    ApprovalKind,
    ApprovalStatus,
    TargetRule,
)

S = ApprovalStatus

# --- dates and figures ----------------------------------------------------------------------


def target_days(kind: ApprovalKind, promised_days: int, specialist: bool = False) -> int | None:
    """Working days the target allows (None: a fixed date instead). A kind decided the same day
    for a project with its own specialist ("一项目一专员"，随到随审、当日办结) allows none when
    the approval has one."""
    if kind.target_rule == TargetRule.SAME_DAY or (specialist and kind.same_day_with_specialist):
        return 0
    if kind.target_rule == TargetRule.FIXED_DATE:
        return None
    return math.floor(promised_days * kind.target_share)


def _fix_dates(approval: Approval, calendar: WorkdayCalendar) -> None:
    """Promise and target dates follow the acceptance; working days follow the decision."""
    if approval.accepted_on is None:
        approval.promise_due_on = approval.target_on = None
        approval.promise_late_on = approval.target_late_on = None
        approval.actual_days = None
        return
    approval.promise_due_on = calendar.add_workdays(approval.accepted_on, approval.promised_days)
    days = target_days(approval.kind, approval.promised_days, approval.specialist_id is not None)
    if days is None:
        approval.target_on = approval.fixed_target_on or approval.promise_due_on
    else:
        approval.target_on = calendar.add_workdays(approval.accepted_on, days)
    # late from the first working day after each: judged in working days, not by the date
    approval.promise_late_on = calendar.add_workdays(approval.promise_due_on, 1)
    approval.target_late_on = calendar.add_workdays(approval.target_on, 1)
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
    # in working days: the weekend after a Friday due date is not late
    overdue = end >= approval.promise_late_on
    target_missed = approval.target_late_on is not None and end >= approval.target_late_on
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


#: what :func:`_fix_dates` sets
DATE_FIELDS = ["promise_due_on", "target_on", "promise_late_on", "target_late_on", "actual_days"]


@transaction.atomic
def refresh_dates() -> int:
    """Recompute every accepted approval's promise/target dates and working days (after a
    calendar change). Returns how many changed."""
    calendar = current_calendar()
    changed = 0
    for approval in Approval.objects.filter(accepted_on__isnull=False).select_related("kind"):
        before = [getattr(approval, name) for name in DATE_FIELDS]
        _fix_dates(approval, calendar)
        if before != [getattr(approval, name) for name in DATE_FIELDS]:
            approval.save(update_fields=DATE_FIELDS)
            changed += 1
    return changed
