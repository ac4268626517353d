"""The project library's list at scale: cursor links, the capped count, ids-first pages, and
(on PostgreSQL) an index that yields every scope's rows in the library's order."""

import re
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects.models import Project

from . import factories
from .test_api_projects import LIST_QUERIES

PROJECTS = "/api/v1/projects/"
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="plans and estimates are PostgreSQL's"
)


@pytest.fixture
def eleven_projects(people):
    """Eleven projects in 江阴, two pairs with the same investment (ties broken by id)."""
    by = people["province_office"]
    amounts = [50_000, 40_000, 40_000, 30_000, 20_000, 20_000, 10_000, 9_000, 8_000, 7_000, 6_000]
    return [
        factories.project("320281", by=by, total_investment=Decimal(amount)) for amount in amounts
    ]


def follow_next(client, first: str, params=None) -> tuple[list[int], list[str]]:
    response = client.get(first, params)
    ids, links = [], []
    while True:
        assert response.status_code == 200, response.content
        ids += [item["id"] for item in response.json()["results"]]
        link = response.json()["next"]
        if not link:
            return ids, links
        links.append(link)
        response = client.get(link)


def test_next_links_continue_after_the_last_row(people, api, eleven_projects):
    client = api.as_user(people["county_office"])
    expected = [p.pk for p in sorted(eleven_projects, key=lambda p: (-p.total_investment, p.pk))]

    ids, links = follow_next(client, PROJECTS, {"page_size": 3})

    assert ids == expected
    assert len(links) == 3 and all("cursor=" in link for link in links)
    assert [re.search(r"[?&]page=(\d+)", link).group(1) for link in links] == ["2", "3", "4"]
    # page numbers give the same pages
    by_number = [
        item["id"]
        for page in (1, 2, 3, 4)
        for item in client.get(PROJECTS, {"page_size": 3, "page": page}).json()["results"]
    ]
    assert by_number == expected


def test_a_cursor_page_answers_like_a_numbered_one(people, api, eleven_projects):
    client = api.as_user(people["county_office"])
    first = client.get(PROJECTS, {"page_size": 4}).json()

    second = client.get(first["next"]).json()

    assert second["count"] == 11 and second["count_is_estimate"] is False
    assert "page=1" not in second["previous"] or "cursor" not in second["previous"]
    assert second["results"] == client.get(PROJECTS, {"page_size": 4, "page": 2}).json()["results"]


def test_a_cursor_page_costs_the_queries_of_a_numbered_one(people, api, eleven_projects):
    client = api.as_user(people["province_office"])
    link = client.get(PROJECTS, {"page_size": 3}).json()["next"]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(link)

    assert response.status_code == 200
    assert len(queries) == LIST_QUERIES


def test_a_bad_cursor_is_404(people, api, eleven_projects):
    response = api.as_user(people["county_office"]).get(PROJECTS, {"cursor": "not-a-cursor"})

    assert response.status_code == 404


def test_another_order_pages_by_number(people, api, eleven_projects):
    client = api.as_user(people["county_office"])

    ids, links = follow_next(client, PROJECTS, {"page_size": 4, "ordering": "name"})

    assert not any("cursor=" in link for link in links)
    assert ids == list(
        Project.objects.filter(pk__in=ids).order_by("name", "id").values_list("pk", flat=True)
    )


def test_the_count_is_capped_and_next_stays_exact(people, api, eleven_projects, settings):
    settings.LIST_COUNT_EXACT_UP_TO = 5
    client = api.as_user(people["county_office"])

    first = client.get(PROJECTS, {"page_size": 4}).json()
    last = client.get(PROJECTS, {"page_size": 4, "page": 3}).json()

    if connection.vendor == "postgresql":
        assert first["count_is_estimate"] is True and first["count"] >= 6
    else:  # no estimate to give: counted
        assert first["count_is_estimate"] is False and first["count"] == 11
    assert len(last["results"]) == 3 and last["next"] is None
    assert follow_next(client, PROJECTS, {"page_size": 4})[0] == [
        item["id"] for item in client.get(PROJECTS).json()["results"]
    ]


