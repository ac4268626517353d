"""Funding figures (SPEC §11), aggregated in the database.

For a region R (with everything below it), a channel and a year: the quota is R's own quota
when R has one, else the sum of the quotas of the highest level below R that has any (the
province's 1,565亿元 is not added to the cities' shares of it); allocated, issued and used are
the sums of the funding records of the projects in R and below."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from accounts.models import Region

from .models import (
    SPECIAL_BOND_CAPITAL_SHARE,
    FinancingMatch,
    FinancingNeed,
    FundingChannel,
    FundingRecord,
    MatchState,
    Quota,
    ReitsProject,
    ReitsStage,
)

ZERO = Decimal("0")
LEVEL_DEPTH = {Region.Level.PROVINCE: 0, Region.Level.CITY: 1, Region.Level.COUNTY: 2}


@dataclass
class ChannelFigures:
    channel: FundingChannel
    year: int
    quota: Decimal | None
    allocated: Decimal
    issued: Decimal
    used: Decimal
    capital: Decimal
    projects: int
    deadline: datetime.date | None

    @property
    def issuance_progress(self) -> Decimal | None:
        """issued ÷ quota"""
        return _ratio(self.issued, self.quota)

    @property
    def use_progress(self) -> Decimal | None:
        """used ÷ issued"""
        return _ratio(self.used, self.issued)

    def behind_deadline(self, today: datetime.date | None = None) -> bool:
        """The deadline has passed and the quota is not fully issued."""
        today = today or timezone.localdate()
        return bool(
            self.deadline and self.deadline < today and self.quota and self.issued < self.quota
        )


def _ratio(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.0001"))


def _quota_rows(quotas, region: Region | None):
    """Quotas counted for ``region``: its own, else those of the highest level below it."""
    if region is not None:
        quotas = quotas.filter(region__code__startswith=region.scope_prefix)
    levels = set(quotas.values_list("region__level", flat=True).distinct())
    if not levels:
        return quotas.none()
    top = min(levels, key=lambda level: LEVEL_DEPTH[level])
    return quotas.filter(region__level=top)


def channel_summary(
    user, *, year: int, region: Region | None = None, channel: str | None = None
) -> list[ChannelFigures]:
    """Per channel for the user's scope (narrowed to ``region`` and below)."""
    records = FundingRecord.objects.for_user(user).filter(year=year)
    quotas = Quota.objects.for_user(user).filter(year=year)
    channels = FundingChannel.objects.all()
    if channel:
        records = records.filter(channel_id=channel)
        quotas = quotas.filter(channel_id=channel)
        channels = channels.filter(code=channel)
    if region is not None:
        records = records.filter(project__region__code__startswith=region.scope_prefix)
    money = {
        row["channel_id"]: row
        for row in records.values("channel_id").annotate(
            allocated=Coalesce(Sum("allocated"), ZERO),
            issued=Coalesce(Sum("issued"), ZERO),
            used=Coalesce(Sum("used"), ZERO),
            capital=Coalesce(Sum("capital_share"), ZERO),
            projects=Count("project", distinct=True),
        )
    }
    given = {
        row["channel_id"]: row
        for row in _quota_rows(quotas, region)
        .values("channel_id")
        .annotate(amount=Sum("amount"), deadline=_min_deadline())
    }
    rows = []
    for item in channels:
        spent = money.get(item.code, {})
        quota = given.get(item.code)
        if not spent and quota is None:
            continue
        rows.append(
            ChannelFigures(
                channel=item,
                year=year,
                quota=quota["amount"] if quota else None,
                allocated=spent.get("allocated", ZERO),
                issued=spent.get("issued", ZERO),
                used=spent.get("used", ZERO),
                capital=spent.get("capital", ZERO),
                projects=spent.get("projects", 0),
                deadline=quota["deadline"] if quota else None,
            )
        )
    return rows


def _min_deadline():
    return Min("issuance_deadline")


@dataclass
class RegionFigures:
    region: Region
    quota: Decimal | None
    allocated: Decimal
    issued: Decimal
    used: Decimal
    capital: Decimal = ZERO

    @property
    def capital_share(self) -> Decimal | None:
        """capital ÷ quota (special bonds: at most a quarter, ``SPECIAL_BOND_CAPITAL_SHARE``)"""
        return _ratio(self.capital, self.quota)

    @property
    def capital_beyond_limit(self) -> bool:
        share = self.capital_share
        return share is not None and share > SPECIAL_BOND_CAPITAL_SHARE

    @property
    def issuance_progress(self) -> Decimal | None:
        return _ratio(self.issued, self.quota)

    @property
    def use_progress(self) -> Decimal | None:
        return _ratio(self.used, self.issued)


