"""Demo funding (SPEC §11): the year's quotas, the projects' funding records, a few REITs
projects on their way to listing, and financing needs pushed to the banks.

The province's special-bond quota for 2026 is 1,565亿元 (15,650,000万元), to be issued by
30 September, split over the 13 cities in proportion to what their projects can absorb; most
cities issued all of it, a few are behind. The ultra-long treasury bond and central budget
quotas follow from what was allocated to the cities' projects. Everything is written through
:mod:`funding.services` (so every invariant holds) with past dates, from seeded random
generators; nothing is written when quotas exist.
"""

from __future__ import annotations

import datetime
import random
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.utils import timezone

from accounts.models import Region, User
from funding import services
from funding.models import (
    FinancialInstitution,
    FinancingNeed,
    FundingChannel,
    MatchState,
    Quota,
    ReitsStage,
)
from projects.models import Admission, Category, Project, Stage

SEED = 2026
YEAR = 2026
SPECIAL_BOND_QUOTA = Decimal("15650000")  # 万元 = 1,565亿元
SPECIAL_BOND_DEADLINE = datetime.date(YEAR, 9, 30)
TREASURY_BOND_DEADLINE = datetime.date(YEAR, 12, 31)
CENT = Decimal("0.01")
INFRA = Category.INFRASTRUCTURE
#: cities that had not issued their whole special-bond quota by the deadline
BEHIND_CITIES = 4
#: REITs projects, by the stage they have reached
REITS_STAGES = (
    ReitsStage.LISTED,
    ReitsStage.REGISTERED,
    ReitsStage.REPORTED_NATIONAL,
    ReitsStage.PROVINCIAL_REVIEW,
    ReitsStage.LOCAL_SUBMISSION,
    ReitsStage.RESERVE,
    ReitsStage.RESERVE,
)
#: underlying asset by a word of the project's name
REITS_ASSETS = (
    ("高速", "高速公路收费权"),
    ("快速路", "城市道路收费权"),
    ("污水", "污水处理收费权"),
    ("抽水蓄能", "抽水蓄能电站"),
    ("输变电", "输变电资产"),
    ("天然气", "天然气管网"),
    ("码头", "港口码头"),
    ("铁路", "铁路专用线"),
    ("管廊", "城市综合管廊"),
)
FINANCING_NEEDS = 16
#: the final state of each match, in turn
MATCH_STATES = (
    MatchState.DISBURSED,
    MatchState.IN_TALKS,
    MatchState.CREDIT_GRANTED,
    MatchState.PUSHED,
    MatchState.CREDIT_GRANTED,
    MatchState.IN_TALKS,
)


def _money(value: Decimal, step: Decimal = CENT, rounding=ROUND_DOWN) -> Decimal:
    """``value`` rounded to a multiple of ``step`` (down unless told), in cents."""
    multiple = (Decimal(value) / step).to_integral_value(rounding=rounding)
    return (multiple * step).quantize(CENT)


def _share(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 4)))


