"""Reminding the counties that have forms missing for the month (SPEC §8): on the configured
days, one FilingReminder per county, shown on its month's form (``selectors.reminders_for``)."""

import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from core import events

from .models import (
    FilingReminder,
    MonthlyReport,
    ReportStatus,
    active_projects,
    deadline_of,
    period_of,
)


def remind_filers(today: datetime.date | None = None) -> int:
    """On a reminder day, one FilingReminder per county with forms missing for this month;
    a second run on the same day adds nothing. Answers how many were made."""
    today = today or timezone.localdate()
    if today.day not in settings.PROGRESS_REMIND_DAYS:
        return 0
    period = period_of(today)
    filed = MonthlyReport.objects.filter(
        period=period, status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED)
    ).values("project_id")
    missing = (
        active_projects()
        .exclude(pk__in=filed)
        .values("region_id")
        .annotate(n=Count("pk"))
        .values_list("region_id", "n")
    )
    made = 0
    for region_id, count in missing:
        reminder, created = FilingReminder.objects.get_or_create(
            region_id=region_id,
            period=period,
            sent_on=today,
            defaults={"missing": count, "deadline": deadline_of(period)},
        )
        if created:
            events.publish(
                "progress.reminder",
                reminder,
                region=region_id,
                payload={"period": period, "missing": count, "deadline": str(reminder.deadline)},
            )
        made += created
    return made
