"""The daily sweep (SPEC §5, §15): reminders, overdue marks, 通报 and 约谈 (:mod:`.followup`),
受理超时 marks and automatic escalation."""

from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unit
from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import HANDLING_STATUSES, EventKind, Issue, Level, Status
from . import followup
from .followup import before_workdays
from .workflow import auto_escalate, record

logger = logging.getLogger(__name__)


def sweep(today: datetime.date | None = None) -> Counter:
    """Reminders, overdue marks, 通报, 约谈, 受理超时 and automatic escalation for ``today``.

    Idempotent, also when two runs overlap: each ticket is locked and re-checked before it is
    changed, so a second run (or a ticket resolved meanwhile) finds nothing left to do. Only
    tickets with something due are listed (the calendar turns "N working days" into dates the
    database compares), so a day with nothing due costs a few queries. Each ticket is handled
    in its own transaction; one that fails is logged and counted as ``failed`` without
    stopping the others. Returns what it did.
    """
    today = today or timezone.localdate()
    calendar = current_calendar()
    done: Counter = Counter()
    handling = Issue.objects.filter(status__in=HANDLING_STATUSES, deadline__isnull=False)

    # Reminders not yet sent for the current deadline, ISSUE_REMIND_WORKDAYS or fewer away.
    too_far = before_workdays(calendar, today, -settings.ISSUE_REMIND_WORKDAYS)
    soon = handling.filter(deadline__gte=today, deadline__lt=too_far)
    for issue in soon.exclude(reminded_for=F("deadline")):
        done["reminded"] += _each(issue, _remind, today, calendar, done) or 0

    for issue in followup.due(today, calendar):
        marked, noticed, interviews = _each(issue, followup.follow_up, today, calendar, done) or (
            0,
            0,
            0,
        )
        done["overdue"] += marked
        done["notices"] += noticed
        done["interviews"] += interviews

    for issue in _waiting_too_long(today, calendar):
        done["accept_overdue"] += _each(issue, _accept_overdue, today, calendar, done) or 0

    for issue in handling.filter(_late_enough_to_escalate(today, calendar)):
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
    # the project comes along: every event published names the project's unit
    return (
        Issue.objects.select_for_update(of=("self",))
        .select_related("unit", "project")
        .filter(pk=issue.pk, status__in=HANDLING_STATUSES, deadline__isnull=False)
        .first()
    )


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


# --- 即时响应: the time limit for accepting ---------------------------------------------------


def _waiting_too_long(today: datetime.date, calendar: WorkdayCalendar):
    """Reported tickets past their level's time limit for accepting, not yet marked: each
    level's limit becomes the moment before which the ticket must have reached the level."""
    yesterday = today - datetime.timedelta(days=1)
    zone = timezone.get_current_timezone()
    past = Q()
    for level, days in settings.ISSUE_ACCEPT_WORKDAYS.items():
        since = before_workdays(calendar, yesterday, days)
        moment = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
        past |= Q(level=level) & (
            Q(escalated_at__lt=moment) | Q(escalated_at__isnull=True, reported_at__lt=moment)
        )
    if not past:
        return Issue.objects.none()
    return Issue.objects.filter(past, status=Status.REPORTED, accept_overdue_since__isnull=True)


def _accept_overdue(issue: Issue, today: datetime.date, calendar: WorkdayCalendar) -> int:
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("region", "project")
        .filter(pk=issue.pk, status=Status.REPORTED, accept_overdue_since__isnull=True)
        .first()
    )
    due_on = locked.accept_due_on(calendar) if locked is not None else None
    if due_on is None or due_on >= today:
        return 0
    locked.accept_overdue_since = today
    locked.save(update_fields=["accept_overdue_since", "updated_at"])
    office_region = locked.level_region_code()
    offices = Unit.objects.filter(region_id=office_region, kind=Unit.Kind.OFFICE)
    record(
        locked,
        EventKind.ACCEPT_OVERDUE,
        None,
        comment=_("上报或上提至%(level)s后%(days)d个工作日内（%(due)s前）未受理，已超过受理时限。")
        % {
            "level": Level(locked.level).label,
            "days": settings.ISSUE_ACCEPT_WORKDAYS[locked.level],
            "due": due_on.isoformat(),
        },
        units=tuple(offices.values_list("pk", flat=True)),
        payload={"level": locked.level, "office": office_region, "due": due_on.isoformat()},
    )
    return 1


# --- automatic escalation -------------------------------------------------------------------


def _late_enough_to_escalate(today: datetime.date, calendar: WorkdayCalendar) -> Q:
    """Late by at least the level's ISSUE_ESCALATE_AFTER_WORKDAYS, at a level that has one
    above it (nothing otherwise)."""
    late = Q(pk__in=[])
    for level, after in settings.ISSUE_ESCALATE_AFTER_WORKDAYS.items():
        if Level.above(level) is not None:
            late |= Q(level=level, deadline__lt=before_workdays(calendar, today, after))
    return late


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
