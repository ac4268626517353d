"""Reading the monthly forms: who has filed for a month, and the reminders of those who have
not (SPEC §8; the reminders are made by :mod:`progress.reminders`)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Region
from projects.models import Project

from .models import (
    FILED,
    FilingReminder,
    MonthlyReport,
    ReportStatus,
    active_projects,
    deadline_of,
)


@dataclass
class FilingRow:
    region: Region
    active: int
    draft: int
    submitted: int
    approved: int
    returned: int
    late: int = 0  # forms filed after the month's deadline (逾期报送)

    @property
    def filed(self) -> int:
        return self.submitted + self.approved

    @property
    def missing(self) -> int:
        return self.active - self.filed


def filing_status(user, period: str, region: Region | None = None) -> list[FilingRow]:
    """Per county (the project's region) in scope: active projects and their forms for the
    month by status, and how many were filed late. Two grouped queries whatever the number
    of counties."""
    projects = active_projects().filter(pk__in=Project.objects.for_user(user).values("pk"))
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    active = dict(
        projects.values("region_id").annotate(n=Count("pk")).values_list("region_id", "n")
    )
    day_after = deadline_of(period) + datetime.timedelta(days=1)
    cutoff = timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))
    counts = {
        row["project__region_id"]: row
        for row in MonthlyReport.objects.filter(period=period, project__in=projects.values("pk"))
        .values("project__region_id")
        .annotate(
            **{status: Count("pk", filter=Q(status=status)) for status in ReportStatus.values},
            late=Count("pk", filter=Q(status__in=FILED, submitted_at__gte=cutoff)),
        )
    }
    regions = Region.objects.in_bulk(list(active))
    rows = []
    for code in sorted(active):
        found = counts.get(code, {})
        rows.append(
            FilingRow(
                region=regions[code],
                active=active[code],
                **{status: found.get(status, 0) for status in ReportStatus.values},
                late=found.get("late", 0),
            )
        )
    return rows


def missing_projects(user, period: str, region: Region | None = None):
    """Active projects in scope with no form submitted or approved for the month."""
    projects = active_projects().filter(pk__in=Project.objects.for_user(user).values("pk"))
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    filed = MonthlyReport.objects.filter(
        period=period, status__in=(ReportStatus.SUBMITTED, ReportStatus.APPROVED)
    ).values("project_id")
    return projects.exclude(pk__in=filed).select_related("region").order_by("region_id", "pk")


def reminders_for(user, period: str):
    """The reminders a filer sees on their month's form (their county's, newest first)."""
    return FilingReminder.objects.for_user(user).filter(period=period)
