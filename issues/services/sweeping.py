"""The daily sweep (SPEC §5): reminders, overdue marks, 通报, 约谈 and automatic escalation."""

from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from core import events
from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import HANDLING_STATUSES, EventKind, Interview, Issue, Level, Notice
from .workflow import auto_escalate, record

logger = logging.getLogger(__name__)


def sweep(today: datetime.date | None = None) -> Counter:
    """Reminders, overdue marks, 通报, 约谈 and automatic escalation for ``today``.

    Idempotent, also when two runs overlap: each ticket is locked and re-checked before it is
    changed, so a second run (or a ticket resolved meanwhile) finds nothing left to do. Each
    ticket is handled in its own transaction; one that fails is logged and counted as
    ``failed`` without stopping the others. Returns what it did.
    """
    today = today or timezone.localdate()
    calendar = current_calendar()
    done: Counter = Counter()
    handling = Issue.objects.filter(status__in=HANDLING_STATUSES, deadline__isnull=False)

    # Reminders not yet sent for the current deadline.
    for issue in handling.filter(deadline__gte=today).exclude(reminded_for=F("deadline")):
        done["reminded"] += _each(issue, _remind, today, calendar, done) or 0

    # Late tickets not yet marked, or marked but whose spell has no notice yet.
    noticed = Notice.objects.filter(issue=OuterRef("pk"), overdue_since=OuterRef("overdue_since"))
    unnoticed = handling.filter(deadline__lt=today).filter(
        Q(overdue_since__isnull=True) | ~Exists(noticed)
    )
    for issue in unnoticed:
        marked, noticed_now, interviews = _each(issue, _overdue, today, calendar, done) or (0, 0, 0)
        done["overdue"] += marked
        done["notices"] += noticed_now
        done["interviews"] += interviews

    levels = [level for level in settings.ISSUE_ESCALATE_AFTER_WORKDAYS if Level.above(level)]
    for issue in handling.filter(deadline__lt=today, level__in=levels):
        done["escalated"] += _each(issue, _auto_escalate, today, calendar, done) or 0
    return +done  # only what was actually done


def _each(issue: Issue, step, today: datetime.date, calendar: WorkdayCalendar, done: Counter):
    """Run one sweep step for one ticket; a failure is logged and counted, and the sweep goes
    on with the other tickets."""
    try:
        with transaction.atomic():
            return step(issue, today, calendar)
    except Exception:
        logger.exception("sweep %s: ticket %s failed in %s", today, issue.pk, step.__name__)
        done["failed"] += 1
        return None


def _lock_handling(issue: Issue) -> Issue | None:
    """The ticket, locked, if it is still being handled against a deadline."""
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(pk=issue.pk, status__in=HANDLING_STATUSES, deadline__isnull=False)
        .first()
    )
    return locked


def _remind(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> int:
    locked = _lock_handling(issue)
    if locked is None or locked.reminded_for == locked.deadline or locked.deadline < today:
        return 0
    if calendar.workdays_between(today, locked.deadline) > settings.ISSUE_REMIND_WORKDAYS:
        return 0
    locked.reminded_for = locked.deadline
    locked.save(update_fields=["reminded_for", "updated_at"])
    record(
        locked,
        EventKind.REMIND,
        None,
        comment=_("距办结时限%(deadline)s不足%(days)d个工作日（%(date)s提醒）。")
        % {
            "deadline": locked.deadline.isoformat(),
            "days": settings.ISSUE_REMIND_WORKDAYS + 1,
            "date": today.isoformat(),
        },
    )
    return 1


def _overdue(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> tuple[int, int, int]:
    locked = _lock_handling(issue)
    if locked is None or locked.deadline >= today:
        return 0, 0, 0
    marked = 0
    if locked.overdue_since is None:
        locked.overdue_since = today
        locked.save(update_fields=["overdue_since", "updated_at"])
        record(
            locked,
            EventKind.OVERDUE,
            None,
            comment=_("已超过办结时限%(deadline)s。") % {"deadline": locked.deadline.isoformat()},
        )
        marked = 1
    notice, created = Notice.objects.get_or_create(
        issue=locked,
        overdue_since=locked.overdue_since,
        defaults={"unit": locked.unit, "issued_on": today, "deadline": locked.deadline},
    )
    interviews = 0
    if created:
        record(
            locked,
            EventKind.NOTICE,
            None,
            comment=_("逾期未办结，通报%(unit)s。") % {"unit": locked.unit.name},
        )
        interviews = _interviews(notice.unit, today)
    return marked, int(created), interviews


def _auto_escalate(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> int:
    locked = _lock_handling(issue)
    if locked is None or locked.deadline >= today:
        return 0
    after = settings.ISSUE_ESCALATE_AFTER_WORKDAYS.get(locked.level)
    late = calendar.workdays_between(locked.deadline, today)
    if after is None or Level.above(locked.level) is None or late < after:
        return 0
    reason = _("逾期%(days)d个工作日未办结，自动上提（%(date)s巡检）。") % {
        "days": late,
        "date": today.isoformat(),
    }
    auto_escalate(locked, reason)
    return 1


def _interviews(unit: Unit, today: datetime.date) -> int:
    """一通报、两约谈: 2 notices in the window → deputy leader's interview, 3 → principal's."""
    window_start = today - datetime.timedelta(days=settings.ISSUE_NOTICE_WINDOW_DAYS - 1)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one sweep counts at a time
    notices = list(Notice.objects.filter(unit=unit, issued_on__range=(window_start, today)))
    made = 0
    for kind, threshold in settings.ISSUE_INTERVIEW_THRESHOLDS.items():
        if len(notices) < threshold:
            continue
        if Interview.objects.filter(
            unit=unit, kind=kind, triggered_on__range=(window_start, today)
        ).exists():
            continue
        interview = Interview.objects.create(
            unit=unit, kind=kind, triggered_on=today, notice_count=len(notices)
        )
        interview.notices.set(notices)
        events.publish(
            "unit.interview",
            interview,
            region=unit.region_id,
            units=(unit.pk,),
            payload={"kind": kind, "notices": len(notices)},
        )
        made += 1
    return made
