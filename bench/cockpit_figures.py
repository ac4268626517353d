"""Benchmark: the leaders' cockpit at province scale, against the same aggregates in raw SQL.

Builds a throwaway PostgreSQL database with N projects (default 100,000), M approved monthly
rows (default 1,000,000) over 2025–2026, an issue for one project in twenty and an approval
for one in ten, then times the cockpit's data (cockpit.selectors, as the page calls them) for
the province against a floor: the same figures written by hand as raw SQL aggregates (one
statement each, no ORM), run in the same process on the same data. Goal: ≤ 1.5×.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/cockpit_figures.py --projects 100000 --monthly 1000000

It runs in a database of its own on that server (bench/harness.py), dropped at the end.
"""

import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from project_library import build  # noqa: E402

TODAY = datetime.date(2026, 12, 7)
D = datetime.date


def add_facts(monthly: int) -> None:
    from django.db import connection

    from accounts.models import Unit
    from approvals.models import ApprovalKind
    from projects.models import Project

    rng = random.Random(11)
    ids = list(Project.objects.values_list("pk", flat=True))
    # stages and dates: spread over two years so every indicator has something to count
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE projects_project SET
              admission = 'admitted',
              signed_on = DATE '2025-01-01' + (id * 7 % 700)::int,
              filed_on = CASE WHEN stage IN ('filed', 'started')
                THEN DATE '2025-02-01' + (id * 5 % 650)::int END,
              started_on = CASE WHEN stage = 'started'
                THEN DATE '2025-03-01' + (id * 3 % 640)::int END,
              planned_investment_year = total_investment / 5
            """
        )
    periods = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    per_project = max(1, monthly // len(ids))
    rows = []
    with connection.cursor() as cursor:
        for pk in ids:
            for period in rng.sample(periods, min(per_project, len(periods))):
                rows.append((pk, period, rng.randint(10, 5000)))
            if len(rows) >= 20000:
                _copy_reports(cursor, rows)
                rows = []
        if rows:
            _copy_reports(cursor, rows)
    from django.apps import apps

    from approvals import shipped

    shipped.load(apps)  # flush removed the shipped approval kinds
    department = Unit.objects.filter(kind="department").first() or Unit.objects.first()
    kind = ApprovalKind.objects.first()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO issues_issue (project_id, region_id, title, description, category, source,
              level, status, unit_id, responsible_leader, responsible_person, solution, deadline,
              reported_at, updated_at, external_id, project_hint, reporter_name, reporter_phone,
              resolution)
            SELECT id, region_id, '基准问题', '', 'land_sea', 'county', 'county', 'assigned', %s,
              '领导', '经办人', '方案', DATE '2026-11-01' + (id %% 60)::int, now(), now(),
              '', '', '', '', ''
            FROM projects_project WHERE id %% 20 = 0
            """,
            [department.pk],
        )
        cursor.execute(
            """
            INSERT INTO approvals_approval (project_id, kind_id, unit_id, authority_level,
              promised_days, status, submitted_on, accepted_on, promise_due_on, document_no,
              note, updated_at)
            SELECT id, %s, %s, 'city', 20, 'under_review', DATE '2026-09-01', DATE '2026-09-02',
              DATE '2026-10-01' + (id %% 90)::int, '', '', now()
            FROM projects_project WHERE id %% 10 = 0
            """,
            [kind.pk, department.pk],
        )
        cursor.execute("ANALYZE")


def _copy_reports(cursor, rows) -> None:
    with cursor.copy(
        "COPY progress_monthlyreport (project_id, period, investment_this_month, status, "
        "investment_ytd, physical_progress, new_stage, problems, problem_category, "
        "review_comment, created_at, updated_at) FROM STDIN"
    ) as copy:
        for pk, period, amount in rows:
            copy.write_row((pk, period, amount, "approved", 0, "", "", "", "", "", TODAY, TODAY))


def _window(end: str) -> str:
    """The indicator counts of the 五率/四率 and new starts for January to ``end``, one
    statement (the KPI cards)."""
    y0 = "'2026-01-01'"
    e = f"'{end}'"
    pairs = []
    for reached, nxt, industrial in (
        ("signed_on", "filed_on", False),
        ("filed_on", "started_on", False),
        ("completed_on", "producing_on", False),
        ("producing_on", "at_capacity_on", False),
        ("signed_on", "started_on", True),
        ("completed_on", "producing_on", True),
        ("producing_on", "at_capacity_on", True),
    ):
        den = f"{reached} BETWEEN {y0} AND {e}" + (
            " AND category = 'industrial'" if industrial else ""
        )
        pairs.append(f"COUNT(*) FILTER (WHERE {den})")
        pairs.append(f"COUNT(*) FILTER (WHERE {den} AND {nxt} <= {e})")
    pairs.append(
        "COUNT(*) FILTER (WHERE category = 'industrial' AND "
        f"(signed_on BETWEEN {y0} AND {e} OR stage = 'planning'))"
    )
    pairs.append("COUNT(*) FILTER (WHERE EXTRACT(YEAR FROM planned_start) = 2026)")
    pairs.append(
        f"COUNT(*) FILTER (WHERE EXTRACT(YEAR FROM planned_start) = 2026 AND started_on <= {e})"
    )
    pairs.append(f"COUNT(*) FILTER (WHERE started_on BETWEEN {y0} AND {e})")
    return f"SELECT {', '.join(pairs)} FROM projects_project WHERE admission <> 'rejected'"


