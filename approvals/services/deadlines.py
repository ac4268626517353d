"""Approvals near their promised date or past it (SPEC §7, §15): the daily job tells the
handling department and the specialist once per approval and promise date.

``approval.due`` goes out when a running approval (accepted or under review) is
``APPROVAL_DUE_WORKDAYS`` working days or fewer before its promised date (承诺办结日),
``approval.overdue`` when it is still running after it. These are no status steps, so they
leave no :class:`~approvals.models.ApprovalEvent`; the approval keeps the promise date each was
told for (``due_told_for``, ``overdue_told_for``): a new promise date (returned, then accepted
again) is told again, the same one never twice, also when two runs overlap (the marker is
claimed by one conditional UPDATE, which only one of them wins).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import events
from core.workflow import about_project
from schedule.workdays import WorkdayCalendar, current_calendar

from ..models import RUNNING_STATUSES, Approval

#: event → the marker field that keeps the promise date it was told for
MARKERS = {"due": "due_told_for", "overdue": "overdue_told_for"}


def announce_due(today: datetime.date | None = None) -> dict[str, int]:
    """Publish approval.due / approval.overdue for what became due by ``today``; answers how
    many of each. Only approvals with something to tell are read and written."""
    today = today or timezone.localdate()
    calendar = current_calendar()
    running = Approval.objects.filter(
        status__in=RUNNING_STATUSES, promise_due_on__isnull=False
    ).select_related("project", "kind")
    too_far = calendar.day_of(
        calendar.number_on_or_before(today) + settings.APPROVAL_DUE_WORKDAYS + 1
    )
    soon = running.filter(promise_due_on__gte=today, promise_due_on__lt=too_far)
    late = running.filter(promise_late_on__lte=today)  # in working days past the promise
    told = {"due": 0, "overdue": 0}
    for name, candidates in (("due", soon), ("overdue", late)):
        marker = MARKERS[name]
        for approval in candidates.exclude(**{marker: F("promise_due_on")}):
            told[name] += _tell(approval, name, today, calendar)
    return told


def _tell(approval: Approval, name: str, today: datetime.date, calendar: WorkdayCalendar) -> int:
    marker, promised = MARKERS[name], approval.promise_due_on
    with transaction.atomic():
        claimed = (
            Approval.objects.filter(
                pk=approval.pk, status__in=RUNNING_STATUSES, promise_due_on=promised
            )
            .exclude(**{marker: promised})
            .update(**{marker: promised})
        )
        if not claimed:  # told already by another run, or changed meanwhile
            return 0
        days = calendar.workdays_between(today, promised)
        events.publish(
            f"approval.{name}",
            approval,
            **about_project(approval.project, approval.unit_id),
            payload={
                "kind": approval.kind_id,
                "status": approval.status,
                "promise_due_on": promised.isoformat(),
                # working days left before the promised date (negative: past it)
                "remaining_workdays": days,
                "specialist": approval.specialist_id,
            },
            key=f"approval.{name}:{approval._meta.label_lower}:{approval.pk}:{promised}",
        )
    return 1
