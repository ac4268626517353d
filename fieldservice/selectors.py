"""Reads of 走访服务: the visits a user may see, and the two figures the cockpit and the
monthly briefing show for a region and its regions below.

- **走访覆盖率** (coverage) of a month = the projects with a service specialist that were visited
  in the month (by their specialist or their linked leader) ÷ the projects that had a specialist
  by the month's end (``Assignment.assigned_on``). Visits to projects without a specialist are
  listed but not counted, so the rate never passes 100%.
- **反馈率** of a period = the problems raised on visits in the period whose ticket has had its
  handling fed back — its status now one of :data:`FEEDBACK_STATUSES`: 已办结 (the unit wrote
  its 办理结果), 企业满意, 已销号, or 不予受理 (the office wrote why) — ÷ the problems raised on
  visits in the period. A ticket sent back for rework (退回重办) is in progress again and no
  longer counts as fed back.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from accounts.models import Region
from issues.models import Status

from .models import Assignment, Visit, VisitProblem

#: a ticket in one of these has had its handling fed back (反馈率's numerator)
FEEDBACK_STATUSES = (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED, Status.REJECTED)

COVERAGE_DEFINITION = _(
    "走访覆盖率 = 当月有走访记录（服务专员或挂钩领导走访均计）的已配服务专员项目数 ÷ "
    "当月末已配服务专员的项目数。"
)
FEEDBACK_DEFINITION = _(
    "反馈率 = 期内走访提出、工单已反馈办理结果的问题数 ÷ 期内走访提出的问题数；已反馈指工单"
    "现为已办结（责任单位已填写办理结果）、企业满意、已销号，或不予受理（重大办已写明原因）；"
    "退回重办的不计。"
)


def month_range(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, 1), datetime.date(year, month, last)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


def visits_for(user) -> QuerySet:
    """The visits ``user`` may see, newest first, with what their rows show."""
    return (
        Visit.objects.for_user(user)
        .with_related()
        .annotate(
            problem_count=Count(
                "problems", filter=Q(problems__in=VisitProblem.objects.for_user(user).values("pk"))
            )
        )
        .order_by("-visited_on", "-pk")  # a grouped query drops the model's ordering
    )


def project_service(user, project, limit: int = 5) -> dict:
    """The project page's part: its specialist, its linked leader and the latest visits."""
    assignment = (
        Assignment.objects.for_user(user)
        .select_related("specialist")
        .filter(project=project)
        .first()
    )
    visits = list(visits_for(user).filter(project=project)[:limit])
    return {"assignment": assignment, "visits": visits}


def unvisited_assignments(user, day: datetime.date) -> QuerySet:
    """The user's own projects as service specialist with no visit yet in ``day``'s month."""
    start, end = month_range(day.year, day.month)
    visited = Visit.objects.filter(
        project_id=OuterRef("project_id"), visited_on__gte=start, visited_on__lte=end
    )
    return Assignment.objects.for_user(user).filter(specialist_id=user.pk).exclude(Exists(visited))


@dataclass
class ServiceRow:
    """The figures of one region (and everything below it)."""

    region: Region
    assigned: int = 0
    visited: int = 0
    raised: int = 0
    answered: int = 0

    @property
    def coverage(self) -> Decimal | None:
        return percent(self.visited, self.assigned)

    @property
    def feedback_rate(self) -> Decimal | None:
        return percent(self.answered, self.raised)


@dataclass
class ServiceFigures:
    total: ServiceRow
    rows: list[ServiceRow] = field(default_factory=list)
    month_start: datetime.date | None = None
    month_end: datetime.date | None = None
    since: datetime.date | None = None
    coverage_definition: str = COVERAGE_DEFINITION
    feedback_definition: str = FEEDBACK_DEFINITION


def _grouped(queryset: QuerySet, code_path: str, width: int | None, **aggregates) -> dict:
    """``aggregates`` per region prefix of ``width`` digits (all as one with None)."""
    if width is None:
        return {None: queryset.order_by().aggregate(**aggregates)}
    return {
        row.pop("child"): row
        for row in queryset.order_by()
        .annotate(child=Substr(code_path, 1, width))
        .values("child")
        .annotate(**aggregates)
    }


def service_figures(
    user, region: Region, year: int, month: int, since: datetime.date | None = None
) -> ServiceFigures:
    """走访覆盖率 of the month ``year-month`` and 反馈率 of the problems raised on visits from
    ``since`` (default: the month's first day) to the month's end, for ``region`` and each
    region directly below it (projects registered at ``region`` itself form a last row when it
    has any). Three queries."""
    start, end = month_range(year, month)
    since = since or start
    prefix = region.scope_prefix
    children = list(Region.objects.filter(parent=region).order_by("code"))
    width = len(children[0].scope_prefix) if children else None

    visited = Visit.objects.filter(
        project_id=OuterRef("project_id"), visited_on__gte=start, visited_on__lte=end
    )
    assignments = (
        Assignment.objects.for_user(user)
        .filter(project__region__code__startswith=prefix, assigned_on__lte=end)
        .annotate(was_visited=Exists(visited))
    )
    coverage = _grouped(
        assignments,
        "project__region__code",
        width,
        assigned=Count("pk"),
        visited=Count("pk", filter=Q(was_visited=True)),
    )
    problems = VisitProblem.objects.for_user(user).filter(
        visit__project__region__code__startswith=prefix,
        visit__visited_on__gte=since,
        visit__visited_on__lte=end,
    )
    feedback = _grouped(
        problems,
        "visit__project__region__code",
        width,
        raised=Count("pk"),
        answered=Count("pk", filter=Q(issue__status__in=FEEDBACK_STATUSES)),
    )

    def row(subject: Region, key) -> ServiceRow:
        return ServiceRow(subject, **(coverage.get(key) or {}), **(feedback.get(key) or {}))

    if width is None:
        total = row(region, None)
        rows = []
    else:
        rows = [row(child, child.scope_prefix) for child in children]
        own = row(region, region.code[:width])
        if own.assigned or own.raised:
            rows.append(own)
        total = ServiceRow(
            region,
            assigned=sum(r.assigned for r in rows),
            visited=sum(r.visited for r in rows),
            raised=sum(r.raised for r in rows),
            answered=sum(r.answered for r in rows),
        )
    return ServiceFigures(total, rows, start, end, since)
