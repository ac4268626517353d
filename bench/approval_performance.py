"""Benchmark: the approvals board, the API list and the department performance table.

Builds a throwaway database with N projects (default 2,000) and 5 approvals each (default
10,000), most of them decided, then reports the time and query count of the performance
figures (aggregated in the database, the median through a window), the API list and the pages.

    .venv/bin/python bench/approval_performance.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \
        .venv/bin/python bench/approval_performance.py --projects 2000

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

KINDS = ("land", "forestry", "eia", "energy", "soil_water")


def add_approvals() -> int:
    from django.utils import timezone

    from accounts.models import Unit
    from approvals.models import Approval, ApprovalKind
    from approvals.services import _fix_dates
    from projects.models import Project
    from schedule.workdays import current_calendar

    rng = random.Random(3)
    calendar = current_calendar()
    today = timezone.localdate()
    kinds = {kind.code: kind for kind in ApprovalKind.objects.all()}
    departments = list(Unit.objects.filter(kind="department", region_id="320000"))
    rows = []
    for project in Project.objects.only("pk"):
        for code in KINDS:
            kind = kinds[code]
            accepted = today - datetime.timedelta(days=rng.randint(5, 200))
            row = Approval(
                project_id=project.pk,
                kind=kind,
                unit=rng.choice(departments),
                authority_level="province",
                promised_days=kind.promised_days,
                status="under_review",
                submitted_on=accepted,
                accepted_on=accepted,
            )
            if rng.random() < 0.8:
                row.status = "approved"
                row.decided_on = min(today, calendar.add_workdays(accepted, rng.randint(0, 40)))
                row.document_no = f"文号{project.pk}{code}"
            _fix_dates(row, calendar)
            rows.append(row)
    Approval.objects.bulk_create(rows, batch_size=2000)
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
    from approvals import selectors
    from approvals.models import Approval

    print(f"database: {connection.vendor}; building {args.projects} projects …")
    start = time.perf_counter()
    build(args.projects)
    count = add_approvals()
    print(f"built {count} approvals in {time.perf_counter() - start:.1f} s\n")

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        rows = selectors.performance(Approval.objects.all())
        elapsed = (time.perf_counter() - start) * 1000
    print(
        f"{'performance(), whole province':<52} {elapsed:8.1f} ms  {len(queries):3d} queries"
        f"  ({len(rows)} unit × kind rows)"
    )

    user = User.objects.create_user("bench_approvals", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    measure("GET /api/v1/approvals/ (province, 50 per page)", lambda: api.get("/api/v1/approvals/"))
    measure(
        "GET /api/v1/approvals/?overdue=true&region=320200",
        lambda: api.get("/api/v1/approvals/?overdue=true&region=320200"),
    )
    measure("GET /api/v1/approvals/performance/", lambda: api.get("/api/v1/approvals/performance/"))
    measure("GET /approvals/ (board, province)", lambda: page.get("/approvals/"))
    measure("GET /approvals/performance/", lambda: page.get("/approvals/performance/"))


if __name__ == "__main__":
    main()
