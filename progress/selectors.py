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
    period_of,
    previous_period,
)


def filing_period(user, region: Region | None = None, today: datetime.date | None = None) -> str:
    """The month being filed (``YYYY-MM``): what the monthly pages open when no month is
    asked for.

    A month's form reports that month and is due by its deadline (``deadline_of``, day
    ``PROGRESS_DEADLINE_DAY``, 每月20日前), and is then reviewed, so at the start of a month
    the live month is still the one before. The rule: **last month** while last month still
    has forms in the user's scope (within ``region``, if given) not yet approved — missing,
    草稿, 已报送 or 已退回, counted over the projects that file now (``active_projects``) —
    and today is on or before this month's deadline day; **this month** otherwise (last
    month all approved, or this month's deadline passed). One query at most."""
    today = today or timezone.localdate()
    this = period_of(today)
    if today > deadline_of(this):
        return this
    last = previous_period(this)
    projects = active_projects().filter(pk__in=Project.objects.for_user(user).values("pk"))
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    approved = MonthlyReport.objects.filter(period=last, status=ReportStatus.APPROVED)
    pending = projects.exclude(pk__in=approved.values("project_id")).exists()
    return last if pending else this


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
