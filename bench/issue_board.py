"""Benchmark: the issue board, the API list, the close-out export and the daily sweep.

Builds a throwaway database with N projects (default 2,000) and 5 tickets per project in every
status (default 10,000), a fifth of those being worked already past their deadline, then
reports the time and query count of the first daily sweep (which marks, notifies and
escalates), of a second sweep the same day (which must find nothing to do), and of the pages
and endpoints offices open most.

    .venv/bin/python bench/issue_board.py                      # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \
        .venv/bin/python bench/issue_board.py --projects 2000

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project_library import build, measure, setup_django  # noqa: E402

PER_PROJECT = 5
STATUSES = ["reported", "accepted", "assigned", "in_progress", "resolved", "confirmed", "closed"]


def add_issues() -> int:
    from django.utils import timezone

    from accounts.models import Unit
    from issues.models import Issue
    from projects.models import Project

    rng = random.Random(5)
    today = timezone.localdate()
    offices = {u.region_id: u for u in Unit.objects.filter(kind="office")}
    rows = []
    for project in Project.objects.select_related("region").only("pk", "region"):
        for n in range(PER_PROJECT):
            status = rng.choice(STATUSES)
            row = Issue(
                project_id=project.pk,
                region_id=project.region_id,
                title=f"基准问题{project.pk}-{n}",
                category=rng.choice(["land_sea", "eia", "energy", "funding", "other"]),
                source="county",
                level="county",
                status=status,
                reporter_phone="13800000000",
            )
            if status in ("assigned", "in_progress", "resolved", "confirmed", "closed"):
                row.unit = offices[project.region_id]
                row.responsible_leader, row.responsible_person = "领导", "责任人"
                row.solution = "方案"
                late = status == "in_progress" and rng.random() < 0.6
                row.deadline = today + datetime.timedelta(
                    days=-rng.randint(1, 20) if late else rng.randint(0, 30)
                )
            rows.append(row)
    Issue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=2000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User
    from issues import services
    from issues.models import Issue

    print(f"database: {connection.vendor}; building {args.projects} projects …")
    start = time.perf_counter()
    build(args.projects)
    count = add_issues()
    overdue = Issue.objects.overdue().count()
    print(f"built {count} issues ({overdue} overdue) in {time.perf_counter() - start:.1f} s\n")

    def counted(queries: list):
        # counted, not logged: the first sweep runs more queries than the log keeps
        return connection.execute_wrapper(
            lambda run, sql, *rest: queries.append(sql) or run(sql, *rest)
        )

    for label in ("first sweep", "second sweep, same day"):
        queries: list = []
        with counted(queries):
            start = time.perf_counter()
            done = services.sweep()
            elapsed = time.perf_counter() - start
        print(f"{label:<24} {elapsed:6.2f} s  {len(queries):6d} queries  {dict(done)}")
    print()

    user = User.objects.create_user("bench_issues", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    measure("GET /api/v1/issues/ (province, 50 per page)", lambda: api.get("/api/v1/issues/"))
    measure(
        "GET /api/v1/issues/?overdue=true&region=320200",
        lambda: api.get("/api/v1/issues/?overdue=true&region=320200"),
    )
    measure("GET /issues/ (board, province)", lambda: page.get("/issues/"))
    measure("GET /issues/supervision/", lambda: page.get("/issues/supervision/"))
    measure(
        "GET /issues/close-out/export.xlsx?region=320200",
        lambda: page.get("/issues/close-out/export.xlsx?region=320200"),
        repeat=2,
    )


if __name__ == "__main__":
    main()
