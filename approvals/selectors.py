"""Reads over approvals: the department performance table (SPEC §7), computed in the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from .models import DECIDED_STATUSES, RUNNING_STATUSES, Approval, late_q


@dataclass
class PerformanceRow:
    unit_id: int
    unit_name: str
    kind_code: str
    kind_name: str
    count: int  # approvals of this unit and kind
    decided: int  # of which decided (approved or refused)
    running: int  # of which accepted and under way
    median_days: Decimal | None  # working days from acceptance to decision
    mean_days: Decimal | None
    within_promise: Decimal | None  # share of the decided within the promised time limit
    within_target: Decimal | None  # share of the decided within the target
    overdue: int  # running past the promise, or decided after it

    @property
    def within_promise_percent(self) -> str:
        return _percent(self.within_promise)

    @property
    def within_target_percent(self) -> str:
        return _percent(self.within_target)


def _percent(share: Decimal | None) -> str:
    return "" if share is None else f"{share * 100:.0f}%"


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


def decided_q() -> Q:
    return Q(status__in=DECIDED_STATUSES)


def within_promise_q() -> Q:
    """Decided within the working days promised (before the first working day after the
    promised day)."""
    return decided_q() & Q(decided_on__lt=F("promise_late_on"))


def within_target_q() -> Q:
    return decided_q() & Q(decided_on__lt=F("target_late_on"))


def performance(queryset, today: datetime.date | None = None) -> list[PerformanceRow]:
    """Per handling unit and approval kind: counts, median and mean working days, shares
    within the promise and the target, and the overdue count — aggregated by the database.

    The median uses a window (row number within each unit and kind, ordered by working days)
    so only the one or two middle rows of each group leave the database."""
    today = today or timezone.localdate()
    decided = decided_q()
    groups = (
        queryset.order_by()
        .values("unit_id", "unit__name", "kind_id", "kind__name", "kind__position")
        .annotate(
            count=Count("pk"),
            decided=Count("pk", filter=decided),
            running=Count("pk", filter=Q(status__in=RUNNING_STATUSES)),
            mean_days=Avg("actual_days", filter=decided),
            within_promise=Count("pk", filter=within_promise_q()),
            within_target=Count("pk", filter=within_target_q()),
            overdue=Count("pk", filter=late_q(today)),
        )
        .order_by("kind__position", "unit__name")
    )
    medians = _medians(queryset)
    rows = []
    for group in groups:
        key = (group["unit_id"], group["kind_id"])
        mean = group["mean_days"]
        rows.append(
            PerformanceRow(
                unit_id=group["unit_id"],
                unit_name=group["unit__name"],
                kind_code=group["kind_id"],
                kind_name=group["kind__name"],
                count=group["count"],
                decided=group["decided"],
                running=group["running"],
                median_days=medians.get(key),
                mean_days=None if mean is None else Decimal(str(mean)).quantize(Decimal("0.1")),
                within_promise=_share(group["within_promise"], group["decided"]),
                within_target=_share(group["within_target"], group["decided"]),
                overdue=group["overdue"],
            )
        )
    return rows


def _medians(queryset) -> dict[tuple[int, str], Decimal]:
    partition = [F("unit_id"), F("kind_id")]
    ranked = (
        queryset.filter(status__in=DECIDED_STATUSES, actual_days__isnull=False)
        .order_by()
        .annotate(
            position=Window(RowNumber(), partition_by=partition, order_by=F("actual_days").asc()),
            size=Window(Count("pk"), partition_by=partition),
        )
        # the middle row, or the two middle rows of an even-sized group
        .filter(Q(position=(F("size") + 1) / 2) | Q(position=(F("size") + 2) / 2))
        .values_list("unit_id", "kind_id", "actual_days")
    )
    middles: dict[tuple[int, str], list[int]] = {}
    for unit_id, kind_id, days in ranked:
        middles.setdefault((unit_id, kind_id), []).append(days)
    return {
        key: (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"))
        for key, days in middles.items()
    }


def overdue_by_project(projects, today: datetime.date | None = None) -> dict[int, list[Approval]]:
    """Overdue approvals of these projects, by project id (for the weekly agenda)."""
    found: dict[int, list[Approval]] = {}
    rows = (
        Approval.objects.filter(project__in=projects)
        .overdue(today)
        .filter(status__in=RUNNING_STATUSES)
    )
    for approval in rows.select_related("kind", "unit").order_by("promise_due_on"):
        found.setdefault(approval.project_id, []).append(approval)
    return found