def _investment(end_period: str, end: str, group: bool) -> list[str]:
    key = "SUBSTR(p.region_id, 1, 4)," if group else ""
    by = "GROUP BY 1" if group else ""
    building = (
        f"p.started_on <= '{end}' AND (p.completed_on IS NULL OR p.completed_on >= '2026-01-01')"
    )
    return [
        f"SELECT {key} SUM(p.planned_investment_year) FROM projects_project p "
        f"WHERE p.admission <> 'rejected' AND {building} {by}",
        f"SELECT {key} SUM(r.investment_this_month) FROM progress_monthlyreport r "
        "JOIN projects_project p ON p.id = r.project_id "
        f"WHERE r.status = 'approved' AND r.period BETWEEN '2026-01' AND '{end_period}' "
        f"AND p.admission <> 'rejected' AND {building} {by}",
    ]


LIGHTS = """
    WITH flags AS (
      SELECT p.id, p.total_investment,
        (p.stage IN ('planning', 'signed', 'filed') AND COALESCE(s.at_risk, false))
        OR EXISTS (SELECT 1 FROM issues_issue i WHERE i.project_id = p.id
                   AND i.status IN ('assigned', 'in_progress') AND i.deadline < '2026-12-07')
        OR EXISTS (SELECT 1 FROM approvals_approval a WHERE a.project_id = p.id
                   AND a.status IN ('accepted', 'under_review') AND a.promise_due_on < '2026-12-07')
        OR (p.stage = 'started' AND p.planned_investment_year > 0 AND COALESCE(
              (SELECT SUM(r.investment_this_month) FROM progress_monthlyreport r
               WHERE r.project_id = p.id AND r.status = 'approved'
                 AND r.period BETWEEN '2026-01' AND '2026-11'), 0)
            < p.planned_investment_year * 0.8 * 11 / 12) AS red,
        (p.stage IN ('planning', 'signed', 'filed') AND s.min_float <= 5)
        OR EXISTS (SELECT 1 FROM issues_issue i WHERE i.project_id = p.id
                   AND i.status IN ('assigned', 'in_progress')
                   AND i.deadline BETWEEN '2026-12-07' AND '2026-12-10')
        OR EXISTS (SELECT 1 FROM approvals_approval a WHERE a.project_id = p.id
                   AND a.status IN ('accepted', 'under_review')
                   AND a.promise_due_on BETWEEN '2026-12-07' AND '2026-12-10') AS yellow
      FROM projects_project p LEFT JOIN schedule_projectschedule s ON s.project_id = p.id
      WHERE p.admission = 'admitted')
    """

#: the same figures as the cockpit's selectors, written by hand: one statement per figure group
RAW = {
    "KPI counts, this month and the month before": [_window("2026-12-31"), _window("2026-11-30")],
    "KPI investment, this month and the month before": _investment("2026-12", "2026-12-31", False)
    + _investment("2026-11", "2026-11-30", False),
    "targets": ["SELECT region_id, indicator, value FROM indicators_target WHERE year = 2026"],
    "by city (map)": [
        _window("2026-12-31").replace("SELECT ", "SELECT SUBSTR(region_id, 1, 4), ", 1)
        + " GROUP BY 1",
        *_investment("2026-12", "2026-12-31", True),
    ],
    "trends": [
        "SELECT r.period, SUM(r.investment_this_month) FROM progress_monthlyreport r "
        "JOIN projects_project p ON p.id = r.project_id WHERE r.status = 'approved' "
        "AND r.period BETWEEN '2025-01' AND '2026-12' AND p.admission <> 'rejected' GROUP BY 1",
        "SELECT EXTRACT(YEAR FROM started_on), EXTRACT(MONTH FROM started_on), COUNT(*) "
        "FROM projects_project WHERE admission <> 'rejected' "
        "AND EXTRACT(YEAR FROM started_on) IN (2025, 2026) GROUP BY 1, 2",
        "SELECT EXTRACT(YEAR FROM resolved_at), EXTRACT(MONTH FROM resolved_at), COUNT(*) "
        "FROM issues_issue WHERE EXTRACT(YEAR FROM resolved_at) IN (2025, 2026) GROUP BY 1, 2",
    ],
    "issues by city and by unit, 通报, 约谈": [
        "SELECT SUBSTR(region_id, 1, 4), COUNT(*) FILTER (WHERE status IN ('assigned', "
        "'in_progress') AND deadline < '2026-12-07'), COUNT(*) FILTER (WHERE status NOT IN "
        "('closed', 'rejected')) FROM issues_issue GROUP BY 1",
        "SELECT unit_id, COUNT(*) FILTER (WHERE status IN ('assigned', 'in_progress') AND "
        "deadline < '2026-12-07'), COUNT(*) FILTER (WHERE status NOT IN ('closed', 'rejected')) "
        "FROM issues_issue WHERE unit_id IS NOT NULL GROUP BY 1",
        "SELECT COUNT(*) FROM issues_notice WHERE issued_on BETWEEN '2026-12-01' AND '2026-12-31'",
        "SELECT COUNT(*) FROM issues_interview WHERE triggered_on BETWEEN '2026-12-01' AND "
        "'2026-12-31'",
    ],
    "approvals by department": [
        "SELECT a.unit_id, u.name, COUNT(*) FILTER (WHERE status IN ('approved', 'refused')), "
        "COUNT(*) FILTER (WHERE status IN ('approved', 'refused') AND decided_on <= "
        "promise_due_on), COUNT(*) FILTER (WHERE status IN ('accepted', 'under_review')), "
        "COUNT(*) FILTER (WHERE status IN ('accepted', 'under_review') AND promise_due_on < "
        "'2026-12-07') FROM approvals_approval a JOIN accounts_unit u ON u.id = a.unit_id "
        "GROUP BY 1, 2",
    ],
    "funding by channel": [
        "SELECT channel_id, SUM(allocated), SUM(issued), SUM(used) FROM funding_fundingrecord "
        "WHERE year = 2026 GROUP BY 1",
        "SELECT channel_id, SUM(amount) FROM funding_quota WHERE year = 2026 GROUP BY 1",
    ],
    "project lights: counts and the ten worst": [
        LIGHTS + "SELECT CASE WHEN red THEN 'red' WHEN yellow THEN 'yellow' ELSE 'green' END, "
        "COUNT(*) FROM flags GROUP BY 1",
        LIGHTS + "SELECT id FROM flags WHERE red ORDER BY total_investment DESC, id LIMIT 10",
    ],
}


