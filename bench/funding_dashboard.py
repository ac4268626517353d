"""Benchmark: the funding figures and dashboard.

Builds a throwaway database with N projects (default 2,000), quotas for the province and its
13 cities in three channels, and three funding records per project (default 6,000), then
reports the time and query count of the channel summary, the breakdown by city, the summary
endpoint, the records list and the dashboard page.

    .venv/bin/python bench/funding_dashboard.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \
        .venv/bin/python bench/funding_dashboard.py --projects 2000

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project_library import build, measure, setup_django  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User
    from funding import selectors

    print(f"database: {connection.vendor}; building {args.projects} projects …")
    start = time.perf_counter()
    build(args.projects)
    count = add_funding()
    print(f"built {count} funding records in {time.perf_counter() - start:.1f} s\n")

    user = User.objects.create_user("bench_funding", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    province = Region.objects.get(code="320000")
    for label, call in (
        ("channel_summary(), province", lambda: selectors.channel_summary(user, year=YEAR)),
        (
            "region_breakdown(), 13 cities",
            lambda: selectors.region_breakdown(
                user, year=YEAR, channel="special_bond", region=province
            ),
        ),
    ):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - start) * 1000
        print(f"{label:<52} {elapsed:8.1f} ms  {len(queries):3d} queries")

    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    measure(
        "GET /api/v1/funding/summary/?year=2026",
        lambda: api.get(f"/api/v1/funding/summary/?year={YEAR}"),
    )
    measure(
        "GET /api/v1/funding/records/ (50 per page)", lambda: api.get("/api/v1/funding/records/")
    )
    measure("GET /funding/ (dashboard, province)", lambda: page.get(f"/funding/?year={YEAR}"))


if __name__ == "__main__":
    main()