def region_breakdown(user, *, year: int, channel: str, region: Region) -> list[RegionFigures]:
    """One channel's figures for each region directly below ``region`` (cities of the
    province, counties of a city) — the bars of the dashboard. Two grouped queries whatever
    the number of regions: records and quotas grouped by the child region's code prefix."""
    children = list(Region.objects.for_user(user).filter(parent=region).order_by("code"))
    if not children:
        return []
    width = len(children[0].scope_prefix)
    records = (
        FundingRecord.objects.for_user(user)
        .filter(
            year=year, channel_id=channel, project__region__code__startswith=region.scope_prefix
        )
        .annotate(child=Substr("project__region__code", 1, width))
        .values("child")
        .annotate(
            allocated=Coalesce(Sum("allocated"), ZERO),
            issued=Coalesce(Sum("issued"), ZERO),
            used=Coalesce(Sum("used"), ZERO),
            capital=Coalesce(Sum("capital_share"), ZERO),
        )
    )
    money = {row["child"]: row for row in records}
    quotas: dict[str, dict[str, Decimal]] = {}
    for row in (
        Quota.objects.for_user(user)
        .filter(year=year, channel_id=channel, region__code__startswith=region.scope_prefix)
        .exclude(region=region)
        .annotate(child=Substr("region__code", 1, width))
        .values("child", "region__level")
        .annotate(amount=Sum("amount"))
    ):
        quotas.setdefault(row["child"], {})[row["region__level"]] = row["amount"]
    rows = []
    for child in children:
        key = child.scope_prefix
        spent = money.get(key, {})
        given = quotas.get(key, {})
        top = min(given, key=lambda level: LEVEL_DEPTH[level]) if given else None
        rows.append(
            RegionFigures(
                region=child,
                quota=given[top] if top else None,
                allocated=spent.get("allocated", ZERO),
                issued=spent.get("issued", ZERO),
                used=spent.get("used", ZERO),
                capital=spent.get("capital", ZERO),
            )
        )
    return rows


@dataclass
class Overrun:
    """A quota gone past: split below it beyond it (``kind`` "split": the quotas of the
    regions directly below add up to more), or allocated beyond it ("allocated": the funding
    records of the projects in the region)."""

    quota: Quota
    kind: str
    total: Decimal

    @property
    def over(self) -> Decimal:
        return self.total - self.quota.amount


def quota_overruns(user, *, year: int, region: Region | None = None) -> list[Overrun]:
    """The quotas of ``region`` and below (in the user's scope) split or allocated beyond
    their amount, largest excess first. Three queries whatever the number of quotas."""
    quotas = Quota.objects.for_user(user).filter(year=year).select_related("channel", "region")
    if region is not None:
        quotas = quotas.filter(region__code__startswith=region.scope_prefix)
    quotas = list(quotas)
    if not quotas:
        return []
    below = {
        (row["channel_id"], row["region__parent_id"]): row["total"]
        for row in Quota.objects.filter(
            year=year, region__parent_id__in={quota.region_id for quota in quotas}
        )
        .values("channel_id", "region__parent_id")
        .annotate(total=Sum("amount"))
    }
    allocated: dict[str, list[tuple[str, Decimal]]] = {}
    records = FundingRecord.objects.filter(
        year=year, channel_id__in={quota.channel_id for quota in quotas}
    )
    if region is not None:
        records = records.filter(project__region__code__startswith=region.scope_prefix)
    for channel_id, code, total in records.values_list("channel_id", "project__region_id").annotate(
        total=Sum("allocated")
    ):
        allocated.setdefault(channel_id, []).append((code, total))
    found = []
    for quota in quotas:
        split = below.get((quota.channel_id, quota.region_id))
        if split is not None and split > quota.amount:
            found.append(Overrun(quota, "split", split))
        prefix = quota.region.scope_prefix
        rows = allocated.get(quota.channel_id, [])
        given = sum((total for code, total in rows if code.startswith(prefix)), ZERO)
        if given > quota.amount:
            found.append(Overrun(quota, "allocated", given))
    return sorted(found, key=lambda row: (-row.over, row.quota.region_id, row.kind))


def reits_funnel(user, region: Region | None = None) -> list[tuple[str, str, int]]:
    """(stage, label, count) in pipeline order."""
    queryset = ReitsProject.objects.for_user(user)
    if region is not None:
        queryset = queryset.filter(project__region__code__startswith=region.scope_prefix)
    counts = dict(queryset.values_list("stage").annotate(n=Count("pk")))
    return [(stage.value, stage.label, counts.get(stage.value, 0)) for stage in ReitsStage]


@dataclass
class FinancingFigures:
    needs: int
    total: Decimal
    matched: Decimal  # needs pushed to at least one institution
    credit_granted: Decimal
    disbursed: Decimal


def financing_summary(user, region: Region | None = None) -> FinancingFigures:
    needs = FinancingNeed.objects.for_user(user)
    matches = FinancingMatch.objects.for_user(user)
    if region is not None:
        needs = needs.filter(project__region__code__startswith=region.scope_prefix)
        matches = matches.filter(need__project__region__code__startswith=region.scope_prefix)
    totals = needs.aggregate(n=Count("pk"), total=Coalesce(Sum("amount"), ZERO))
    # a need pushed to several institutions counts once
    pushed = Exists(FinancingMatch.objects.filter(need=OuterRef("pk")))
    matched = needs.filter(pushed).aggregate(s=Coalesce(Sum("amount"), ZERO))["s"]
    granted = Q(state__in=[MatchState.CREDIT_GRANTED, MatchState.DISBURSED])
    money = matches.aggregate(
        credit=Coalesce(Sum("credit_amount", filter=granted), ZERO),
        disbursed=Coalesce(Sum("disbursed_amount"), ZERO),
    )
    return FinancingFigures(
        needs=totals["n"],
        total=totals["total"],
        matched=matched,
        credit_granted=money["credit"],
        disbursed=money["disbursed"],
    )