def main() -> None:
    args = harness.arguments(__doc__.splitlines()[0], projects=100_000, monthly=1_000_000)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench/cockpit_figures.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    with harness.own_database("cockpit"):
        harness.setup_django()
        run(args.projects, args.monthly)


def run(projects: int, monthly: int) -> None:
    import time_machine
    from django.db import connection
    from django.test import Client

    from accounts.models import Region, Role, User
    from cockpit import selectors
    from indicators import selectors as indicator_selectors
    from indicators.models import Indicator
    from progress.models import MonthlyReport
    from projects.models import Project

    print(f"building {projects:,} projects and about {monthly:,} monthly rows …", flush=True)
    start = time.perf_counter()
    build(projects)
    add_facts(monthly)
    built = f"{Project.objects.count():,} projects, {MonthlyReport.objects.count():,} monthly rows"
    print(f"built in {time.perf_counter() - start:.0f} s: {built}\n", flush=True)
    bench = harness.Bench("cockpit", built)
    bench.sizes()
    print(flush=True)
    with time_machine.travel(datetime.datetime(2026, 12, 7, 10), tick=True):
        user = User.objects.create_user("bench_leader", region=Region.objects.get(code="320000"))
        user.roles.set(Role.objects.filter(code="leader"))
        province = Region.objects.get(code="320000")
        window = selectors.Window(2026, 12)
        scope = Project.objects.for_user(user)

        def cockpit_data():
            selectors.kpis(province, window, scope)
            selectors.by_region(province, window, Indicator.WX_START, scope)
            selectors.trends(province, window, scope)
            selectors.issue_figures(user, province, window, TODAY)
            selectors.approvals_by_department(user, province, TODAY)
            selectors.funding_by_channel(user, province, 2026)
            selectors.light_figures(province, scope, TODAY)

        def raw(groups):
            def run_statements():
                with connection.cursor() as cursor:
                    for group in groups:
                        for sql in RAW[group]:
                            cursor.execute(sql)
                            cursor.fetchall()

            return run_statements

        statements = sum(map(len, RAW.values()))
        bench.compare(
            "驾驶舱数据（全省，cockpit.selectors）",
            harness.measure(cockpit_data),
            harness.measure(raw(list(RAW))),
            floor_name=f"手写汇总 SQL（{statements} 条）",
            goal=1.5,
        )
        # the indicators (五率/四率) of the province for the year so far: counts and investment
        bench.compare(
            "指标（全省，indicators.selectors.indicators）",
            harness.measure(lambda: indicator_selectors.indicators(province, 2026, "", scope)),
            harness.measure(
                lambda: raw_indicators(connection),
            ),
            floor_name="手写汇总 SQL（3 条）",
            goal=1.5,
        )
        page = Client()
        page.force_login(user)
        bench.compare("驾驶舱页面 GET /（全省）", harness.measure(lambda: page.get("/")), None)
    sys.exit(bench.finish())


def raw_indicators(connection) -> None:
    with connection.cursor() as cursor:
        for sql in [_window("2026-12-31"), *_investment("2026-12", "2026-12-31", False)]:
            cursor.execute(sql)
            cursor.fetchall()


if __name__ == "__main__":
    main()
