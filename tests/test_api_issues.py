"""The issue ticket API (SPEC §5, §12): reporting, the workflow actions and their refusals, the
timeline, filters, scope, 12345 hotline intake, phone masking, 通报 and 约谈."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Unit
from issues import services
from issues.models import Issue, IssueEvent, Level

from . import factories
from .test_api_projects import VALID_CODE, assert_error, has_chinese

ISSUES = "/api/v1/issues/"
INTAKE = f"{ISSUES}intake/"
NOTICES = "/api/v1/notices/"
INTERVIEWS = "/api/v1/interviews/"
PHONE = "13912345678"


def detail(issue) -> str:
    return f"{ISSUES}{issue.pk}/"


def act(issue, action: str) -> str:
    return f"{ISSUES}{issue.pk}/{action}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def five(unit: Unit, **overrides) -> dict:
    """A complete 交办 body (五到位)."""
    data = {
        "unit": unit.pk,
        "responsible_leader": "王副局长",
        "responsible_person": "李科长",
        "solution": "调整用地指标，两周内完成组卷报批",
    }
    data.update(overrides)
    return data


@pytest.fixture
def county_dept(db):
    return factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)


@pytest.fixture
def county_dept2(db):
    return factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)


@pytest.fixture
def county_liaison(county_dept):
    return factories.user(
        "jiangyin_liaison", "320281", ["department_liaison"], county_dept, full_name="江阴联络员"
    )


@pytest.fixture
def county_liaison2(county_dept2):
    return factories.user("jiangyin_liaison2", "320281", ["department_liaison"], county_dept2)


def reported(people, project, by="county_filer", **fields) -> Issue:
    values = {"title": "项目用地指标不足", "category": "land_sea"}
    values.update(fields)
    return services.issue_report(by=people[by], project=project, **values)


def assigned(people, project, unit, deadline=None, **fields) -> Issue:
    """A county-level ticket accepted and dispatched by the 江阴 office."""
    issue = reported(people, project, **fields)
    office = people["county_office"]
    services.issue_accept(issue=issue, by=office)
    return services.issue_assign(
        issue=issue,
        by=office,
        unit=unit,
        responsible_leader="王副局长",
        responsible_person="李科长",
        solution="限期解决",
        deadline=deadline,
    )


def intake_body(**overrides) -> dict:
    data = {
        "source": "hotline_12345",
        "external_id": "12345-20260301-0001",
        "project_code": VALID_CODE,
        "region": "320281",
        "reporter_name": "张先生",
        "reporter_phone": PHONE,
        "title": "施工用电迟迟未接入",
        "description": "企业反映项目施工临时用电申请已提交两个月。",
        "category": "utilities",
    }
    data.update(overrides)
    return data


# --- reporting --------------------------------------------------------------------------------


def test_county_filer_reports_an_issue(people, library, api):
    project = library["jiangyin_enterprise_1"]
    client = api.as_user(people["county_filer"])

    response = client.post(
        ISSUES,
        {
            "project": project.pk,
            "title": "林地占用审批卡住",
            "description": "林地定额不足。",
            "category": "forestry",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reported" and body["status_display"] == "已上报"
    assert body["level"] == "county" and body["source"] == "county"
    assert body["category_display"] == "用林"
    assert body["region"] == "320281" and body["project_name"] == "江阴澄新一期"
    assert body["unmatched"] is False and body["overdue"] is False
    assert body["allowed_actions"] == []  # a filer reports; the office accepts
    issue = Issue.objects.get(pk=body["id"])
    assert issue.title == "林地占用审批卡住" and issue.reported_by == people["county_filer"]
    # the county office sees it and may take it on
    office_view = api.as_user(people["county_office"]).get(detail(issue)).json()
    assert {"accept", "reject", "escalate"} <= set(office_view["allowed_actions"])


def test_enterprise_reports_for_its_own_project_only(people, library, api):
    client = api.as_user(people["enterprise"])
    body = {"title": "道路未通", "category": "utilities"}

    other = client.post(ISSUES, {**body, "project": library["jiangyin_other"].pk})
    own = client.post(ISSUES, {**body, "project": library["jiangyin_enterprise_2"].pk})

    assert_error(other, 400, "validation_error", "project")
    assert own.status_code == 201, own.content
    assert own.json()["source"] == "enterprise"
    assert list(Issue.objects.values_list("project", flat=True)) == [
        library["jiangyin_enterprise_2"].pk
    ]


def test_report_level_is_at_least_the_project_regions(people, library, api):
    client = api.as_user(people["city_office"])
    city_project = factories.project("320200", by=people["province_office"], name="无锡市级项目")
    body = {"title": "审批慢", "category": "eia"}

    raised = client.post(ISSUES, {**body, "project": library["yixing"].pk, "level": "city"})
    too_low = client.post(ISSUES, {**body, "project": city_project.pk, "level": "county"})

    assert raised.status_code == 201, raised.content
    assert raised.json()["level"] == "city" and raised.json()["level_display"] == "市级"
    # a project of the city itself cannot be a county matter
    assert_error(too_low, 400, "invalid_level", "level")
    assert Issue.objects.count() == 1


def test_issue_is_never_edited_or_deleted_through_the_api(people, library, api):
    issue = reported(people, library["jiangyin_other"])
    client = api.as_user(people["county_office"])

    assert client.patch(detail(issue), {"status": "closed"}).status_code == 405
    assert client.delete(detail(issue)).status_code == 405
    issue.refresh_from_db()
    assert issue.status == "reported"


# --- the lifecycle ---------------------------------------------------------------------------


def test_full_lifecycle_through_the_api(people, library, api, county_dept, county_liaison):
    office = api.as_user(people["county_office"])
    created = office.post(
        ISSUES,
        {
            "project": library["jiangyin_enterprise_1"].pk,
            "title": "用地报批",
            "category": "land_sea",
        },
    )
    assert created.status_code == 201
    issue_id = created.json()["id"]
    issue = Issue.objects.get(pk=issue_id)

    def step(person, action, data=None):
        response = api.as_user(person).post(act(issue, action), data or {})
        assert response.status_code == 200, response.content
        assert response.json()["id"] == issue_id
        return response.json()

    assert step(people["county_office"], "accept", {"comment": "受理"})["status"] == "accepted"
    body = step(people["county_office"], "assign", five(county_dept, deadline=None))
    assert body["status"] == "assigned" and body["unit"] == county_dept.pk
    assert body["unit_name"] == "江阴市自然资源和规划局"
    assert body["responsible_person"] == "李科长" and body["deadline"]
    assert step(county_liaison, "start")["status"] == "in_progress"
    assert step(county_liaison, "note", {"comment": "已召开协调会"})["status"] == "in_progress"
    body = step(county_liaison, "resolve", {"resolution": "指标已调剂到位"})
    assert body["status"] == "resolved" and body["resolution"] == "指标已调剂到位"
    assert body["allowed_actions"] == []  # the liaison waits for the enterprise
    body = step(people["enterprise"], "confirm")
    assert body["status"] == "confirmed" and body["confirmed_at"]
    body = step(people["county_office"], "close", {"comment": "销号"})
    assert body["status"] == "closed" and body["closed_at"] and body["allowed_actions"] == []

    response = api.as_user(people["county_office"]).get(act(issue, "events"))

    assert response.status_code == 200
    events = response.json()
    assert isinstance(events, list)  # the whole timeline, not a page
    assert [e["kind"] for e in events] == [
        "report",
        "accept",
        "assign",
        "start",
        "note",
        "resolve",
        "confirm",
        "close",
    ]
    assert [e["actor_name"] for e in events] == [
        "county_office",
        "county_office",
        "county_office",
        "江阴联络员",
        "江阴联络员",
        "江阴联络员",
        "enterprise",
        "county_office",
    ]
    assert events[2]["kind_display"] == "交办" and "江阴市自然资源和规划局" in events[2]["comment"]
    assert (events[4]["from_status"], events[4]["to_status"]) == ("in_progress", "in_progress")
    assert events[4]["comment"] == "已召开协调会"
    assert (events[-1]["from_status"], events[-1]["to_status"]) == ("confirmed", "closed")
    assert all(e["from_level"] == e["to_level"] == "county" for e in events)


def test_return_and_escalate(people, library, api, county_dept, county_liaison):
    issue = assigned(people, library["jiangyin_enterprise_1"], county_dept)
    liaison = api.as_user(county_liaison)
    liaison.post(act(issue, "start"))
    liaison.post(act(issue, "resolve"), {"resolution": "已协调"})
    enterprise = api.as_user(people["enterprise"])

    no_reason = enterprise.post(act(issue, "return"), {})
    returned = enterprise.post(act(issue, "return"), {"reason": "问题仍未解决"})
    escalated = api.as_user(people["county_office"]).post(
        act(issue, "escalate"), {"reason": "需市级协调"}
    )

    assert_error(no_reason, 400, "validation_error", "reason")
    assert returned.status_code == 200 and returned.json()["status"] == "in_progress"
    assert escalated.status_code == 200, escalated.content
    body = escalated.json()
    assert (body["level"], body["status"], body["unit"]) == ("city", "reported", None)
    kinds = [e["kind"] for e in api.as_user(people["city_office"]).get(act(issue, "events")).json()]
    assert kinds[-2:] == ["return", "escalate"]


def test_office_rejects_a_duplicate_with_a_reason(people, library, api):
    issue = reported(people, library["jiangyin_other"])
    client = api.as_user(people["county_office"])

    response = client.post(act(issue, "reject"), {"reason": "重复问题"})

    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["rejected_at"]


# --- refusals --------------------------------------------------------------------------------


def test_illegal_transition_is_refused_and_changes_nothing(people, library, api):
    issue = reported(people, library["jiangyin_other"])
    events_before = IssueEvent.objects.count()

    response = api.as_user(people["county_office"]).post(act(issue, "close"), {})

    body = assert_error(response, 400, "illegal_transition")
    assert has_chinese(body["message"]) and "已上报" in body["message"]
    issue.refresh_from_db()
    assert issue.status == "reported" and issue.closed_at is None
    assert IssueEvent.objects.count() == events_before


def test_wrong_role_is_refused_with_403(people, library, api):
    issue = reported(people, library["jiangyin_other"])

    filer = api.as_user(people["county_filer"]).post(act(issue, "accept"), {})
    city = api.as_user(people["city_office"]).post(act(issue, "accept"), {})

    body = assert_error(filer, 403, "not_permitted")
    assert has_chinese(body["message"])
    # the city office is not the office at this ticket's (county) level
    assert_error(city, 403, "not_permitted")
    issue.refresh_from_db()
    assert issue.status == "reported"
    assert list(issue.events.values_list("kind", flat=True)) == ["report"]


def test_enterprise_cannot_take_the_offices_steps(people, library, api):
    issue = reported(people, library["jiangyin_enterprise_1"], by="enterprise")
    services.issue_accept(issue=issue, by=people["county_office"])

    response = api.as_user(people["enterprise"]).post(act(issue, "reject"), {"reason": "不要了"})

    assert_error(response, 403, "not_permitted")


@pytest.mark.parametrize(
    "missing", ["unit", "responsible_leader", "responsible_person", "solution"]
)
def test_assign_needs_all_five(people, library, api, county_dept, missing):
    issue = reported(people, library["jiangyin_other"])
    services.issue_accept(issue=issue, by=people["county_office"])
    data = five(county_dept)
    del data[missing]

    response = api.as_user(people["county_office"]).post(act(issue, "assign"), data)

    assert_error(response, 400, "validation_error", missing)
    issue.refresh_from_db()
    assert issue.status == "accepted" and issue.unit is None


def test_assign_blank_solution_and_unknown_unit_name_the_field(people, library, api, county_dept):
    issue = reported(people, library["jiangyin_other"])
    services.issue_accept(issue=issue, by=people["county_office"])
    client = api.as_user(people["county_office"])

    blank = client.post(act(issue, "assign"), five(county_dept, solution="   "))
    unknown = client.post(act(issue, "assign"), {**five(county_dept), "unit": 999999})
    elsewhere = client.post(
        act(issue, "assign"),
        five(factories.unit("沭阳县自然资源和规划局", "321322", Unit.Kind.DEPARTMENT)),
    )
    past = client.post(act(issue, "assign"), five(county_dept, deadline="2020-01-01"))

    assert_error(blank, 400, "validation_error", "solution")
    assert_error(unknown, 400, "validation_error", "unit")
    # any unit is looked up; one outside the level's region is refused by the workflow
    assert_error(elsewhere, 400, "unit_out_of_scope", "unit")
    assert_error(past, 400, "deadline_past", "deadline")
    issue.refresh_from_db()
    assert issue.status == "accepted"


def test_assign_without_deadline_gets_the_default(people, library, api, county_dept):
    issue = reported(people, library["jiangyin_other"], category="forestry")
    services.issue_accept(issue=issue, by=people["county_office"])
    client = api.as_user(people["county_office"])

    response = client.post(act(issue, "assign"), five(county_dept))

    assert response.status_code == 200, response.content
    expected = services.default_deadline(Level.COUNTY, "forestry", timezone.localdate())
    assert response.json()["deadline"] == expected.isoformat()
    assert expected > timezone.localdate()


def test_assign_with_an_explicit_deadline(people, library, api, county_dept):
    issue = reported(people, library["jiangyin_other"])
    services.issue_accept(issue=issue, by=people["county_office"])
    deadline = timezone.localdate() + datetime.timedelta(days=40)

    response = api.as_user(people["county_office"]).post(
        act(issue, "assign"), five(county_dept, deadline=deadline.isoformat())
    )

    assert response.json()["deadline"] == deadline.isoformat()


@pytest.mark.parametrize(("action", "field"), [("note", "comment"), ("resolve", "resolution")])
def test_handling_inputs_name_the_missing_field(
    people, library, api, county_dept, county_liaison, action, field
):
    issue = assigned(people, library["jiangyin_other"], county_dept)
    services.issue_start(issue=issue, by=county_liaison)

    response = api.as_user(county_liaison).post(act(issue, action), {"comment": "  "})

    assert_error(response, 400, "validation_error", field)
    issue.refresh_from_db()
    assert issue.status == "in_progress" and issue.events.count() == 4


@pytest.mark.parametrize("action", ["reject", "escalate"])
def test_office_steps_need_a_reason(people, library, api, action):
    issue = reported(people, library["jiangyin_other"])

    response = api.as_user(people["county_office"]).post(act(issue, action), {})

    assert_error(response, 400, "validation_error", "reason")
    issue.refresh_from_db()
    assert (issue.status, issue.level) == ("reported", "county")


def test_office_confirms_for_the_enterprise_only_with_a_reason(
    people, library, api, county_dept, county_liaison
):
    issue = assigned(people, library["jiangyin_other"], county_dept)
    services.issue_start(issue=issue, by=county_liaison)
    services.issue_resolve(issue=issue, by=county_liaison, resolution="已解决")
    client = api.as_user(people["county_office"])

    without = client.post(act(issue, "confirm"), {})
    with_reason = client.post(act(issue, "confirm"), {"reason": "已电话回访企业，表示满意"})

    assert_error(without, 400, "required", "reason")
    assert with_reason.status_code == 200 and with_reason.json()["status"] == "confirmed"


# --- filters and ordering --------------------------------------------------------------------


@pytest.fixture
def spread(people, library, county_dept, county_dept2):
    """Tickets across 江阴, 宜兴 and 沭阳 in several states; ``late`` is overdue."""
    late = assigned(people, library["jiangyin_other"], county_dept, title="逾期问题")
    # dispatched weeks ago: the workflow refuses a deadline in the past today
    Issue.objects.filter(pk=late.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=3)
    )
    return {
        "jiangyin": reported(people, library["jiangyin_enterprise_1"], title="江阴新报问题"),
        "yixing_city": reported(
            people, library["yixing"], by="city_office", level="city", title="宜兴市级问题"
        ),
        "shuyang": reported(people, library["shuyang"], by="province_office", title="沭阳问题"),
        "late": late,
        "on_time": assigned(
            people,
            library["jiangyin_enterprise_2"],
            county_dept2,
            deadline=timezone.localdate() + datetime.timedelta(days=30),
            title="按期问题",
        ),
    }


def test_filters(people, api, spread, county_dept):
    client = api.as_user(people["province_office"])
    s = {name: issue.pk for name, issue in spread.items()}

    assert ids(client.get(ISSUES)) == set(s.values())
    assert ids(client.get(ISSUES, {"status": "assigned"})) == {s["late"], s["on_time"]}
    assert ids(client.get(ISSUES, {"status": ["reported", "assigned"]})) == set(s.values())
    assert ids(client.get(ISSUES, {"level": "city"})) == {s["yixing_city"]}
    # a city code includes its counties (江阴 and 宜兴 under 无锡), not 沭阳
    assert ids(client.get(ISSUES, {"region": "320200"})) == set(s.values()) - {s["shuyang"]}
    assert ids(client.get(ISSUES, {"region": "320282"})) == {s["yixing_city"]}
    assert ids(client.get(ISSUES, {"overdue": "true"})) == {s["late"]}
    assert s["late"] not in ids(client.get(ISSUES, {"overdue": "false"}))
    assert ids(client.get(ISSUES, {"unit": county_dept.pk})) == {s["late"]}
    assert ids(client.get(ISSUES, {"search": "宜兴"})) == {s["yixing_city"]}


def test_overdue_shows_in_the_ticket(people, api, spread):
    body = api.as_user(people["county_office"]).get(detail(spread["late"])).json()

    assert body["overdue"] is True
    assert (
        api.as_user(people["county_office"]).get(detail(spread["on_time"])).json()["overdue"]
        is False
    )


def test_unknown_region_filter_is_a_readable_error(people, api, spread):
    response = api.as_user(people["province_office"]).get(ISSUES, {"region": "999999"})

    body = assert_error(response, 400, "validation_error", "region")
    assert "999999" in body["errors"]["region"][0]


def test_ordering_by_deadline(people, api, spread):
    response = api.as_user(people["province_office"]).get(
        ISSUES, {"ordering": "deadline", "status": "assigned"}
    )

    assert [row["id"] for row in response.json()["results"]] == [
        spread["late"].pk,
        spread["on_time"].pk,
    ]


def count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ISSUES)
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(people, library, api, spread, county_dept):
    client = api.as_user(people["province_office"])
    few = count_list_queries(client)
    for number in range(4):
        reported(people, library["jiangyin_other"], title=f"更多问题{number}")
        # dispatched tickets name a handling unit: still no extra query per row
        assigned(people, library["jiangyin_other"], county_dept, title=f"已交办问题{number}")

    assert count_list_queries(client) == few


# --- scope -----------------------------------------------------------------------------------


def test_other_county_gets_404_everywhere(people, library, api, spread):
    issue = spread["jiangyin"]
    client = api.as_user(people["county_filer2"])

    assert issue.pk not in ids(client.get(ISSUES))
    assert_error(client.get(detail(issue)), 404, "not_found")
    assert_error(client.get(act(issue, "events")), 404, "not_found")
    for action in ("accept", "reject", "escalate", "close"):
        assert_error(client.post(act(issue, action), {"reason": "x"}), 404, "not_found")
    issue.refresh_from_db()
    assert issue.status == "reported"


def test_liaison_sees_only_their_units_tickets(
    people, api, spread, county_liaison, county_liaison2
):
    first = api.as_user(county_liaison)

    assert ids(first.get(ISSUES)) == {spread["late"].pk}
    assert first.get(detail(spread["late"])).status_code == 200
    assert_error(first.get(detail(spread["on_time"])), 404, "not_found")
    assert_error(first.get(detail(spread["jiangyin"])), 404, "not_found")
    assert_error(first.post(act(spread["on_time"], "start")), 404, "not_found")
    assert ids(api.as_user(county_liaison2).get(ISSUES)) == {spread["on_time"].pk}


def test_enterprise_sees_only_its_projects(people, api, spread):
    client = api.as_user(people["enterprise"])

    assert ids(client.get(ISSUES)) == {spread["jiangyin"].pk, spread["on_time"].pk}
    assert_error(client.get(detail(spread["late"])), 404, "not_found")


def test_without_login_nothing_is_shown(api, spread):
    assert_error(api.get(ISSUES), 401, "not_authenticated")
    assert_error(api.post(INTAKE, intake_body()), 401, "not_authenticated")


# --- 12345 hotline intake --------------------------------------------------------------------


@pytest.fixture
def coded_project(people):
    return factories.project("320281", by=people["province_office"], code=VALID_CODE)


def test_intake_creates_then_returns_the_same_ticket(people, api, coded_project):
    client = api.as_user(people["api_client"])

    first = client.post(INTAKE, intake_body())
    issues_after_first = Issue.objects.count()
    events_after_first = IssueEvent.objects.count()
    again = client.post(INTAKE, intake_body(title="标题被改了"))

    assert first.status_code == 201, first.content
    body = first.json()
    assert body["project"] == coded_project.pk and body["unmatched"] is False
    assert (body["source"], body["external_id"]) == ("hotline_12345", "12345-20260301-0001")
    assert body["region"] == "320281" and body["status"] == "reported"
    assert body["reporter_name"] == "张先生"
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["title"] == "施工用电迟迟未接入"
    assert Issue.objects.count() == issues_after_first == 1
    assert IssueEvent.objects.count() == events_after_first


def test_intake_of_an_unknown_project_is_kept_unmatched(people, api, coded_project):
    client = api.as_user(people["api_client"])

    response = client.post(
        INTAKE,
        intake_body(
            external_id="12345-0002",
            project_code="2024-320281-26-03-999999",
            project_name="不在库中的项目",
        ),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unmatched"] is True and body["project"] is None
    assert body["project_name"] is None and body["project_code"] is None
    assert "2024-320281-26-03-999999" in body["project_hint"]
    assert body["region"] == "320281" and body["level"] == "county"
    unmatched = api.as_user(people["county_office"]).get(ISSUES, {"unmatched": "true"})
    assert ids(unmatched) == {body["id"]}


def test_intake_by_office_staff_within_its_region_only(people, api, coded_project):
    client = api.as_user(people["county_office"])

    outside = client.post(INTAKE, intake_body(external_id="a-1", region="321322"))
    inside = client.post(INTAKE, intake_body(external_id="a-2"))

    assert_error(outside, 400, "region_out_of_scope", "region")
    assert inside.status_code == 201
    assert list(Issue.objects.values_list("external_id", flat=True)) == ["a-2"]


def test_intake_validates_its_body(people, api):
    client = api.as_user(people["api_client"])

    response = client.post(INTAKE, intake_body(region="32028", category="weather", title=""))

    body = assert_error(response, 400, "validation_error")
    assert {"region", "category", "title"} <= body["errors"].keys()
    assert not Issue.objects.exists()


@pytest.mark.parametrize("person", ["county_filer", "enterprise", "liaison", "leader"])
def test_intake_is_only_for_systems_and_offices(people, api, coded_project, person):
    response = api.as_user(people[person]).post(INTAKE, intake_body())

    body = assert_error(response, 403, "permission_denied")
    assert has_chinese(body["message"])
    assert not Issue.objects.exists()


# --- the reporter's phone --------------------------------------------------------------------


@pytest.mark.parametrize("person", ["api_client", "county_office", "admin"])
def test_full_phone_never_leaves_the_api(people, api, coded_project, person):
    created = api.as_user(people["api_client"]).post(INTAKE, intake_body())
    assert PHONE not in created.content.decode()
    issue_id = created.json()["id"]
    client = api.as_user(people[person])

    listing = client.get(ISSUES)
    one = client.get(f"{ISSUES}{issue_id}/")

    assert listing.status_code == one.status_code == 200
    assert PHONE not in listing.content.decode()
    assert PHONE not in one.content.decode()
    assert one.json()["reporter_phone"] == "139****5678"
    assert listing.json()["results"][0]["reporter_phone"] == "139****5678"


# --- 通报 and 约谈 ---------------------------------------------------------------------------


@pytest.fixture
def swept(people, library, county_dept):
    """Two tickets of one unit past their deadline: two 通报, one 分管领导约谈."""
    deadline = timezone.localdate() + datetime.timedelta(days=1)
    late = [
        assigned(people, library["jiangyin_other"], county_dept, deadline=deadline, title="甲"),
        assigned(
            people, library["jiangyin_enterprise_1"], county_dept, deadline=deadline, title="乙"
        ),
    ]
    done = services.sweep(deadline + datetime.timedelta(days=2))
    assert (done["notices"], done["interviews"]) == (2, 1)
    return late


def test_notices_after_the_sweep(people, api, swept, county_dept):
    response = api.as_user(people["county_office"]).get(NOTICES)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["issue"] for row in rows} == {issue.pk for issue in swept}
    assert {row["issue_title"] for row in rows} == {"甲", "乙"}
    assert {row["project_name"] for row in rows} == {"江阴其他企业项目", "江阴澄新一期"}
    assert all(row["unit"] == county_dept.pk for row in rows)
    assert all(row["unit_name"] == "江阴市自然资源和规划局" for row in rows)
    assert all(row["deadline"] < row["issued_on"] for row in rows)
    timeline = api.as_user(people["county_office"]).get(act(swept[0], "events")).json()
    assert [(e["kind"], e["actor_name"]) for e in timeline[-2:]] == [
        ("overdue", "系统"),
        ("notice", "系统"),
    ]


def test_interviews_after_the_sweep(people, api, swept, county_dept):
    client = api.as_user(people["city_office"])

    response = client.get(INTERVIEWS)

    rows = response.json()["results"]
    assert len(rows) == 1
    interview = rows[0]
    assert interview["kind"] == "deputy" and interview["kind_display"] == "分管领导约谈"
    assert interview["unit"] == county_dept.pk and interview["notice_count"] == 2
    notice_ids = {row["id"] for row in client.get(NOTICES).json()["results"]}
    assert set(interview["notices"]) == notice_ids
    assert client.get(f"{INTERVIEWS}{interview['id']}/").json()["notices"] == interview["notices"]
    assert ids(client.get(INTERVIEWS, {"kind": "principal"})) == set()
    assert ids(client.get(INTERVIEWS, {"unit": county_dept.pk})) == {interview["id"]}


def test_notice_and_interview_filters(people, api, swept, county_dept, county_dept2):
    client = api.as_user(people["province_office"])

    assert len(ids(client.get(NOTICES, {"region": "320200"}))) == 2
    assert ids(client.get(NOTICES, {"region": "321300"})) == set()
    assert ids(client.get(NOTICES, {"unit": county_dept2.pk})) == set()
    assert ids(client.get(INTERVIEWS, {"region": "321300"})) == set()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    assert ids(client.get(NOTICES, {"issued_after": tomorrow})) == set()


def test_notices_and_interviews_out_of_scope(people, api, swept, county_liaison, county_liaison2):
    admin = api.as_user(people["admin"])
    notice_id = admin.get(NOTICES).json()["results"][0]["id"]
    interview_id = admin.get(INTERVIEWS).json()["results"][0]["id"]

    for person in (people["county_filer2"], county_liaison2, people["enterprise"]):
        client = api.as_user(person)
        assert ids(client.get(NOTICES)) == set()
        assert ids(client.get(INTERVIEWS)) == set()
        assert_error(client.get(f"{NOTICES}{notice_id}/"), 404, "not_found")
        assert_error(client.get(f"{INTERVIEWS}{interview_id}/"), 404, "not_found")
    # the notified unit's own liaison sees them
    mine = api.as_user(county_liaison)
    assert len(ids(mine.get(NOTICES))) == 2
    assert ids(mine.get(INTERVIEWS)) == {interview_id}


def test_a_notified_unit_still_opens_the_project_when_the_issue_moves_on(
    people, api, swept, county_liaison
):
    """A 通报 stays on the unit's record after its issue is escalated away from it; the project
    it names stays open to the unit's liaison (read-only), as any project the unit worked on."""
    moved, kept = swept
    escalated = api.as_user(people["county_office"]).post(
        act(moved, "escalate"), {"reason": "需市级协调"}
    )
    assert escalated.status_code == 200, escalated.content
    client = api.as_user(county_liaison)

    assert_error(client.get(detail(moved)), 404, "not_found")  # no longer theirs to handle
    rows = client.get(NOTICES).json()["results"]
    assert {row["project_name"] for row in rows} == {"江阴其他企业项目", "江阴澄新一期"}
    for issue in (moved, kept):
        project = client.get(f"/api/v1/projects/{issue.project_id}/")
        assert project.status_code == 200 and project.json()["name"] == issue.project.name


