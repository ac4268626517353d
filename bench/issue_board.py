"""Benchmark: the daily sweep over the issue tickets, the API list, the board and the export.

Builds N projects (default 2,000) with 5 tickets each in every status (10,000 tickets), a fifth
of those being worked already past their deadline, then measures

- the first daily sweep, which marks, notifies, interviews and escalates one ticket at a time
  (each in its own transaction, with its event rows and notifications);
- a second sweep the same day, when nothing is due over the 10,000 tickets;

each against a floor: raw SQL statements that select the ids of the tickets due for each kind
of action (reminder, overdue mark and 通报, 受理超时, automatic escalation), with the
working-day dates computed beforehand — the least any sweep must do to know what is due. And
the pages and endpoints offices open most.

    .venv/bin/python bench/issue_board.py                      # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/issue_board.py --projects 2000

Goals (issue 21): the sweep with nothing due ≤ 20 queries and ≤ 2× the floor.
"""

import datetime
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from schedule_recompute import add_projects  # noqa: E402

PER_PROJECT = 5
STATUSES = ["reported", "accepted", "assigned", "in_progress", "resolved", "confirmed", "closed"]


def add_issues(projects: int) -> int:
    from django.utils import timezone

    from accounts.models import Unit
    from issues.models import Issue
    from projects.models import Project

    rng = random.Random(5)
    add_projects(projects, rng)
    today = timezone.localdate()
    offices = {u.region_id: u for u in Unit.objects.filter(kind="office")}
    rows = []
    for project in Project.objects.only("pk", "region"):
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


