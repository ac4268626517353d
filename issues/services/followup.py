"""一通报、两约谈 (seed 003, SPEC §5 and §15): 通报 of a task not done, and the 约谈 they bring.

Two rules make interviews; both may run (README "困难问题与碰头会"):

- **per task** (always): a ticket not done by its deadline is notified (通报) against its
  handling unit the day after; while it stays undone — whatever its level, an escalation does
  not start the count again — it is notified again every ``ISSUE_RENOTICE_WORKDAYS`` working
  days after the last notice (not while a new handling unit is still within its own deadline).
  The notice that reaches ``ISSUE_INTERVIEW_THRESHOLDS`` (the 2nd, the 3rd) brings the deputy
  (principal) leader's interview of the unit notified, once per ticket and leader;
- **per unit** (``ISSUE_UNIT_WINDOW_RULE``): a unit notified about 2 (3) different tickets
  within ``ISSUE_NOTICE_WINDOW_DAYS`` calendar days is interviewed by the deputy (principal)
  leader, once per window.

Each step happens once, also when two sweeps overlap: the ticket is locked and re-checked, and
the database refuses a second notice with the same number (``notice_sequence_once``) or a
second interview of a ticket by the same leader (``interview_once_per_task_and_kind``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Unit
from core import events
from schedule.workdays import WorkdayCalendar

from ..models import (
    HANDLING_STATUSES,
    UNDONE_STATUSES,
    EventKind,
    Interview,
    Issue,
    Notice,
)
from .workflow import record


def before_workdays(calendar: WorkdayCalendar, day: datetime.date, n: int) -> datetime.date:
    """The first day not ``n`` working days before ``day``: a date ``x`` lies at least ``n``
    working days before ``day`` (``calendar.workdays_between(x, day) >= n``) exactly when
    ``x`` is earlier than it."""
    return calendar.day_of(calendar.number_on_or_before(day) - n + 1)


def due(today: datetime.date, calendar: WorkdayCalendar) -> QuerySet:
    """Tickets the follow-up has something to do for today, in one query: late and not yet
    marked overdue, late and never notified, or undone and last notified at least
    ISSUE_RENOTICE_WORKDAYS working days ago (and not within a running deadline)."""
    late = Q(status__in=HANDLING_STATUSES, deadline__lt=today)
    running = Q(status__in=HANDLING_STATUSES, deadline__gte=today)
    notices = Notice.objects.filter(issue=OuterRef("pk"))
    since = before_workdays(calendar, today, settings.ISSUE_RENOTICE_WORKDAYS)
    return Issue.objects.filter(status__in=UNDONE_STATUSES).filter(
        (late & Q(overdue_since__isnull=True))
        | (late & ~Exists(notices))
        | (Exists(notices) & ~Exists(notices.filter(issued_on__gte=since)) & ~running)
    )


def follow_up(
    issue: Issue, today: datetime.date, calendar: WorkdayCalendar
) -> tuple[int, int, int]:
    """Mark the ticket overdue, notify it, interview: what is due today, on the locked ticket.
    Answers (marked overdue, notices, interviews)."""
    locked = (
        Issue.objects.select_for_update(of=("self",))
        .select_related("unit", "project")  # the events published name the project's unit
        .filter(pk=issue.pk, status__in=UNDONE_STATUSES)
        .first()
    )
    if locked is None:
        return 0, 0, 0
    marked = 0
    if locked.is_overdue(today) and locked.overdue_since is None:
        locked.overdue_since = today
        locked.save(update_fields=["overdue_since", "updated_at"])
        record(
            locked,
            EventKind.OVERDUE,
            None,
            comment=_("已超过办结时限%(deadline)s。") % {"deadline": locked.deadline.isoformat()},
        )
        marked = 1
    notice, last = _notify(locked, today, calendar)
    if notice is None:
        return marked, 0, 0
    made = _task_interviews(locked, notice, today)
    record(
        locked,
        EventKind.NOTICE,
        None,
        comment=_notice_text(notice, last, made, calendar),
        units=(notice.unit_id,),
        payload={
            "sequence": notice.sequence,
            "notice": notice.pk,
            "unit": notice.unit_id,
            "interviews": [interview.kind for interview in made],
        },
    )
    for interview in made:
        _publish(interview)
    if settings.ISSUE_UNIT_WINDOW_RULE:
        made += _unit_window_interviews(notice.unit, today)
    return marked, 1, len(made)


def _notify(
    locked: Issue, today: datetime.date, calendar: WorkdayCalendar
) -> tuple[Notice | None, Notice | None]:
    """The ticket's next 通报 if one is due today (None otherwise, or when a concurrent sweep
    wrote it first), and the one before it."""
    last = locked.notices.select_related("unit").order_by("-sequence").first()
    if last is None:
        if not locked.is_overdue(today):
            return None, None
    elif calendar.workdays_between(last.issued_on, today) < settings.ISSUE_RENOTICE_WORKDAYS:
        return None, last
    elif locked.status in HANDLING_STATUSES and locked.deadline >= today:
        return None, last  # a handling unit still within its own time limit (after escalation)
    unit = locked.unit or last.unit  # escalated and not yet dispatched: the unit last notified
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                issue=locked,
                sequence=(last.sequence if last else 0) + 1,
                unit=unit,
                overdue_since=locked.overdue_since or last.overdue_since,
                issued_on=today,
                deadline=locked.deadline or last.deadline,
            )
    except IntegrityError:  # another sweep numbered it first
        return None, last
    return notice, last


def _notice_text(
    notice: Notice, last: Notice | None, interviews: list[Interview], calendar: WorkdayCalendar
) -> str:
    if last is None:
        text = _("逾期未办结，第1次通报%(unit)s。") % {"unit": notice.unit.name}
    else:
        text = _("%(last)s通报后%(days)d个工作日仍未办结，第%(n)d次通报%(unit)s。") % {
            "last": last.issued_on.isoformat(),
            "days": calendar.workdays_between(last.issued_on, notice.issued_on),
            "n": notice.sequence,
            "unit": notice.unit.name,
        }
    for interview in interviews:
        text += _("记%(kind)s（约谈%(unit)s负责人）。") % {
            "kind": interview.get_kind_display(),
            "unit": notice.unit.name,
        }
    return text


def _task_interviews(locked: Issue, notice: Notice, today: datetime.date) -> list[Interview]:
    """Per task: the interviews this notice reaches that the ticket has not had yet."""
    thresholds = settings.ISSUE_INTERVIEW_THRESHOLDS
    if not thresholds or notice.sequence < min(thresholds.values()):
        return []
    had = set(locked.interviews.values_list("kind", flat=True))
    made = []
    for kind, threshold in thresholds.items():
        if notice.sequence < threshold or kind in had:
            continue
        try:
            with transaction.atomic():
                interview = Interview.objects.create(
                    unit=notice.unit,
                    kind=kind,
                    rule=Interview.Rule.TASK,
                    issue=locked,
                    triggered_on=today,
                    notice_count=notice.sequence,
                )
        except IntegrityError:  # another sweep recorded it first
            continue
        interview.notices.set(locked.notices.all())
        made.append(interview)
    return made


def _unit_window_interviews(unit: Unit, today: datetime.date) -> list[Interview]:
    """Per unit: 2 (3) different tickets notified within the window → deputy's (principal's)
    interview, once per window. Notices of one ticket count once, so a task notified again
    does not also make the unit's interview (the per-task rule has it)."""
    window_start = today - datetime.timedelta(days=settings.ISSUE_NOTICE_WINDOW_DAYS - 1)
    Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one sweep counts at a time
    first_of_each: dict[int, Notice] = {}
    for notice in Notice.objects.filter(unit=unit, issued_on__range=(window_start, today)).order_by(
        "issue_id", "sequence"
    ):
        first_of_each.setdefault(notice.issue_id, notice)
    notices = list(first_of_each.values())
    made = []
    for kind, threshold in settings.ISSUE_INTERVIEW_THRESHOLDS.items():
        if len(notices) < threshold:
            continue
        if Interview.objects.filter(
            unit=unit,
            kind=kind,
            rule=Interview.Rule.UNIT_WINDOW,
            triggered_on__range=(window_start, today),
        ).exists():
            continue
        interview = Interview.objects.create(
            unit=unit,
            kind=kind,
            rule=Interview.Rule.UNIT_WINDOW,
            triggered_on=today,
            notice_count=len(notices),
        )
        interview.notices.set(notices)
        _publish(interview)
        made.append(interview)
    return made


def _publish(interview: Interview) -> None:
    issue = interview.issue
    events.publish(
        "unit.interview",
        interview,
        project_id=issue.project_id if issue is not None else None,
        region=interview.unit.region_id,
        units=(interview.unit_id,),
        payload={
            "rule": interview.rule,
            "kind": interview.kind,
            "sequence": interview.notice_count if issue is not None else None,
            "notices": interview.notice_count,
            "issue": interview.issue_id,
        },
    )
