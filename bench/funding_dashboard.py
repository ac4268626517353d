"""Benchmark: the funding figures and dashboard.

Builds a throwaway database with N projects (default 2,000), quotas for the province and its
13 cities in three channels, and three funding records per project (default 6,000), then
reports the time and query count of the channel summary, the breakdown by city, the summary
endpoint, the records list and the dashboard page.

The channel summary is set against its floor: the same sums as hand-written SQL (one grouped
statement for the records, one for the quotas), in the same run on the same data.

    .venv/bin/python bench/funding_dashboard.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/funding_dashboard.py --projects 2000

It runs in a database of its own (bench/harness.py), dropped at the end.
"""

import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from project_library import build  # noqa: E402

CHANNELS = ("special_bond", "treasury_bond", "central_budget")
YEAR = 2026


def add_funding() -> int:
    from accounts.models import Region
    from funding.models import FundingRecord, Quota
    from projects.models import Project

    rng = random.Random(13)
    cities = list(Region.objects.filter(level="city"))
    quotas = []
    for channel in CHANNELS:
        quotas.append(
            Quota(channel_id=channel, year=YEAR, region_id="320000", amount=Decimal(15_650_000))
        )
        quotas += [
            Quota(channel_id=channel, year=YEAR, region=city, amount=Decimal(1_200_000))
            for city in cities
        ]
    Quota.objects.bulk_create(quotas)
    rows = []
    for project in Project.objects.only("pk"):
        for channel in CHANNELS:
            allocated = Decimal(rng.randint(1_000, 50_000))
            issued = (allocated * Decimal(rng.random())).quantize(Decimal("0.01"))
            used = (issued * Decimal(rng.random())).quantize(Decimal("0.01"))
            capital = (issued * Decimal("0.2")).quantize(Decimal("0.01"))
            rows.append(
                FundingRecord(
                    project_id=project.pk,
                    channel_id=channel,
                    year=YEAR,
                    allocated=allocated,
                    issued=issued,
                    used=used,
                    capital_share=capital,
                )
            )
    FundingRecord.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


RAW_SUMMARY = [
    "SELECT channel_id, SUM(allocated), SUM(issued), SUM(used) FROM funding_fundingrecord "
    f"WHERE year = {YEAR} GROUP BY channel_id",
    f"SELECT channel_id, SUM(amount) FROM funding_quota WHERE year = {YEAR} GROUP BY channel_id",
]


def main() -> None:
    args = harness.arguments(__doc__.splitlines()[0], projects=2000)
    with harness.own_database("funding_dashboard"):
        harness.setup_django()
        run(args.projects)


def run(projects: int) -> None:
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User
    from funding import selectors

    print(f"database: {connection.vendor}; building {projects} projects …", flush=True)
    start = time.perf_counter()
    build(projects)
    count = add_funding()
    print(f"built {count} funding records in {time.perf_counter() - start:.1f} s\n", flush=True)
    bench = harness.Bench("funding_dashboard", f"{projects:,} 个项目、{count:,} 条资金记录")

    user = User.objects.create_user("bench_funding", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    province = Region.objects.get(code="320000")

    def raw_summary():
        with connection.cursor() as cursor:
            for sql in RAW_SUMMARY:
                cursor.execute(sql)
                cursor.fetchall()

    bench.compare(
        "资金渠道汇总（全省，funding.selectors.channel_summary）",
        harness.measure(lambda: selectors.channel_summary(user, year=YEAR)),
        harness.measure(raw_summary),
        floor_name="手写汇总 SQL（2 条）",
    )
    bench.compare(
        "按市分解（13 个设区市，region_breakdown）",
        harness.measure(
            lambda: selectors.region_breakdown(
                user, year=YEAR, channel="special_bond", region=province
            )
        ),
        None,
    )
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    for what, call in (
        ("GET /api/v1/funding/summary/", lambda: api.get(f"/api/v1/funding/summary/?year={YEAR}")),
        ("GET /api/v1/funding/records/（每页 50 条）", lambda: api.get("/api/v1/funding/records/")),
        ("GET /funding/（资金看板，全省）", lambda: page.get(f"/funding/?year={YEAR}")),
    ):
        assert call().status_code == 200, what
        bench.compare(what, harness.measure(call), None)
    sys.exit(bench.finish())


if __name__ == "__main__":
    main()