def due_by_sql(today: datetime.date, calendar) -> dict[str, list[int]]:
    """The floor: the ids of the tickets due today for each kind of action, one raw SQL
    statement each, the same conditions as the sweep's (README 困难问题与碰头会)."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from issues.models import Level
    from issues.services.followup import before_workdays

    handling = "('assigned', 'in_progress')"
    undone = "('reported', 'accepted', 'assigned', 'in_progress')"
    remind_before = before_workdays(calendar, today, -settings.ISSUE_REMIND_WORKDAYS)
    renotice_before = before_workdays(calendar, today, settings.ISSUE_RENOTICE_WORKDAYS)
    yesterday = today - datetime.timedelta(days=1)
    zone = timezone.get_current_timezone()
    accept, accept_params = [], []
    for level, days in settings.ISSUE_ACCEPT_WORKDAYS.items():
        since = before_workdays(calendar, yesterday, days)
        moment = datetime.datetime.combine(since, datetime.time.min, tzinfo=zone)
        accept.append("(level = %s AND COALESCE(escalated_at, reported_at) < %s)")
        accept_params += [level, connection.ops.adapt_datetimefield_value(moment)]
    escalate, escalate_params = [], []
    for level, after in settings.ISSUE_ESCALATE_AFTER_WORKDAYS.items():
        if Level.above(level) is not None:
            escalate.append("(level = %s AND deadline < %s)")
            escalate_params += [level, before_workdays(calendar, today, after)]
    statements = {
        "remind": (
            f"SELECT id FROM issues_issue WHERE status IN {handling}"
            " AND deadline >= %s AND deadline < %s"
            " AND (reminded_for IS NULL OR reminded_for <> deadline)",
            [today, remind_before],
        ),
        "follow_up": (
            f"SELECT i.id FROM issues_issue i WHERE i.status IN {undone} AND ("
            f" (i.status IN {handling} AND i.deadline < %s AND (i.overdue_since IS NULL"
            "   OR NOT EXISTS (SELECT 1 FROM issues_notice n WHERE n.issue_id = i.id)))"
            " OR ((SELECT max(n.issued_on) FROM issues_notice n WHERE n.issue_id = i.id) < %s"
            f"   AND NOT (i.status IN {handling} AND i.deadline IS NOT NULL"
            "   AND i.deadline >= %s)))",
            [today, renotice_before, today],
        ),
        "accept_overdue": (
            "SELECT id FROM issues_issue WHERE status = 'reported'"
            f" AND accept_overdue_since IS NULL AND ({' OR '.join(accept)})",
            accept_params,
        ),
        "escalate": (
            f"SELECT id FROM issues_issue WHERE status IN {handling} AND deadline IS NOT NULL"
            f" AND ({' OR '.join(escalate) or '1 = 0'})",
            escalate_params,
        ),
    }
    due = {}
    with connection.cursor() as cursor:
        for kind, (sql, params) in statements.items():
            cursor.execute(sql, params)
            due[kind] = [row[0] for row in cursor.fetchall()]
    return due


def once(step) -> "harness.Figure":
    """The time and queries of one run of ``step``, the queries counted as they run: the first
    sweep runs more than the 9,000 Django's query log (and so :func:`harness.measure`) keeps."""
    from django.db import connection

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        start = time.perf_counter()
        step()
        elapsed = (time.perf_counter() - start) * 1000
    return harness.Figure(ms=elapsed, queries=queries)


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=2000)
    with harness.own_database("issue_board"):
        harness.setup_django()
        from django.db import connection
        from django.test import Client
        from django.utils import timezone
        from rest_framework.test import APIClient

        from accounts.models import Region, Role, User
        from issues import services
        from issues.models import Issue
        from schedule.workdays import current_calendar

        count = add_issues(args.projects)
        overdue = Issue.objects.overdue().count()
        bench = harness.Bench(
            "issue_board", f"{args.projects:,} projects, {count:,} tickets, {connection.vendor}"
        )
        bench.note(f"dataset: {bench.dataset} ({overdue:,} past their deadline)")
        today = timezone.localdate()
        calendar = current_calendar()

        before = harness.measure(lambda: due_by_sql(today, calendar))
        listed = sum(len(ids) for ids in due_by_sql(today, calendar).values())
        sweeps = []
        first = once(lambda: sweeps.append(services.sweep(today)))
        done = sweeps[-1]
        bench.note(f"first sweep: {listed:,} tickets listed by the floor; did {dict(done)}")
        # No time goal: the first sweep acts on each due ticket (locks it, writes its marks,
        # notices and event rows, notifies the units) where the floor only lists them.
        bench.compare(
            f"first sweep ({sum(done.values()):,} steps done)",
            first,
            before,
            floor_name="raw SQL: ids due, per kind of action",
        )

        after = harness.measure(lambda: due_by_sql(today, calendar))
        assert not any(due_by_sql(today, calendar).values()), "the floor still finds work"
        again = harness.measure(lambda: sweeps.append(services.sweep(today)))
        assert not any(sweeps[1:]), "a second sweep did something"
        bench.compare(
            f"sweep with nothing due ({count:,} tickets)",
            again,
            after,
            floor_name="raw SQL: ids due, per kind of action",
            goal=2,
            query_goal=20,
        )

        user = User.objects.create_user("bench_issues", region=Region.objects.get(code="320000"))
        user.roles.set(Role.objects.filter(code="office_staff"))
        api = APIClient()
        api.force_authenticate(user)
        page = Client()
        page.force_login(user)
        for label, client, url in (
            ("GET /api/v1/issues/ (province, 50 per page)", api, "/api/v1/issues/"),
            (
                "GET /api/v1/issues/?overdue=true&region=320200",
                api,
                "/api/v1/issues/?overdue=true&region=320200",
            ),
            ("GET /issues/ (board, province)", page, "/issues/"),
            ("GET /issues/supervision/", page, "/issues/supervision/"),
            (
                "GET /issues/close-out/export.xlsx?region=320200",
                page,
                "/issues/close-out/export.xlsx?region=320200",
            ),
        ):
            assert client.get(url).status_code == 200, url
            bench.compare(label, harness.measure(lambda c=client, u=url: c.get(u)), None)
        return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