class DemoFunding:
    def __init__(self, users: dict[str, User]):
        self.by = users["province_office"]
        self.today = timezone.localdate()
        self.channels = {channel.code: channel for channel in FundingChannel.objects.all()}
        self.province = Region.objects.get(level=Region.Level.PROVINCE)
        self.cities = list(Region.objects.filter(level=Region.Level.CITY).order_by("code"))

    def past(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)

    def run(self) -> None:
        if Quota.objects.exists():
            return
        projects = list(
            Project.objects.filter(admission=Admission.ADMITTED)
            .exclude(stage=Stage.PLANNING)
            .order_by("id")
        )
        by_city: dict[str, list[Project]] = {}
        for project in projects:
            by_city.setdefault(project.region_id[:4], []).append(project)
        self.special_bonds(by_city)
        self.derived_quota_channel(
            "treasury_bond",
            [p for p in projects if p.treasury_bond or p.two_major or p.category == INFRA],
            (0.08, 0.2),
            TREASURY_BOND_DEADLINE,
        )
        self.derived_quota_channel(
            "central_budget",
            [p for p in projects if p.category == Category.LIVELIHOOD],
            (0.05, 0.15),
            None,
        )
        self.reits(projects)
        self.financing(projects)
        # the library's 超长期特别国债 flags as the records now have them
        services.refresh_treasury_bond()

    # -- special bonds: the 1,565亿元 split over the cities -------------------------------------

    def special_bonds(self, by_city: dict[str, list[Project]]) -> None:
        rng = random.Random(f"{SEED}-special-bonds")
        channel = self.channels["special_bond"]
        services.quota_save(
            by=self.by,
            channel=channel,
            year=YEAR,
            region=self.province,
            amount=SPECIAL_BOND_QUOTA,
            issuance_deadline=SPECIAL_BOND_DEADLINE,
            note="全省新增专项债券额度",
        )
        # what each city's projects can absorb: half of their investment
        capacity = {
            city.code: sum((p.total_investment for p in by_city.get(city.code[:4], [])), Decimal(0))
            / 2
            for city in self.cities
        }
        total = sum(capacity.values())
        quotas = {
            code: _money(SPECIAL_BOND_QUOTA * amount / total, Decimal("1000")) if total else 0
            for code, amount in capacity.items()
        }
        largest = max(quotas, key=quotas.get)
        quotas[largest] += SPECIAL_BOND_QUOTA - sum(quotas.values())  # the split adds up
        behind = set(rng.sample(sorted(quotas), BEHIND_CITIES))
        for city in self.cities:
            services.quota_save(
                by=self.by,
                channel=channel,
                year=YEAR,
                region=city,
                amount=quotas[city.code],
                issuance_deadline=SPECIAL_BOND_DEADLINE,
            )
            issued_share = _share(rng, 0.78, 0.96) if city.code in behind else Decimal(1)
            self.special_bond_records(
                by_city.get(city.code[:4], []), quotas[city.code], issued_share, rng
            )

    def special_bond_records(self, projects, quota: Decimal, issued_share: Decimal, rng) -> None:
        """The city's quota allocated to its projects by investment, all of it: the rounding
        goes to the largest project."""
        invested = sum((p.total_investment for p in projects), Decimal(0))
        if not projects or not invested:
            return
        allocated = [_money(quota * p.total_investment / invested, Decimal("10")) for p in projects]
        allocated[allocated.index(max(allocated))] += quota - sum(allocated)
        for project, amount in zip(projects, allocated, strict=True):
            if amount <= 0:
                continue
            issued = _money(amount * issued_share)
            capital = _money(issued * _share(rng, 0.1, 0.25)) if rng.random() < 0.3 else 0
            self.record(
                project,
                "special_bond",
                rng,
                allocated=amount,
                issued=issued,
                capital_share=capital,
                batch=rng.choice(("第一批", "第二批", "第三批")),
                latest_issue=SPECIAL_BOND_DEADLINE,
            )

    # -- channels whose quotas follow from the projects ----------------------------------------

    def derived_quota_channel(self, code, projects, allocated_share, deadline) -> None:
        """Records for ``projects``, then each city's quota a little above what it allocated,
        and the province's the sum of the cities'."""
        rng = random.Random(f"{SEED}-{code}")
        channel = self.channels[code]
        allocated_by_city: dict[str, Decimal] = {}
        for project in projects:
            share = _share(rng, *allocated_share)
            allocated = _money(project.total_investment * share, Decimal(10))
            if allocated <= 0:
                continue
            issued = _money(allocated * _share(rng, 0.6, 1.0))
            self.record(project, code, rng, allocated=allocated, issued=issued, latest_issue=None)
            city = project.region_id[:4] + "00"
            allocated_by_city[city] = allocated_by_city.get(city, Decimal(0)) + allocated
        total = Decimal(0)
        for city in self.cities:
            if city.code not in allocated_by_city:
                continue
            amount = _money(
                allocated_by_city[city.code] / _share(rng, 0.85, 1.0), Decimal(1000), ROUND_UP
            )
            total += amount
            services.quota_save(
                by=self.by,
                channel=channel,
                year=YEAR,
                region=city,
                amount=amount,
                issuance_deadline=deadline,
            )
        services.quota_save(
            by=self.by,
            channel=channel,
            year=YEAR,
            region=self.province,
            amount=total,
            issuance_deadline=deadline,
        )

    def record(self, project, channel, rng, *, allocated, issued, latest_issue, **fields):
        allocated_on = self.past(datetime.date(YEAR, rng.randint(1, 6), rng.randint(1, 28)))
        issued_on = allocated_on + datetime.timedelta(days=rng.randint(10, 90))
        if latest_issue:
            issued_on = min(issued_on, latest_issue)
        used = _money(issued * _share(rng, 0.35, 0.95))
        services.record_create(
            by=self.by,
            project=project,
            channel=self.channels[channel],
            year=YEAR,
            requested=_money(allocated * _share(rng, 1.0, 1.3), Decimal(10), ROUND_UP),
            allocated=allocated,
            issued=issued,
            used=used,
            allocated_on=allocated_on,
            issued_on=self.past(issued_on) if issued else None,
            used_as_of=self.past(datetime.date(YEAR, 10, 31)) if used else None,
            **fields,
        )

    # -- REITs -----------------------------------------------------------------------------------

    def reits(self, projects) -> None:
        """Operating infrastructure projects at each stage of the pipeline."""
        rng = random.Random(f"{SEED}-reits")
        operating = [
            p
            for p in projects
            if p.category == INFRA
            and p.stage in (Stage.COMPLETED, Stage.PRODUCING, Stage.AT_CAPACITY)
        ]
        for project, reached in zip(operating, REITS_STAGES, strict=False):
            steps = ReitsStage.values[1 : ReitsStage.order(reached) + 1]
            day = self.today - datetime.timedelta(days=60 * (len(steps) + 1) + rng.randint(0, 30))
            asset = next((a for word, a in REITS_ASSETS if word in project.name), "基础设施经营权")
            reits = services.reits_add(
                by=self.by,
                project=project,
                date=day,
                asset=asset,
                planned_amount=_money(
                    project.total_investment * _share(rng, 0.2, 0.4), Decimal(100)
                ),
            )
            for stage in steps:
                day += datetime.timedelta(days=rng.randint(30, 60))
                reits = services.reits_advance(
                    reits=reits, by=self.by, stage=stage, date=self.past(day)
                )

    # -- financing needs and matches ---------------------------------------------------------------

    def financing(self, projects) -> None:
        """Industrial projects under way with needs pushed to one to three institutions, the
        matches at every state; two needs not pushed yet."""
        rng = random.Random(f"{SEED}-financing")
        institutions = list(FinancialInstitution.objects.order_by("name"))
        candidates = [
            p
            for p in projects
            if p.category == Category.INDUSTRIAL and p.stage in (Stage.FILED, Stage.STARTED)
        ]
        step = max(1, len(candidates) // FINANCING_NEEDS)
        kinds = FinancingNeed.Kind.values
        states = iter(MATCH_STATES * 20)
        for index, project in enumerate(candidates[::step][:FINANCING_NEEDS]):
            need = services.need_create(
                by=self.by,
                project=project,
                kind=kinds[index % len(kinds)],
                amount=_money(project.total_investment * _share(rng, 0.2, 0.5), Decimal(100)),
                note=rng.choice(("", "用于设备购置", "项目建设期流动资金", "置换前期投入")),
            )
            if index % 8 == 7:
                continue  # not pushed yet
            pushed_on = self.past(self.today - datetime.timedelta(days=rng.randint(20, 150)))
            chosen = rng.sample(institutions, rng.randint(1, 3))
            for match in services.need_push(
                need=need, by=self.by, institutions=chosen, date=pushed_on
            ):
                self.advance(match, next(states), need.amount, rng)

    def advance(self, match, state: str, amount: Decimal, rng) -> None:
        if state == MatchState.PUSHED:
            return
        if state == MatchState.IN_TALKS:
            services.match_update(match=match, by=self.by, state=state)
            return
        credit = _money(amount * _share(rng, 0.5, 1.0), Decimal(100))
        match = services.match_update(
            match=match, by=self.by, state=MatchState.CREDIT_GRANTED, credit_amount=credit
        )
        if state == MatchState.DISBURSED:
            services.match_update(
                match=match,
                by=self.by,
                state=state,
                disbursed_amount=_money(credit * _share(rng, 0.3, 1.0), Decimal(10)),
            )
