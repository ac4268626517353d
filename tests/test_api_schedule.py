"""The milestones and schedule API: contract, writes, errors, scope and the at_risk filter."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services as project_services
from schedule import services
from schedule.models import Milestone, ScheduleTemplate

from .test_api_projects import assert_error

PROJECTS = "/api/v1/projects/"
MILESTONES = "/api/v1/milestones/"
#: the day these tests run on: a project starting 400 days later needs the 2027 calendar
TODAY = dt.date(2026, 6, 15)
pytestmark = pytest.mark.clock(TODAY)

SCHEDULE_KEYS = {
    "project",
    "as_of",
    "anchor_date",
    "forecast_anchor_date",
    "at_risk",
    "calendar_provisional",
    "warnings",
    "milestones",
    "blocking_issues",
}
SCHEDULED_MILESTONE_KEYS = {
    "id",
    "name",
    "kind",
    "status",
    "duration_days",
    "predecessors",
    "latest_start",
    "latest_finish",
    "earliest_start",
    "earliest_finish",
    "actual_start",
    "actual_finish",
    "total_float",
    "critical",
}


@pytest.fixture
def office(people):
    return people["county_office"]


@pytest.fixture
def project(library, people):
    project = library["jiangyin_other"]
    project_services.project_update(
        project=project, by=people["province_office"], planned_start=TODAY + dt.timedelta(400)
    )
    return project


@pytest.fixture
def planned(project, people):
    """The industrial template applied to the 江阴 project."""
    template = ScheduleTemplate.objects.get(category="industrial")
    services.apply_template(project=project, template=template, by=people["province_office"])
    return project


def url(project, tail):
    return f"{PROJECTS}{project.pk}/{tail}/"


def test_apply_template_and_read_the_schedule(api, project, office):
    client = api.as_user(office)
    template = ScheduleTemplate.objects.get(category="industrial")
    response = client.post(url(project, "apply-template"), {"template": template.pk}, "json")
    assert response.status_code == 201, response.content
    assert len(response.json()) == 13
    response = client.get(url(project, "schedule"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == SCHEDULE_KEYS
    assert body["at_risk"] is False and body["calendar_provisional"] is True  # reaches 2027
    assert any("2027年" in warning for warning in body["warnings"])
    assert body["anchor_date"] <= (TODAY + dt.timedelta(400)).isoformat()
    rows = body["milestones"]
    assert len(rows) == 13 and set(rows[0]) == SCHEDULED_MILESTONE_KEYS
    anchor = next(row for row in rows if row["kind"] == "construction_start")
    assert anchor["latest_start"] == body["anchor_date"]
    assert anchor["earliest_start"] == body["forecast_anchor_date"]
    for row in rows:
        assert row["latest_start"] <= row["latest_finish"]
        assert row["earliest_start"] <= row["earliest_finish"]
        assert isinstance(row["total_float"], int)
    critical = [row["name"] for row in rows if row["critical"]]
    assert critical == []  # 400 days ahead leaves float everywhere


def test_applying_twice_is_refused(api, planned, office):
    template = ScheduleTemplate.objects.get(category="infrastructure")
    response = api.as_user(office).post(
        url(planned, "apply-template"), {"template": template.pk}, "json"
    )
    assert_error(response, 400, "milestones_exist", "template")
    assert planned.milestones.count() == 13


def test_add_a_milestone_with_predecessors(api, planned, office):
    client = api.as_user(office)
    eia = planned.milestones.get(kind="eia")
    response = client.post(
        url(planned, "milestones"),
        {
            "name": "排污许可",
            "kind": "other",
            "duration_days": 10,
            "predecessors": [{"milestone": eia.pk, "lag_days": 3}],
            "problem": "排污总量指标未落实",
            "bottleneck": "区域总量不足",
            "solution_path": "市级统筹调剂",
            "expected_resolution_on": (TODAY + dt.timedelta(30)).isoformat(),
        },
        "json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["predecessors"] == [{"milestone": eia.pk, "lag_days": 3}]
    assert body["status"] == "not_started" and body["project"] == planned.pk
    listed = client.get(url(planned, "milestones")).json()
    assert len(listed) == 14


def test_patch_actual_dates_and_predecessors(api, planned, office):
    client = api.as_user(office)
    filing = planned.milestones.get(kind="approval_filing")
    response = client.patch(
        f"{MILESTONES}{filing.pk}/",
        {"actual_start": (TODAY - dt.timedelta(9)).isoformat(), "actual_finish": TODAY.isoformat()},
        "json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    schedule = client.get(url(planned, "schedule")).json()
    row = next(r for r in schedule["milestones"] if r["id"] == filing.pk)
    assert row["actual_finish"] == TODAY.isoformat()
    assert row["earliest_finish"] == TODAY.isoformat()


def test_a_cycle_through_the_api_names_it(api, planned, office):
    client = api.as_user(office)
    filing = planned.milestones.get(kind="approval_filing")
    permit = planned.milestones.get(kind="construction_permit")
    response = client.patch(
        f"{MILESTONES}{filing.pk}/", {"predecessors": [{"milestone": permit.pk}]}, "json"
    )
    body = assert_error(response, 400, "milestone_cycle", "predecessors")
    assert "项目备案赋码" in body["message"] and "施工许可" in body["message"]
    assert not filing.predecessor_links.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"duration_days": -1}, "duration_days"),
        ({"predecessors": [{"milestone": 0, "lag_days": 0}]}, "predecessors"),
        ({"status": "finished"}, "status"),
    ],
)
def test_invalid_input_is_a_validation_error(api, planned, office, payload, field):
    filing = planned.milestones.get(kind="approval_filing")
    response = api.as_user(office).patch(f"{MILESTONES}{filing.pk}/", payload, "json")
    assert_error(response, 400, "validation_error", field)


def test_negative_lag_is_refused(api, planned, office):
    filing = planned.milestones.get(kind="approval_filing")
    eia = planned.milestones.get(kind="eia")
    response = api.as_user(office).patch(
        f"{MILESTONES}{eia.pk}/",
        {"predecessors": [{"milestone": filing.pk, "lag_days": -2}]},
        "json",
    )
    assert_error(response, 400, "validation_error", "predecessors")


def test_delete_a_milestone_but_not_the_anchor(api, planned, office):
    client = api.as_user(office)
    tendering = planned.milestones.get(kind="tendering")
    assert client.delete(f"{MILESTONES}{tendering.pk}/").status_code == 204
    assert not Milestone.objects.filter(pk=tendering.pk).exists()
    anchor = planned.milestones.get(kind="construction_start")
    assert_error(client.delete(f"{MILESTONES}{anchor.pk}/"), 400, "anchor_required")


def test_readers_may_read_but_not_write(api, planned, people):
    client = api.as_user(people["county_filer"])
    assert client.get(url(planned, "schedule")).status_code == 200
    filing = planned.milestones.get(kind="approval_filing")
    assert client.patch(f"{MILESTONES}{filing.pk}/", {"duration_days": 1}, "json").status_code == (
        403
    )
    assert client.post(url(planned, "milestones"), {}, "json").status_code == 403


@pytest.mark.parametrize("person", ["county_filer2", "enterprise"])
def test_another_region_or_unit_gets_404(api, planned, people, person):
    client = api.as_user(people[person])
    filing = planned.milestones.get(kind="approval_filing")
    assert client.get(url(planned, "schedule")).status_code == 404
    assert client.get(url(planned, "milestones")).status_code == 404
    assert client.get(f"{MILESTONES}{filing.pk}/").status_code == 404
    assert client.post(url(planned, "apply-template"), {"template": 1}, "json").status_code in (
        403,
        404,
    )
    assert filing.pk not in [row["id"] for row in client.get(MILESTONES).json()["results"]]


def test_a_predecessor_out_of_scope_is_not_found(api, planned, library, people):
    """An office cannot link to (or probe) another county's milestones."""
    template = ScheduleTemplate.objects.get(category="industrial")
    services.apply_template(
        project=library["shuyang"], template=template, by=people["province_office"]
    )
    foreign = library["shuyang"].milestones.get(kind="eia")
    filing = planned.milestones.get(kind="approval_filing")
    response = api.as_user(people["county_office"]).patch(
        f"{MILESTONES}{filing.pk}/", {"predecessors": [{"milestone": foreign.pk}]}, "json"
    )
    assert_error(response, 400, "validation_error", "predecessors")
    # the province may see both, but links stay within a project
    response = api.as_user(people["province_office"]).patch(
        f"{MILESTONES}{filing.pk}/", {"predecessors": [{"milestone": foreign.pk}]}, "json"
    )
    assert_error(response, 400, "predecessor_other_project", "predecessors")


