"""Benchmark: the approvals board, the API list and the department performance table.

Builds a throwaway database with N projects (default 2,000) and 5 approvals each (default
10,000), most of them decided, then reports the time and query count of the performance
figures (aggregated in the database, the median through a window), the API list and the pages.

The performance table is set against its floor: the counts by unit and kind as one
hand-written grouped statement (without the median), in the same run on the same data.

    .venv/bin/python bench/approval_performance.py              # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/approval_performance.py --projects 2000

It runs in a database of its own (bench/harness.py), dropped at the end.
"""

import datetime
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from project_library import build  # noqa: E402

KINDS = ("land", "forestry", "eia", "energy", "soil_water")


def add_approvals() -> int:
    from django.utils import timezone

    from accounts.models import Unit
    from approvals.models import Approval, ApprovalKind
    from approvals.services.figures import _fix_dates
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


RAW_PERFORMANCE = (
    "SELECT unit_id, kind_id, COUNT(*), "
    "SUM(CASE WHEN status IN ('approved', 'refused') THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN status IN ('approved', 'refused') AND decided_on <= promise_due_on "
    "THEN 1 ELSE 0 END) FROM approvals_approval GROUP BY unit_id, kind_id"
)


def main() -> None:
    args = harness.arguments(__doc__.splitlines()[0], projects=2000)
    with harness.own_database("approval_performance"):
        harness.setup_django()
        run(args.projects)


def run(projects: int) -> None:
    from django.db import connection
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import Region, Role, User
    from approvals import selectors
    from approvals.models import Approval

    print(f"database: {connection.vendor}; building {projects} projects …", flush=True)
    start = time.perf_counter()
    build(projects)
    count = add_approvals()
    print(f"built {count} approvals in {time.perf_counter() - start:.1f} s\n", flush=True)
    bench = harness.Bench("approval_performance", f"{projects:,} 个项目、{count:,} 个审批事项")

    def raw_performance():
        with connection.cursor() as cursor:
            cursor.execute(RAW_PERFORMANCE)
            cursor.fetchall()

    bench.compare(
        "部门效能表（全省，approvals.selectors.performance）",
        harness.measure(lambda: selectors.performance(Approval.objects.all())),
        harness.measure(raw_performance),
        floor_name="手写分组计数 SQL（不含中位数）",
    )
    user = User.objects.create_user("bench_approvals", region=Region.objects.get(code="320000"))
    user.roles.set(Role.objects.filter(code="office_staff"))
    api = APIClient()
    api.force_authenticate(user)
    page = Client()
    page.force_login(user)
    for what, call in (
        ("GET /api/v1/approvals/（全省，每页 50 项）", lambda: api.get("/api/v1/approvals/")),
        (
            "GET /api/v1/approvals/?overdue=true&region=320200",
            lambda: api.get("/api/v1/approvals/?overdue=true&region=320200"),
        ),
        ("GET /api/v1/approvals/performance/", lambda: api.get("/api/v1/approvals/performance/")),
        ("GET /approvals/（审批看板，全省）", lambda: page.get("/approvals/")),
        ("GET /approvals/performance/", lambda: page.get("/approvals/performance/")),
    ):
        assert call().status_code == 200, what
        bench.compare(what, harness.measure(call), None)
    sys.exit(bench.finish())


if __name__ == "__main__":
    main()
