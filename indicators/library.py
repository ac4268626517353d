"""The library's structure (seed 003): the reserve kept at ``RESERVE_RATIO_TARGET`` times the
year's investment ("储藏项目动态增长规模保持在年度投资规模的5倍以上"), per region; and the projects
ready to start with no substantial progress for ``STALLED_DAYS`` days ("具备开工条件两个月内无实质性
进展的，取消项目核准备案资格和用地指标供给") — offered to the office for its decision, never acted
on by the platform."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr

from accounts.models import Region
from progress.models import MonthlyReport, period_of
from projects.models import Admission, Stage, SubLibrary
from schedule.models import Milestone

ZERO = Decimal(0)
#: the libraries of the year's construction: their planned investment this year is the year's
BUILDING = (SubLibrary.ANNUAL, SubLibrary.KEY)


@dataclass
class ReserveRow:
    region: Region
    reserve_count: int
    reserve_investment: Decimal  # total investment of the reserve
    building_count: int
    building_investment: Decimal  # the year's planned investment of the construction libraries

    @property
    def ratio(self) -> Decimal | None:
        if not self.building_investment:
            return None
        return (self.reserve_investment / self.building_investment).quantize(Decimal("0.01"))

    @property
    def target(self) -> Decimal:
        return Decimal(str(settings.RESERVE_RATIO_TARGET))

    @property
    def lagging(self) -> bool:
        return self.ratio is not None and self.ratio < self.target


def reserve_ratios(projects: QuerySet, region: Region) -> list[ReserveRow]:
    """The region (with everything below it), then each region directly below: the reserve
    against the year's investment. ``projects``: the reader's scope. Two grouped queries."""
    projects = projects.exclude(admission=Admission.REJECTED).filter(
        region__code__startswith=region.scope_prefix
    )
    sums = {
        "reserve_count": Count("pk", filter=Q(sub_library=SubLibrary.RESERVE)),
        "reserve_investment": Coalesce(
            Sum("total_investment", filter=Q(sub_library=SubLibrary.RESERVE)), ZERO
        ),
        "building_count": Count("pk", filter=Q(sub_library__in=BUILDING)),
        "building_investment": Coalesce(
            Sum("planned_investment_year", filter=Q(sub_library__in=BUILDING)), ZERO
        ),
    }
    rows = [ReserveRow(region=region, **projects.aggregate(**sums))]
    children = list(Region.objects.filter(parent=region).order_by("code"))
    if children:
        width = len(children[0].scope_prefix)
        found = {
            row.pop("child"): row
            for row in projects.annotate(child=Substr("region__code", 1, width))
            .values("child")
            .annotate(**sums)
        }
        empty = dict.fromkeys(sums, 0)
        rows += [
            ReserveRow(region=child, **found.get(child.scope_prefix, empty)) for child in children
        ]
    return rows


def stalled(projects: QuerySet, region: Region, today: datetime.date) -> QuerySet:
    """Projects ready to start (admitted, 备案/赋码 done, not started) for more than
    ``STALLED_DAYS`` days with no substantial progress in that time: no investment reported in
    a monthly form of those months, no milestone started or finished. Oldest first."""
    since = today - datetime.timedelta(days=settings.STALLED_DAYS)
    invested = MonthlyReport.objects.filter(
        project=OuterRef("pk"), period__gte=period_of(since), investment_this_month__gt=0
    )
    moved = Milestone.objects.filter(
        Q(actual_start__gte=since) | Q(actual_finish__gte=since), project=OuterRef("pk")
    )
    return (
        projects.filter(
            region__code__startswith=region.scope_prefix,
            admission=Admission.ADMITTED,
            stage=Stage.FILED,
            filed_on__lte=since,
        )
        .exclude(Exists(invested))
        .exclude(Exists(moved))
        .select_related("region", "unit")
        .order_by("filed_on", "pk")
    )