def test_projects_list_has_at_risk_field_and_filter(api, planned, library, people):
    tight = library["yixing"]
    project_services.project_update(
        project=tight, by=people["province_office"], planned_start=TODAY + dt.timedelta(20)
    )
    template = ScheduleTemplate.objects.get(category="industrial")
    services.apply_template(project=tight, template=template, by=people["province_office"])
    client = api.as_user(people["city_office"])
    risky = client.get(PROJECTS, {"at_risk": "true"}).json()["results"]
    assert [row["id"] for row in risky] == [tight.pk]
    assert risky[0]["at_risk"] is True
    safe = {row["id"] for row in client.get(PROJECTS, {"at_risk": "false"}).json()["results"]}
    assert planned.pk in safe and tight.pk not in safe
    detail = client.get(f"{PROJECTS}{planned.pk}/").json()
    assert detail["at_risk"] is False


def test_the_schedule_costs_a_fixed_number_of_queries(api, planned, office, people):
    client = api.as_user(office)
    client.get(url(planned, "schedule"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(planned, "schedule")).status_code == 200
    assert len(queries) <= 10, [q["sql"] for q in queries.captured_queries]
    services.milestone_create(
        project=planned,
        by=people["province_office"],
        kind="other",
        name="排污许可",
        duration_days=5,
    )
    with CaptureQueriesContext(connection) as more:
        assert client.get(url(planned, "schedule")).status_code == 200
    assert len(more) == len(queries)


def test_templates_are_listed(api, people):
    body = api.as_user(people["county_filer"]).get("/api/v1/schedule-templates/").json()
    names = {row["name"] for row in body["results"]}
    assert {"产业类项目（工业）", "基础设施类项目（交通、水利、市政）"} <= names
    steps = body["results"][0]["steps"]
    assert any(step["predecessors"] for step in steps)
