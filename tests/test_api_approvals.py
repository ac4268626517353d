"""The approvals API (SPEC §7, §12): registering with the kind's defaults, edits that leave the
status alone, the status actions and their refusals, filters, the department performance
table, the online approval platform's sync, scope and the cost of a list.

Today is pinned to Friday 27 March 2026; March 2026 has no holidays, so its working days are
its weekdays."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Unit
from approvals import services
from approvals.models import Approval, ApprovalEvent, ApprovalKind, ApprovalStatus

from . import factories
from .conftest import clock_at
from .test_api_projects import assert_error, has_chinese

APPROVALS = "/api/v1/approvals/"
SYNC = f"{APPROVALS}sync/"
PERFORMANCE = f"{APPROVALS}performance/"
KINDS = "/api/v1/approval-kinds/"
TODAY = datetime.date(2026, 3, 27)


def march(day: int) -> datetime.date:
    return datetime.date(2026, 3, day)


MARCH_2 = march(2)
MARCH_16 = march(16)


def detail(approval) -> str:
    return f"{APPROVALS}{approval.pk}/"


def act(approval, action: str) -> str:
    return f"{APPROVALS}{approval.pk}/{action}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def eco_dept(db):
    return Unit.objects.get(name="省生态环境厅")


@pytest.fixture
def eco_liaison(eco_dept):
    return factories.user("eco_liaison", "320000", ["department_liaison"], eco_dept)


def register(people, project, kind="eia", by="province_office", **fields) -> Approval:
    return services.approval_create(
        by=people[by], project=project, kind=ApprovalKind.objects.get(code=kind), **fields
    )


def move(people, approval, *steps, by="province_office") -> Approval:
    """Take ``steps`` of ``(action, date)`` or ``(action, date, document_no)``."""
    for action, date, *document_no in steps:
        approval = services.approval_transition(
            approval=approval,
            by=people[by],
            status=services.ACTIONS[action],
            date=date,
            document_no=document_no[0] if document_no else "",
        )
    return approval


def accepted(people, project, kind="eia", on=MARCH_2, **fields) -> Approval:
    approval = register(people, project, kind, **fields)
    return move(people, approval, ("submit", on), ("accept", on))


def decided(people, project, kind="eia", accepted_on=MARCH_2, decided_on=MARCH_16, **fields):
    approval = accepted(people, project, kind, on=accepted_on, **fields)
    return move(people, approval, ("approve", decided_on, "苏环审〔2026〕1号"))


# --- register and edit ------------------------------------------------------------------------


def test_office_registers_an_approval_with_the_kinds_defaults(people, library, api):
    project = library["jiangyin_other"]
    client = api.as_user(people["county_office"])

    response = client.post(APPROVALS, {"project": project.pk, "kind": "eia"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project_name"] == "江阴其他企业项目" and body["kind_name"] == "环评"
    assert body["status"] == "not_started" and body["status_display"] == "未启动"
    assert body["promised_days"] == 30  # the kind's promise
    assert body["authority_level"] == "county"  # a county-tier project in a county
    # no 生态环境 department registered in 江阴 or 无锡: the province's handles it
    assert body["unit_name"] == "省生态环境厅"
    assert body["elapsed_days"] is None and body["overdue"] is False
    assert body["promise_due_on"] is None and body["speedup"] is None
    assert set(body["allowed_actions"]) == {"prepare", "submit"}
    assert body["events"] == []
    approval = Approval.objects.get(pk=body["id"])
    assert approval.kind_id == "eia" and approval.unit.name == "省生态环境厅"


def test_registering_names_the_unit_and_promise_when_given(people, library, api, eco_dept):
    county_dept = factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)
    client = api.as_user(people["county_office"])

    body = client.post(
        APPROVALS,
        {
            "project": library["jiangyin_other"].pk,
            "kind": "eia",
            "unit": county_dept.pk,
            "promised_days": 15,
            "planned_submission_on": "2026-04-10",
            "note": "环评报告书编制中",
        },
    ).json()

    assert body["unit_name"] == "江阴市生态环境局" and body["promised_days"] == 15
    assert body["planned_submission_on"] == "2026-04-10" and body["note"] == "环评报告书编制中"


def test_registering_twice_or_out_of_scope_is_refused(people, library, api):
    client = api.as_user(people["county_office"])
    project = library["jiangyin_other"]
    assert client.post(APPROVALS, {"project": project.pk, "kind": "land"}).status_code == 201

    again = client.post(APPROVALS, {"project": project.pk, "kind": "land"})
    assert_error(again, 400, "approval_exists", field="kind")
    elsewhere = client.post(APPROVALS, {"project": library["shuyang"].pk, "kind": "land"})
    assert_error(elsewhere, 400, "validation_error", field="project")
    unknown = client.post(APPROVALS, {"project": project.pk, "kind": "mining"})
    assert_error(unknown, 400, "validation_error", field="kind")
    enterprise = client.post(
        APPROVALS, {"project": project.pk, "kind": "eia", "unit": project.unit_id}
    )
    assert_error(enterprise, 400, "invalid_unit", field="unit")
    assert Approval.objects.filter(project=project).count() == 1


def test_edit_changes_the_fields_that_are_not_the_status(people, library, api):
    approval = accepted(people, library["jiangyin_other"], "eia", on=march(2))
    assert approval.promise_due_on == datetime.date(2026, 4, 14)  # 30 working days, 清明 off
    client = api.as_user(people["county_office"])

    response = client.patch(
        detail(approval),
        {
            "promised_days": 20,
            "document_no": "澄环审〔2026〕8号",
            "specialist": people["county_office"].pk,
            "note": "专员跟踪",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["promised_days"] == 20 and body["document_no"] == "澄环审〔2026〕8号"
    assert body["specialist"] == people["county_office"].pk and body["note"] == "专员跟踪"
    # the promise follows: 20 working days after 2 March, 1 day left on 27 March
    assert body["promise_due_on"] == "2026-03-30"
    assert body["elapsed_days"] == 19 and body["remaining_promise"] == 1
    assert body["status"] == "accepted"
    approval.refresh_from_db()
    assert approval.promised_days == 20 and approval.specialist == people["county_office"]


def test_an_edit_may_not_change_the_status_or_its_dates(people, library, api):
    """Refused, not ignored: the client must learn that the approval did not move."""
    approval = register(people, library["jiangyin_other"], "eia", note="原备注")
    client = api.as_user(people["county_office"])

    response = client.patch(detail(approval), {"status": "approved", "note": "改了"})
    body = assert_error(response, 400, "validation_error", field="status")
    assert has_chinese(body["errors"]["status"][0])
    dated = client.patch(detail(approval), {"accepted_on": "2026-03-02"})
    assert_error(dated, 400, "validation_error", field="accepted_on")

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.NOT_STARTED and approval.note == "原备注"
    assert approval.accepted_on is None and not approval.events.exists()

    # what was read may be sent back whole with the status unchanged
    current = client.get(detail(approval)).json()
    current["note"] = "改了"
    saved = client.put(detail(approval), current)
    assert saved.status_code == 200, saved.content
    assert saved.json()["note"] == "改了" and saved.json()["status"] == "not_started"
    # project and kind stay what they were
    moved = client.patch(detail(approval), {"kind": "land", "project": library["yixing"].pk})
    assert moved.status_code == 200
    assert moved.json()["kind"] == "eia" and moved.json()["project"] == approval.project_id


# --- status actions ---------------------------------------------------------------------------


def test_submit_accept_approve_with_dates_and_document_number(people, library, api):
    approval = register(people, library["jiangyin_other"], "eia")
    client = api.as_user(people["county_office"])

    submitted = client.post(act(approval, "submit"), {"date": "2026-03-02"})
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["submitted_on"] == "2026-03-02"
    assert set(submitted.json()["allowed_actions"]) == {"accept", "return"}

    accepted_ = client.post(act(approval, "accept"), {"date": "2026-03-03", "comment": "材料齐全"})
    assert accepted_.status_code == 200, accepted_.content
    body = accepted_.json()
    assert body["status"] == "accepted" and body["accepted_on"] == "2026-03-03"
    # 18 working days since 3 March; the promise 30, the target 70% of it (21): 1 April
    assert body["elapsed_days"] == 18 and body["remaining_promise"] == 12
    assert body["target_on"] == "2026-04-01" and body["remaining_target"] == 3
    assert body["overdue"] is False and body["target_missed"] is False

    approved = client.post(
        act(approval, "approve"), {"date": "2026-03-20", "document_no": "苏环审〔2026〕12号"}
    )
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "approved" and body["status_display"] == "已批复"
    assert body["decided_on"] == "2026-03-20" and body["document_no"] == "苏环审〔2026〕12号"
    assert body["actual_days"] == 13 and body["elapsed_days"] == 13
    assert body["speedup"] == pytest.approx(1 - 13 / 30)
    assert body["allowed_actions"] == []
    assert [(e["from_status"], e["to_status"], e["date"]) for e in body["events"]] == [
        ("not_started", "submitted", "2026-03-02"),
        ("submitted", "accepted", "2026-03-03"),
        ("accepted", "approved", "2026-03-20"),
    ]
    assert body["events"][1]["comment"] == "材料齐全"
    assert body["events"][0]["actor_name"] == str(people["county_office"])
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED and approval.actual_days == 13


@pytest.mark.parametrize("action", sorted(services.ACTIONS))
def test_every_action_has_its_url(people, library, api, action):
    """``return`` is a Python keyword but still ``…/return/``; illegal moves are refused."""
    approval = move(
        people,
        register(people, library["jiangyin_other"], "eia"),
        ("submit", march(2)),
        ("accept", march(3)),
    )
    client = api.as_user(people["county_office"])
    response = client.post(
        act(approval, action), {"date": "2026-03-20", "document_no": "苏环审〔2026〕3号"}
    )
    if services.ACTIONS[action] in services.TRANSITIONS[ApprovalStatus.ACCEPTED]:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == services.ACTIONS[action]
    else:
        assert_error(response, 400, "illegal_transition", field="status")


def test_an_illegal_transition_is_refused_and_nothing_changes(people, library, api):
    approval = register(people, library["jiangyin_other"], "eia")
    client = api.as_user(people["county_office"])

    response = client.post(
        act(approval, "approve"), {"date": "2026-03-20", "document_no": "苏环审〔2026〕1号"}
    )

    body = assert_error(response, 400, "illegal_transition", field="status")
    assert "未启动" in body["message"] and "已批复" in body["message"]
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.NOT_STARTED and approval.decided_on is None
    assert approval.document_no == "" and not approval.events.exists()


def test_actions_check_their_dates_and_document_number(people, library, api):
    approval = accepted(people, library["jiangyin_other"], "eia", on=march(3))
    client = api.as_user(people["county_office"])

    assert_error(client.post(act(approval, "approve"), {}), 400, "validation_error", "date")
    future = client.post(
        act(approval, "approve"), {"date": "2026-03-28", "document_no": "苏环审〔2026〕1号"}
    )
    assert_error(future, 400, "date_future", field="date")
    early = client.post(
        act(approval, "approve"), {"date": "2026-03-02", "document_no": "苏环审〔2026〕1号"}
    )
    assert_error(early, 400, "date_order", field="date")
    unnumbered = client.post(act(approval, "approve"), {"date": "2026-03-20"})
    assert_error(unnumbered, 400, "required", field="document_no")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.ACCEPTED and approval.events.count() == 2


@pytest.mark.parametrize("person", ["county_filer", "leader", "enterprise"])
def test_readers_may_not_register_edit_or_move_approvals(people, library, api, person):
    project = library["jiangyin_enterprise_1"]
    approval = register(people, project, "eia")
    client = api.as_user(people[person])
    assert client.get(detail(approval)).status_code == 200  # in scope: they read it
    assert client.get(detail(approval)).json()["allowed_actions"] == []

    assert_error(
        client.post(act(approval, "submit"), {"date": "2026-03-02"}), 403, "permission_denied"
    )
    assert_error(client.post(act(approval, "approve"), {}), 403, "permission_denied")
    assert_error(client.patch(detail(approval), {"note": "x"}), 403, "permission_denied")
    created = client.post(APPROVALS, {"project": project.pk, "kind": "land"})
    assert_error(created, 403, "permission_denied")

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.NOT_STARTED and approval.note == ""
    assert not Approval.objects.filter(kind="land").exists()


def test_the_liaison_of_the_handling_department_moves_its_approvals(
    people, library, api, eco_liaison
):
    approval = move(
        people, register(people, library["jiangyin_other"], "eia"), ("submit", march(2))
    )
    client = api.as_user(eco_liaison)

    response = client.post(act(approval, "accept"), {"date": "2026-03-03"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["events"][-1]["actor_name"] == str(eco_liaison)
    # but registering approvals is for the offices
    created = client.post(APPROVALS, {"project": library["yixing"].pk, "kind": "eia"})
    assert_error(created, 403, "permission_denied")


# --- filters -----------------------------------------------------------------------------------


@pytest.fixture
def spread(people, library, eco_dept):
    """Approvals in 江阴, 宜兴 and 沭阳 of several kinds, states and units."""
    water = Unit.objects.get(name="省水利厅")
    return {
        "jiangyin_eia_late": accepted(people, library["jiangyin_other"], "eia", promised_days=10),
        "jiangyin_land": register(people, library["jiangyin_other"], "land"),
        "jiangyin_water_done": decided(
            people,
            library["jiangyin_enterprise_1"],
            "soil_water",
            unit=water,
            accepted_on=march(2),
            decided_on=march(2),
        ),
        "yixing_eia": accepted(people, library["yixing"], "eia", on=march(20)),
        "shuyang_eia_late_decision": decided(
            people,
            library["shuyang"],
            "eia",
            promised_days=5,
            accepted_on=march(2),
            decided_on=march(16),
        ),
    }


def names_of(spread, response) -> set[str]:
    found = ids(response)
    return {name for name, approval in spread.items() if approval.pk in found}


def test_filters(people, api, spread, eco_dept):
    client = api.as_user(people["province_office"])

    def names(**params):
        return names_of(spread, client.get(APPROVALS, params))

    assert names(kind="eia") == {"jiangyin_eia_late", "yixing_eia", "shuyang_eia_late_decision"}
    assert names(kind=["land", "soil_water"]) == {"jiangyin_land", "jiangyin_water_done"}
    assert names(status=["not_started", "approved"]) == {
        "jiangyin_land",
        "jiangyin_water_done",
        "shuyang_eia_late_decision",
    }
    # a city brings its counties
    assert names(region="320200") == {
        "jiangyin_eia_late",
        "jiangyin_land",
        "jiangyin_water_done",
        "yixing_eia",
    }
    assert names(region="320282") == {"yixing_eia"}
    # running past the promise, or decided after it
    assert names(overdue="true") == {"jiangyin_eia_late", "shuyang_eia_late_decision"}
    assert names(overdue="false") == {"jiangyin_land", "jiangyin_water_done", "yixing_eia"}
    assert names(unit=eco_dept.pk) == {
        "jiangyin_eia_late",
        "yixing_eia",
        "shuyang_eia_late_decision",
    }
    assert names(unit=eco_dept.pk, region="320281") == {"jiangyin_eia_late"}
    assert names(project=spread["yixing_eia"].project_id) == {"yixing_eia"}

    unknown = client.get(APPROVALS, {"region": "329999"})
    assert_error(unknown, 400, "validation_error", field="region")


def test_list_rows_carry_names_and_figures(people, api, spread):
    client = api.as_user(people["province_office"])
    rows = client.get(APPROVALS, {"overdue": "true"}).json()["results"]
    late = next(row for row in rows if row["id"] == spread["jiangyin_eia_late"].pk)

    assert late["kind_name"] == "环评" and late["unit_name"] == "省生态环境厅"
    assert late["project_name"] == "江阴其他企业项目" and late["status_display"] == "已受理"
    # promised 10 working days from 2 March: due 16 March, 9 days past it on 27 March
    assert late["promise_due_on"] == "2026-03-16"
    assert late["elapsed_days"] == 19 and late["remaining_promise"] == -9
    assert late["overdue"] is True and late["target_missed"] is True
    assert "allowed_actions" not in late and "events" not in late


# --- department performance ------------------------------------------------------------------


@pytest.fixture
def performance_data(people, eco_dept):
    """省生态环境厅 EIA: decided in 1, 10 and 14 working days (the last past its 12-day promise),
    one running past its promise, one not started; 省自然资源厅 land: one decided in 3 days."""
    by = people["province_office"]

    def project():
        return factories.project("320281", by=by)

    decided(people, project(), "eia", accepted_on=march(2), decided_on=march(3))
    decided(people, project(), "eia", accepted_on=march(2), decided_on=march(16))
    decided(people, project(), "eia", promised_days=12, accepted_on=march(2), decided_on=march(20))
    accepted(people, project(), "eia", on=march(2), promised_days=10)
    register(people, project(), "eia")
    decided(people, project(), "land", accepted_on=march(2), decided_on=march(5))


def test_performance_per_unit_and_kind(people, api, performance_data, eco_dept):
    client = api.as_user(people["province_office"])

    response = client.get(PERFORMANCE)

    assert response.status_code == 200, response.content
    rows = {row["kind"]: row for row in response.json()}
    assert list(rows) == ["land", "eia"]  # in the kinds' order
    assert rows["eia"] == {
        "unit": eco_dept.pk,
        "unit_name": "省生态环境厅",
        "kind": "eia",
        "kind_name": "环评",
        "count": 5,
        "decided": 3,
        "running": 1,
        "median_days": "10.0",
        "mean_days": "8.3",
        "within_promise": "0.6667",
        "within_target": "0.6667",
        "overdue": 2,
    }
    land = rows["land"]
    assert land["unit_name"] == "省自然资源厅" and land["count"] == 1
    assert land["median_days"] == "3.0" and land["within_promise"] == "1.0000"
    assert land["overdue"] == 0


def test_performance_follows_filters_and_scope(people, api, performance_data, eco_liaison):
    office = api.as_user(people["province_office"])
    assert [row["kind"] for row in office.get(PERFORMANCE, {"kind": "land"}).json()] == ["land"]
    late = office.get(PERFORMANCE, {"overdue": "true"}).json()
    assert [(row["kind"], row["count"], row["overdue"]) for row in late] == [("eia", 2, 2)]

    liaison = api.as_user(eco_liaison).get(PERFORMANCE).json()
    assert [(row["unit_name"], row["count"]) for row in liaison] == [("省生态环境厅", 5)]
    assert api.as_user(people["county_filer2"]).get(PERFORMANCE).json() == []


# --- sync from the online approval platform ----------------------------------------------------

CODE_1 = "2024-320281-26-03-512345"
CODE_2 = "2024-320281-26-03-512346"
CODE_SHUYANG = "2024-321322-26-03-512347"


@pytest.fixture
def coded(people):
    by = people["province_office"]
    return {
        CODE_1: factories.project("320281", by=by, code=CODE_1),
        CODE_2: factories.project("320281", by=by, code=CODE_2),
        CODE_SHUYANG: factories.project("321322", by=by, code=CODE_SHUYANG),
    }


def batch() -> list[dict]:
    return [
        {
            "project_code": CODE_1,
            "kind": "eia",
            "status": "accepted",
            "submitted_on": "2026-03-02",
            "accepted_on": "2026-03-03",
        },
        {
            "project_code": CODE_2,
            "kind": "land",
            "status": "approved",
            "submitted_on": "2026-03-02",
            "accepted_on": "2026-03-02",
            "decided_on": "2026-03-05",
            "document_no": "苏自然资函〔2026〕5号",
        },
        {
            "project_code": CODE_1,
            "kind": "forestry",
            "status": "submitted",
            "submitted_on": "2026-03-10",
        },
    ]


def test_sync_creates_updates_and_is_idempotent(people, api, coded):
    forestry = register(people, coded[CODE_1], "forestry")
    client = api.as_user(people["api_client"])

    first = client.post(SYNC, batch())

    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 1, "unchanged": 0}
    eia = Approval.objects.get(project=coded[CODE_1], kind="eia")
    assert eia.status == ApprovalStatus.ACCEPTED and eia.accepted_on == march(3)
    assert eia.promise_due_on == datetime.date(2026, 4, 15)  # 30 working days (清明 4–6 April)
    land = Approval.objects.get(project=coded[CODE_2], kind="land")
    assert land.status == ApprovalStatus.APPROVED and land.actual_days == 3
    assert land.document_no == "苏自然资函〔2026〕5号"
    forestry.refresh_from_db()
    assert forestry.status == ApprovalStatus.SUBMITTED and forestry.submitted_on == march(10)
    assert ApprovalEvent.objects.filter(synced=True).count() == 3

    second = client.post(SYNC, batch())

    assert second.status_code == 200, second.content
    assert second.json() == {"created": 0, "updated": 0, "unchanged": 3}
    assert ApprovalEvent.objects.filter(synced=True).count() == 3
    # the synced state shows in the API like any other
    shown = client.get(detail(eia)).json()
    assert shown["status"] == "accepted" and shown["events"][-1]["synced"] is True


def test_sync_is_all_or_nothing_with_errors_by_row(people, api, coded):
    client = api.as_user(people["api_client"])
    rows = batch()
    rows[1]["project_code"] = "2024-320281-26-03-599999"  # not in the library

    response = client.post(SYNC, rows)

    body = assert_error(response, 400, "sync_rejected")
    assert has_chinese(body["message"])
    assert list(body["errors"]) == ["1"]
    assert "2024-320281-26-03-599999" in body["errors"]["1"]["project_code"][0]
    assert not Approval.objects.exists() and not ApprovalEvent.objects.exists()


def test_sync_reports_each_bad_row(people, api, coded):
    client = api.as_user(people["county_office"])  # 江阴: 沭阳's project is not theirs
    rows = batch()
    rows[0]["accepted_on"] = None  # accepted without an acceptance date
    rows[2]["project_code"] = CODE_SHUYANG
    rows.append(dict(rows[1]))  # the same project and kind twice

    body = assert_error(client.post(SYNC, rows), 400, "sync_rejected")

    assert set(body["errors"]) == {"0", "2", "3"}
    assert "accepted_on" in body["errors"]["0"]
    assert "project_code" in body["errors"]["2"]
    assert "kind" in body["errors"]["3"]
    assert not Approval.objects.exists()


def test_sync_type_errors_are_listed_by_row_and_nothing_is_written(people, api, coded):
    client = api.as_user(people["api_client"])
    rows = batch()
    rows[1]["decided_on"] = "2026-13-45"
    rows[2]["status"] = "done"
    del rows[2]["kind"]

    body = assert_error(client.post(SYNC, rows), 400, "validation_error")

    assert set(body["errors"]) == {"1", "2"}
    assert set(body["errors"]["1"]) == {"decided_on"}
    assert set(body["errors"]["2"]) == {"status", "kind"}
    assert not Approval.objects.exists()
    # a body that is not a list is refused too
    assert_error(client.post(SYNC, {"rows": batch()}), 400, "validation_error")


@pytest.mark.parametrize("person", ["county_filer", "leader", "enterprise", "liaison"])
def test_only_editors_may_sync(people, api, coded, person):
    response = api.as_user(people[person]).post(SYNC, batch())
    assert_error(response, 403, "permission_denied")
    assert not Approval.objects.exists()


# --- scope -------------------------------------------------------------------------------------


def test_another_county_gets_404_everywhere(people, library, api):
    approval = accepted(people, library["jiangyin_other"], "eia")
    client = api.as_user(people["county_filer2"])

    assert approval.pk not in ids(client.get(APPROVALS))
    assert_error(client.get(detail(approval)), 404, "not_found")
    assert_error(client.patch(detail(approval), {"note": "x"}), 404, "not_found")
    for action in services.ACTIONS:
        assert_error(client.post(act(approval, action), {}), 404, "not_found")
    assert ids(api.as_user(people["nobody"]).get(APPROVALS)) == set()


def test_a_department_liaison_sees_the_approvals_it_handles(
    people, library, api, eco_dept, eco_liaison
):
    wuxi_eco = factories.unit("无锡市生态环境局", "320200", Unit.Kind.DEPARTMENT)
    own = {
        accepted(people, library["jiangyin_other"], "eia", unit=eco_dept).pk,
        register(people, library["shuyang"], "eia", unit=eco_dept).pk,
    }
    others_eia = register(people, library["yixing"], "eia", unit=wuxi_eco)
    land = register(people, library["jiangyin_other"], "land")
    client = api.as_user(eco_liaison)

    assert ids(client.get(APPROVALS)) == own
    assert ids(client.get(APPROVALS, {"kind": "land"})) == set()
    assert_error(client.get(detail(others_eia)), 404, "not_found")
    assert_error(client.get(detail(land)), 404, "not_found")


# --- cost and reference ------------------------------------------------------------------------


def count_list_queries(client, size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(APPROVALS, {"page_size": size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == size
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(people, api):
    by = people["province_office"]
    for number in range(12):
        project = factories.project("320281" if number % 2 else "320282", by=by)
        if number % 3:  # (the province office may serve as specialist anywhere)
            accepted(people, project, "eia", specialist=people["province_office"])
        else:
            decided(people, project, "land")
    client = api.as_user(people["province_office"])

    assert count_list_queries(client, 3) == count_list_queries(client, 12)


def test_approval_kinds_are_listed(people, api):
    body = api.as_user(people["county_filer"]).get(KINDS).json()

    assert [row["code"] for row in body] == [
        "land",
        "forestry",
        "eia",
        "energy",
        "soil_water",
        "planning_permit",
        "construction_permit",
    ]
    eia = body[2]
    assert eia["name"] == "环评" and eia["promised_days"] == 30
    assert eia["target_rule"] == "share" and eia["target_share"] == "0.70"
    assert body[4]["target_rule_display"] == "即来即办、当日办结"
