"""Benchmark: the project library at provincial scale.

Builds a throwaway database with N projects (default 5,000 — about four times Jiangsu's
1,148 major projects to start in 2024 plus the reserve) spread over every county, then reports
time and query count for the API list at several page sizes and scopes, the filtered page
and the .xlsx export of a whole city.

    .venv/bin/python bench/project_library.py            # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \
        .venv/bin/python bench/project_library.py
    .venv/bin/python bench/project_library.py --projects 20000

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup_django() -> None:
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    import django

    django.setup()


def build(count: int) -> None:
    import datetime
    import random
    from decimal import Decimal

    from django.core.management import call_command

    from accounts.models import Region, Unit
    from projects.models import Category, Project, Stage, Tag, Tier

    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    from accounts import reference_data
    from accounts.models import Role

    reference_data.load(Region, Unit, Role)
    rng = random.Random(7)
    counties = list(Region.objects.filter(level="county"))
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"基准企业{i:05d}有限公司", kind="enterprise", region=rng.choice(counties))
            for i in range(count // 3)
        ]
    )
    tags = [Tag.objects.create(name=f"标签{i}") for i in range(8)]
    projects = []
    for i in range(count):
        unit = rng.choice(units)
        projects.append(
            Project(
                name=f"基准项目{i:06d}",
                unit=unit,
                region=unit.region,
                category=rng.choice(Category.values),
                tier=rng.choice(Tier.values),
                stage=rng.choice(Stage.values[:4]),
                total_investment=Decimal(rng.randint(3000, 2_000_000)),
                planned_start=datetime.date(2026, 1, 1)
                + datetime.timedelta(days=rng.randint(0, 360)),
            )
        )
    Project.objects.bulk_create(projects, batch_size=1000)
    through = Project.tags.through
    through.objects.bulk_create(
        [through(project_id=p.pk, tag_id=rng.choice(tags).pk) for p in Project.objects.only("pk")],
        batch_size=2000,
    )


def measure(label: str, request, repeat: int = 5) -> None:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings = []
    reset_queries()  # each request resets the log; start from empty so the count is right
    with CaptureQueriesContext(connection) as queries:
        response = request()
    query_count = len(queries)  # read now: the log is sliced lazily and later requests reset it
    assert response.status_code == 200, (label, response.status_code)
    for _ in range(repeat):
        start = time.perf_counter()
        request()
        timings.append((time.perf_counter() - start) * 1000)
    print(f"{label:<52} {statistics.median(timings):8.1f} ms  {query_count:3d} queries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=5000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User

    print(f"database: {connection.vendor}; building {args.projects} projects …")
    start = time.perf_counter()
    build(args.projects)
    print(f"built in {time.perf_counter() - start:.1f} s\n")

    province = User.objects.create_user("bench_province", region=Region.objects.get(code="320000"))
    province.roles.set(Role.objects.filter(code="office_staff"))
    county = User.objects.create_user("bench_county", region=Region.objects.get(code="320281"))
    county.roles.set(Role.objects.filter(code="county_filer"))

    from django.test import Client

    api = APIClient()
    for user, scope in ((province, "province"), (county, "county 320281")):
        api.force_authenticate(user)
        for size in (20, 50, 200):
            measure(
                f"API list, {scope}, page_size={size}",
                lambda s=size: api.get("/api/v1/projects/", {"page_size": s}),
            )
    api.force_authenticate(province)
    measure(
        "API list, province, region=320200&stage=started",
        lambda: api.get("/api/v1/projects/", {"region": "320200", "stage": "started"}),
    )
    measure(
        "API list, province, search + ordering",
        lambda: api.get("/api/v1/projects/", {"search": "0001", "ordering": "-total_investment"}),
    )
    web = Client()
    web.force_login(province)
    measure("page /projects/, province, first page", lambda: web.get("/projects/"))
    measure(
        "export .xlsx, province, region=320200",
        lambda: web.get("/projects/export.xlsx", {"region": "320200"}),
        repeat=2,
    )


if __name__ == "__main__":
    main()
