"""Benchmark: the project library's list — API and page — at national scale.

Builds N projects (default 100,000; ``--projects 1000000`` for the national figure) of
enterprises spread over every county, then, for each scope (province: all; a city and a
county: region code prefix; an enterprise contact: own unit), measures in the default order
(``-total_investment, id``)

- the SQL plan of the list query (``EXPLAIN``, printed): it must walk an index in that order,
  with no Sort node;
- the API list (``/api/v1/projects/``, 50 a page) and the library page (``/projects/``, 20 a
  page) at page 1 and at page 1000 (or the scope's last page when it has fewer) — the deep
  page must cost at most 1.2× the first;
- what counting adds: the count the paginator runs against the page without it — at most 20 %;

each against a floor, ``.values()`` of the same columns in the same order and page (the least
any implementation must do to show the rows).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/project_library.py [--projects 1000000]

The harness creates and drops a database of its own (``bench_project_library_<pid>``).
"""

from __future__ import annotations

import datetime
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

API_PAGE = 50  # the API's default page size
WEB_PAGE = 20  # the library page's
DEEP_PAGE = 1000
ROUNDS = 15  # runs per figure, the median counts


def _interleaved(steps: dict, rounds: int = ROUNDS) -> dict[str, harness.Figure]:
    """Each step's queries (of a first run) and median time over ``rounds`` runs taken in
    turn — step A, step B, …, A, B, … — so that what else the machine does at the moment
    weighs on every figure alike (the ratios compare steps measured side by side)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    queries, timings = {}, {name: [] for name in steps}
    for name, step in steps.items():
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            step()
        queries[name] = len(captured)
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            timings[name].append((time.perf_counter() - start) * 1000)
    return {
        name: harness.Figure(ms=statistics.median(timings[name]), queries=queries[name])
        for name in steps
    }


# --- the data -----------------------------------------------------------------------------------


def _insert(table: str, columns: tuple[str, ...], rows) -> None:
    """Rows into ``table``: COPY on PostgreSQL (a million rows in seconds), else executemany."""
    from django.db import connection

    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def build(count: int) -> None:
    """``count`` projects on a migrated database (the reference regions and units come with
    the migrations): one enterprise per three projects, each in a random county, a project in
    its enterprise's county; 95 % admitted to the library; one tag each. Then ``ANALYZE`` and
    ``VACUUM`` on PostgreSQL, as autovacuum would after such a load."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Region, Unit
    from projects.models import Admission, Category, Project, Stage, SubLibrary, Tag, Tier

    rng = random.Random(7)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    first = f"bench{rng.randrange(10**6):06d}"
    _insert(
        Unit._meta.db_table,
        ("name", "kind", "credit_code", "region_id"),
        (
            (f"基准企业{first}-{i:07d}有限公司", Unit.Kind.ENTERPRISE, "", rng.choice(counties))
            for i in range(max(count // 3, 1))
        ),
    )
    units = list(
        Unit.objects.filter(name__startswith=f"基准企业{first}-").values_list("id", "region_id")
    )
    now = timezone.now()
    start = datetime.date(2026, 1, 1)
    admissions = [Admission.ADMITTED] * 19 + [Admission.PENDING]
    _insert(
        Project._meta.db_table,
        (
            "name",
            "unit_id",
            "region_id",
            "category",
            "tier",
            "stage",
            "admission",
            "sub_library",
            "total_investment",
            "planned_start",
            "content",
            "sector",
            "construction_kind",
            "two_major",
            "treasury_bond",
            "treasury_bond_reason",
            "planned_investment_year",
            "completed_investment_total",
            "completed_investment_year",
            "responsible_leader",
            "contact_name",
            "contact_phone",
            "created_at",
            "updated_at",
        ),  # fmt: skip
        (
            (
                f"基准项目{i:07d}",
                *rng.choice(units),
                rng.choice(Category.values),
                rng.choice(Tier.values),
                rng.choice(Stage.values[:4]),
                rng.choice(admissions),
                SubLibrary.RESERVE,
                Decimal(rng.randint(3000, 2_000_000)),
                start + datetime.timedelta(days=rng.randint(0, 360)),
                "",
                "",
                "",
                False,
                False,
                "",
                0,
                0,
                0,
                "",
                "",
                "",
                now,
                now,
            )  # fmt: skip
            for i in range(count)
        ),
    )
    tags = [Tag.objects.get_or_create(name=f"标签{i}")[0].pk for i in range(8)]
    # the ids are read first: nothing else may use the connection while a COPY is open
    projects = list(Project.objects.values_list("pk", flat=True))
    _insert(
        Project.tags.through._meta.db_table,
        ("project_id", "tag_id"),
        ((pk, rng.choice(tags)) for pk in projects),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def setup_django() -> None:
    """Django on the database of ``DATABASE_URL``, migrated (for scripts that build on
    :func:`build` without :func:`harness.own_database`)."""
    harness.setup_django()


def measure(label: str, request, repeat: int = 5) -> None:
    """For the scripts not yet on the harness (``bench/approval_performance.py``): print the
    median time and the queries of ``request()``, a test client call answering 200."""
    figure = harness.measure(request, repeat=repeat)
    print(f"{label:<52} {figure.ms:8.1f} ms  {figure.queries:3d} queries")


# --- measuring ----------------------------------------------------------------------------------


def _users() -> dict:
    """One user per kind of scope: the province's office, a city's, a county's, and the
    contact of the county's largest enterprise (sees only their unit's projects)."""
    from accounts.models import Region, Role, User
    from projects.models import Project

    def user(name: str, region: str, role: str, unit=None):
        person = User.objects.create_user(
            f"bench_{name}", region=Region.objects.get(code=region), unit=unit
        )
        person.roles.set(Role.objects.filter(code=role))
        return User.objects.get(pk=person.pk)

    largest = Project.objects.filter(region_id="320281").order_by("-total_investment").first()
    return {
        "province 32": user("province", "320000", "office_staff"),
        "city 3202": user("city", "320200", "office_staff"),
        "county 320281": user("county", "320281", "office_staff"),
        "enterprise contact": user(
            "enterprise", "320281", "project_unit_contact", unit=largest.unit
        ),
    }


def _plan(user, offset: int) -> str:
    """EXPLAIN of the list's query for a page's ids (what the API and the page run first)."""
    from projects.models import Project

    ids = Project.objects.for_user(user).values_list("pk", flat=True)
    return ids[offset : offset + API_PAGE + 1].explain(analyze=True)


class _CountSkipped:
    """While active, the list paginator answers a fixed count without asking the database:
    the same request without counting, to see what counting adds."""

    def __enter__(self):
        from core.api.pagination import ListPaginator

        self.saved = ListPaginator.__dict__["_counted"]
        ListPaginator._counted = property(lambda paginator: (10**9, False))

    def __exit__(self, *exc):
        from core.api.pagination import ListPaginator

        ListPaginator._counted = self.saved


def _cursor_plan(user, cursor: str) -> str:
    from core.api.pagination import _after, _seek_keys, decode_cursor
    from projects.models import Project

    rows = Project.objects.for_user(user)
    keys = _seek_keys(rows)
    _number, values = decode_cursor(cursor, keys)
    ids = rows.filter(_after(keys, values)).values_list("pk", flat=True)
    return ids[: API_PAGE + 1].explain(analyze=True)


def _cursor(rows, number: int, size: int) -> str:
    """The ``cursor`` of page ``number`` of ``rows`` as a next link gives it: after the last
    row of the page before."""
    from core.api.pagination import _seek_keys, encode_cursor

    return encode_cursor(_seek_keys(rows), rows[(number - 1) * size - 1], number)


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=100_000)
    with harness.own_database("project_library"):
        harness.setup_django()
        from django.db import connection
        from django.test import Client
        from rest_framework.test import APIClient

        from projects.models import Project

        started = time.perf_counter()
        build(args.projects)
        dataset = f"{args.projects:,} projects"
        bench = harness.Bench("project_library", dataset)
        bench.note(f"{connection.vendor}: built {dataset} in {time.perf_counter() - started:.1f} s")
        bench.sizes()
        bad_plans = []
        for scope, user in _users().items():
            rows = Project.objects.for_user(user)
            total = rows.count()
            api_deep = min(DEEP_PAGE, max((total + API_PAGE - 1) // API_PAGE, 1))
            web_total = rows.filter(admission="admitted").count()
            web_deep = min(DEEP_PAGE, max((web_total + WEB_PAGE - 1) // WEB_PAGE, 1))
            bench.note(f"\n== {scope}: {total:,} projects in scope")
            plan = _plan(user, (api_deep - 1) * API_PAGE)
            bench.note(f"EXPLAIN ANALYZE, the ids of API page {api_deep}:\n{plan}")
            if connection.vendor == "postgresql" and ("Sort" in plan or "Index" not in plan):
                bad_plans.append(scope)
                bench.note(f"goal MISSED: {scope}: the list is not read in index order")

            api = APIClient()
            api.force_authenticate(user)
            web = Client()
            web.force_login(user)

            def get(client, path, status=200, **params):
                def step():
                    response = client.get(path, params)
                    assert response.status_code == status, (path, params, response.status_code)

                return step

            def floor(number, size, user=user):
                offset = (number - 1) * size
                rows = Project.objects.for_user(user).values()
                return lambda: list(rows[offset : offset + size])

            def uncounted(step):
                def run():
                    with _CountSkipped():
                        step()

                return run

            api_path, web_path = "/api/v1/projects/", "/projects/"
            steps = {
                "api 1": get(api, api_path, page=1),
                "api 1 uncounted": uncounted(get(api, api_path, page=1)),
                "floor api 1": floor(1, API_PAGE),
                "web 1": get(web, web_path, page=1),
                "web 1 uncounted": uncounted(get(web, web_path, page=1)),
                "floor web 1": floor(1, WEB_PAGE),
            }
            if api_deep > 1:
                cursor = _cursor(rows, api_deep, API_PAGE)
                bench.note(f"EXPLAIN ANALYZE, the ids of API page {api_deep} by next link:")
                bench.note(_cursor_plan(user, cursor))
                steps["api deep"] = get(api, api_path, page=api_deep)
                steps["api deep cursor"] = get(api, api_path, cursor=cursor)
                steps["floor api deep"] = floor(api_deep, API_PAGE)
            if web_deep > 1:
                admitted = rows.filter(admission="admitted")  # what the page lists by default
                steps["web deep"] = get(web, web_path, page=web_deep)
                steps["web deep cursor"] = get(
                    web, web_path, page=web_deep, cursor=_cursor(admitted, web_deep, WEB_PAGE)
                )
            figures = _interleaved(steps)
            if scope.startswith("province"):
                for name in ("api 1", "floor api 1"):
                    figures[name].peak_mb = harness.measure(
                        steps[name], repeat=1, memory=True
                    ).peak_mb

            same = ".values() same order and page"
            bench.compare(
                f"API list {scope}, page 1", figures["api 1"], figures["floor api 1"],
                floor_name=same,
            )  # fmt: skip
            if api_deep > 1:
                bench.compare(
                    f"API list {scope}, ?page={api_deep}",
                    figures["api deep"],
                    figures["floor api deep"],
                    floor_name=same,
                )
                bench.compare(
                    f"API list {scope}, page {api_deep} by next link / page 1",
                    figures["api deep cursor"],
                    figures["api 1"],
                    floor_name="API page 1",
                    goal=1.2,
                )
                bench.compare(
                    f"API list {scope}, ?page={api_deep} / page 1",
                    figures["api deep"],
                    figures["api 1"],
                    floor_name="API page 1",
                )
            bench.compare(
                f"API list {scope}, page 1 counted / not counted",
                figures["api 1"],
                figures["api 1 uncounted"],
                floor_name="the same without the count",
                goal=1.2,
            )
            bench.compare(
                f"page /projects/ {scope}, page 1", figures["web 1"], figures["floor web 1"],
                floor_name=same,
            )  # fmt: skip
            if web_deep > 1:
                bench.compare(
                    f"page /projects/ {scope}, page {web_deep} by next link / page 1",
                    figures["web deep cursor"],
                    figures["web 1"],
                    floor_name="page 1",
                    goal=1.2,
                )
                bench.compare(
                    f"page /projects/ {scope}, ?page={web_deep} / page 1",
                    figures["web deep"],
                    figures["web 1"],
                    floor_name="page 1",
                )
            bench.compare(
                f"page /projects/ {scope}, page 1 counted / not counted",
                figures["web 1"],
                figures["web 1 uncounted"],
                floor_name="the same without the count",
                goal=1.2,
            )
        status = bench.finish()
        if bad_plans:
            print(f"plans with a Sort: {', '.join(bad_plans)}")
            status = 1
        return status


if __name__ == "__main__":
    sys.exit(main())