@on_postgresql
def test_the_page_says_about_when_the_count_is_an_estimate(people, client, settings):
    settings.LIST_COUNT_EXACT_UP_TO = 5
    by = people["province_office"]
    for number in range(45):
        factories.project("320281", by=by, total_investment=Decimal(1000 + number))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_project")  # the estimate comes from the statistics
    client.force_login(people["county_office"])

    html = client.get("/projects/").content.decode()

    assert "（约 " in html
    assert client.get("/projects/", {"page": 3}).status_code == 200


def test_the_page_keeps_its_numbers(people, client, eleven_projects):
    client.force_login(people["county_office"])

    html = client.get("/projects/").content.decode()

    assert "（共 11 条）" not in html  # one page of 20: no pager
    assert html.count("/projects/") >= 11


# --- plans ------------------------------------------------------------------------------------


def list_ids_plan(user) -> str:
    """The plan of the list's ids query, the planner told not to scan the table nor sort when
    it has any other way: a plan without Sort means an index yields the rows in order."""
    ids = Project.objects.for_user(user).values_list("pk", flat=True)[:50]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        return ids.explain()


@on_postgresql
@pytest.mark.parametrize(
    "person", ["admin", "province_office", "city_office", "county_office", "enterprise"]
)
def test_every_scope_lists_in_index_order(people, library, person):
    plan = list_ids_plan(people[person])

    assert "Index" in plan and "project_order_" in plan, plan
    assert "Sort" not in plan, plan


# --- the library page's next links ------------------------------------------------------------


@pytest.fixture
def many_projects(people):
    """45 admitted projects: 15 in 江阴 and 30 in 宜兴 (both 无锡), investments with ties."""
    by = people["province_office"]
    return [
        factories.project(
            "320281" if number % 3 == 0 else "320282",
            by=by,
            admission="admitted",
            total_investment=Decimal(10_000 + 100 * (number // 2)),
        )
        for number in range(45)
    ]


def page_rows(html: str) -> list[int]:
    links = re.findall(r'<td class="card-title"><a href="/projects/(\d+)/"', html)
    return [int(pk) for pk in links]


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="([^"]*)" rel="next">', html)
    return found and found.group(1).replace("&amp;", "&")


def test_the_pages_next_links_continue_after_the_last_row(people, client, many_projects):
    client.force_login(people["city_office"])
    expected = [p.pk for p in sorted(many_projects, key=lambda p: (-p.total_investment, p.pk))]

    html = client.get("/projects/").content.decode()
    rows, links = page_rows(html), []
    while link := next_link(html):
        links.append(link)
        html = client.get("/projects/" + link).content.decode()
        rows += page_rows(html)

    assert rows == expected
    assert len(links) == 2 and all("cursor=" in link for link in links)
    assert "第 3 / 3 页" in html
    by_number = [
        pk
        for number in (1, 2, 3)
        for pk in page_rows(client.get("/projects/", {"page": number}).content.decode())
    ]
    assert by_number == expected


def test_a_cursor_never_widens_the_scope(people, client, many_projects):
    client.force_login(people["city_office"])
    link = next_link(client.get("/projects/").content.decode())
    jiangyin = {p.pk for p in many_projects if p.region_id == "320281"}

    client.force_login(people["county_office"])  # 江阴 only
    rows = page_rows(client.get("/projects/" + link).content.decode())

    assert rows and set(rows) <= jiangyin


def test_a_bad_cursor_on_the_page_falls_back_to_the_page_number(people, client, many_projects):
    client.force_login(people["city_office"])
    second = page_rows(client.get("/projects/", {"page": 2}).content.decode())

    response = client.get("/projects/", {"page": 2, "cursor": "not-a-cursor"})

    assert response.status_code == 200 and page_rows(response.content.decode()) == second


def test_another_order_on_the_page_has_numbered_next_links(people, client, many_projects):
    client.force_login(people["city_office"])

    link = next_link(client.get("/projects/", {"sort": "name"}).content.decode())

    assert "page=2" in link and "cursor" not in link