def test_notices_are_read_only(people, api, swept):
    client = api.as_user(people["province_office"])
    notice_id = client.get(NOTICES).json()["results"][0]["id"]

    assert client.post(NOTICES, {}).status_code == 405
    assert client.delete(f"{NOTICES}{notice_id}/").status_code == 405


@pytest.mark.parametrize(("url", "expected"), [(NOTICES, 3), (INTERVIEWS, 4)])
def test_notice_and_interview_lists_cost_fixed_queries(
    people, library, api, swept, county_dept2, url, expected
):
    # a second unit with two late tickets: two rows of each kind to list
    deadline = timezone.localdate() + datetime.timedelta(days=1)
    for project in (library["jiangyin_other"], library["jiangyin_enterprise_2"]):
        assigned(people, project, county_dept2, deadline=deadline, title="丙")
    services.sweep(deadline + datetime.timedelta(days=2))
    client = api.as_user(people["province_office"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200 and response.json()["count"] >= 2
    # token+user+region+roles, count, rows (+ the interviews' notices in one query)
    assert len(queries) == expected


# --- the schema ------------------------------------------------------------------------------


def test_schema_documents_each_workflow_action(people, client):
    client.force_login(people["leader"])

    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    bodies = {}
    for action in services.ACTIONS:
        operation = paths[f"/api/v1/issues/{{id}}/{action}/"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        bodies[action] = schema.rsplit("/", 1)[-1]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert bodies["assign"] == "IssueAssignRequest"
    assert bodies["note"] == "IssueNoteRequest"
    assert bodies["reject"] == bodies["escalate"] == bodies["return"] == "IssueReasonRequest"
    assert {"get", "post"} <= paths["/api/v1/issues/"].keys()
    assert paths["/api/v1/issues/{id}/"].keys() == {"get"}
    assert "post" in paths["/api/v1/issues/intake/"]
    assert "get" in paths["/api/v1/issues/{id}/events/"]
    assert {"/api/v1/notices/", "/api/v1/interviews/"} <= paths.keys()


def test_the_office_links_an_unmatched_hotline_ticket_to_its_project(people, library, api):
    client = api.as_user(people["api_client"])
    pushed = client.post(f"{ISSUES}intake/", intake_body(project_code="", project_name="不存在"))
    assert pushed.status_code == 201 and pushed.json()["unmatched"] is True
    issue_id = pushed.json()["id"]
    url = f"{ISSUES}{issue_id}/link-project/"
    project = library["jiangyin_other"]

    filer = api.as_user(people["county_filer"])
    assert_error(filer.post(url, {"project": project.pk}), 403, "not_permitted")
    office = api.as_user(people["county_office"])
    response = office.post(url, {"project": library["shuyang"].pk})  # not theirs to see
    assert response.status_code == 400 and "project" in response.json()["errors"]
    response = office.post(url, {"project": project.pk, "comment": "经电话核实"})
    assert response.status_code == 200
    assert response.json()["project"] == project.pk and response.json()["unmatched"] is False
    events = office.get(f"{ISSUES}{issue_id}/events/").json()
    assert events[-1]["kind"] == "match"
