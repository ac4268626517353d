"""The project library API: writes, stage transitions, project codes, the JSON contract,
filters, pagination and the number of queries a list costs."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Unit
from projects.models import ElementNeed, Project, Stage, Tag

from . import factories

PROJECTS = "/api/v1/projects/"
VALID_CODE = "2024-320281-26-03-512345"


def detail(project) -> str:
    return f"{PROJECTS}{project.pk}/"


def transition(project) -> str:
    return f"{PROJECTS}{project.pk}/transition/"


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def new_project(unit: Unit, region: str = "320281", **overrides) -> dict:
    data = {
        "name": "新建智能制造产业园项目",
        "region": region,
        "unit": unit.pk,
        "category": "industrial",
        "tier": "county",
        "sub_library": "annual",
        "total_investment": "80000.00",
        "planned_investment_year": "12000.50",
        "planned_start": "2026-06-01",
        "planned_completion": "2028-12-31",
    }
    data.update(overrides)
    return data


def assert_error(response, status: int, code: str, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(message, str) and message for message in body["errors"][field])
    return body


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.fixture
def jiangyin_unit(db):
    return factories.unit("江阴新建智造有限公司", "320281")


# --- who may write --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "person", ["province_office", "city_office", "county_office", "api_client", "admin"]
)
def test_editors_create_a_project_in_their_scope(people, api, jiangyin_unit, person):
    client = api.as_user(people[person])

    response = client.post(PROJECTS, new_project(jiangyin_unit, name=f"{person}新建项目"))

    assert response.status_code == 201, response.content
    stored = Project.objects.get(pk=response.json()["id"])
    assert stored.name == f"{person}新建项目"
    assert stored.region_id == "320281"
    assert stored.unit == jiangyin_unit
    assert stored.total_investment == Decimal("80000.00")
    assert stored.planned_investment_year == Decimal("12000.50")
    assert response.json()["region"] == "320281"
    # the creator can read it back
    assert client.get(detail(stored)).status_code == 200


@pytest.mark.parametrize(
    "person", ["province_office", "city_office", "county_office", "api_client"]
)
def test_editors_update_a_project_in_their_scope(people, library, api, person):
    project = library["jiangyin_other"]

    response = api.as_user(people[person]).patch(
        detail(project), {"name": "江阴项目（更名）", "total_investment": "65000.00"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "江阴项目（更名）"
    assert response.json()["total_investment"] == "65000.00"
    project.refresh_from_db()
    assert project.name == "江阴项目（更名）"
    assert project.total_investment == Decimal("65000.00")


@pytest.mark.parametrize(
    "person", ["county_filer", "leader", "enterprise", "liaison", "nobody", "county_filer2"]
)
def test_readers_cannot_create(people, api, jiangyin_unit, person):
    before = Project.objects.count()

    response = api.as_user(people[person]).post(PROJECTS, new_project(jiangyin_unit))

    assert_error(response, 403, "permission_denied")
    assert Project.objects.count() == before


@pytest.mark.parametrize("person", ["county_filer", "leader", "enterprise", "liaison"])
def test_readers_cannot_update_even_what_they_see(people, library, api, person):
    project = library["jiangyin_enterprise_1"]  # within every one of these people's scope
    # (a liaison reads the projects their department works on)
    Project.objects.filter(pk=project.pk).update(responsible_unit=people["liaison"].unit)
    client = api.as_user(people[person])
    assert client.get(detail(project)).status_code == 200

    response = client.patch(detail(project), {"name": "越权修改"})

    assert_error(response, 403, "permission_denied")
    project.refresh_from_db()
    assert project.name == "江阴澄新一期"


@pytest.mark.parametrize("person", ["county_filer", "leader", "enterprise", "liaison"])
def test_readers_cannot_move_stages(people, library, api, person):
    project = library["jiangyin_enterprise_1"]
    Project.objects.filter(pk=project.pk).update(responsible_unit=people["liaison"].unit)

    response = api.as_user(people[person]).post(
        transition(project), {"stage": "started", "date": days_ago(3).isoformat()}
    )

    assert_error(response, 403, "permission_denied")
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING
    assert project.started_on is None


def test_city_office_cannot_patch_a_project_of_another_city(people, library, api):
    project = library["shuyang"]

    response = api.as_user(people["city_office"]).patch(detail(project), {"name": "跨市修改"})

    assert_error(response, 404, "not_found")
    project.refresh_from_db()
    assert project.name == "沭阳项目"


def test_city_office_cannot_create_a_project_in_another_city(people, api):
    shuyang_unit = factories.unit("沭阳某企业有限公司", "321322")
    before = Project.objects.count()

    response = api.as_user(people["city_office"]).post(
        PROJECTS, new_project(shuyang_unit, region="321322")
    )

    assert_error(response, 400, "validation_error", field="region")
    assert "unit" in response.json()["errors"]  # the 沭阳 unit is out of scope as well
    assert Project.objects.count() == before


def test_city_office_cannot_name_a_unit_outside_its_scope(people, library, api, jiangyin_unit):
    shuyang_unit = factories.unit("沭阳另一企业有限公司", "321322")

    created = api.as_user(people["city_office"]).post(
        PROJECTS, new_project(shuyang_unit, region="320281")
    )
    moved = api.as_user(people["city_office"]).patch(
        detail(library["jiangyin_other"]), {"unit": shuyang_unit.pk}
    )

    assert_error(created, 400, "validation_error", field="unit")
    assert_error(moved, 400, "validation_error", field="unit")
    assert not Project.objects.filter(unit=shuyang_unit).exists()


def test_county_office_cannot_move_a_project_to_another_county(people, library, api):
    project = library["jiangyin_other"]

    response = api.as_user(people["county_office"]).patch(detail(project), {"region": "320282"})

    assert_error(response, 400, "validation_error", field="region")
    project.refresh_from_db()
    assert project.region_id == "320281"


def test_stage_and_stage_dates_are_read_only_on_patch(people, library, api):
    project = library["jiangyin_other"]

    response = api.as_user(people["province_office"]).patch(
        detail(project),
        {"stage": "completed", "completed_on": days_ago(5).isoformat(), "name": "只改名称"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "planning"
    assert response.json()["completed_on"] is None
    project.refresh_from_db()
    assert project.name == "只改名称"  # the rest of the PATCH was applied
    assert project.stage == Stage.PLANNING
    assert project.completed_on is None


def test_treasury_bond_support_is_read_only_and_an_override_needs_a_reason(people, library, api):
    project = library["jiangyin_other"]
    client = api.as_user(people["province_office"])
    ignored = client.patch(detail(project), {"treasury_bond": True})
    assert ignored.status_code == 200 and ignored.json()["treasury_bond"] is False

    refused = client.patch(detail(project), {"treasury_bond_override": True})
    assert_error(refused, 400, "required", field="treasury_bond_reason")
    decided = client.patch(
        detail(project),
        {"treasury_bond_override": True, "treasury_bond_reason": "列入国家“两重”清单"},
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["treasury_bond"] is True


def test_a_project_may_be_created_at_a_later_stage_with_its_date(people, api, jiangyin_unit):
    started = days_ago(30).isoformat()

    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, stage="started", started_on=started)
    )

    assert response.status_code == 201, response.content
    assert response.json()["stage"] == "started"
    assert response.json()["started_on"] == started


def test_a_patch_leaves_the_stage_writable_for_the_next_creation(
    people, library, api, jiangyin_unit
):
    """The serializer's fields are built once per class and copied: making the stage read-only
    for one project's PATCH must not reach the next request."""
    client = api.as_user(people["province_office"])
    assert (
        client.patch(detail(library["jiangyin_other"]), {"stage": "completed"}).status_code == 200
    )
    started = days_ago(30).isoformat()

    response = client.post(
        PROJECTS, new_project(jiangyin_unit, stage="started", started_on=started)
    )

    assert response.status_code == 201, response.content
    assert response.json()["stage"] == "started"
    assert response.json()["started_on"] == started


def test_creating_with_a_future_stage_date_is_refused(people, api, jiangyin_unit):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, stage="started", started_on=tomorrow)
    )

    assert_error(response, 400, "stage_date_in_future", field="started_on")
    assert not Project.objects.filter(name="新建智能制造产业园项目").exists()


# --- stage transitions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "stage, date_field",
    [("signed", "signed_on"), ("filed", "filed_on"), ("started", "started_on")],
)
def test_transition_forward_stores_the_stage_and_its_date(people, library, api, stage, date_field):
    project = library["jiangyin_other"]
    date = days_ago(7)

    response = api.as_user(people["city_office"]).post(
        transition(project), {"stage": stage, "date": date.isoformat()}
    )

    assert response.status_code == 200, response.content
    assert response.json()["stage"] == stage
    assert response.json()[date_field] == date.isoformat()
    project.refresh_from_db()
    assert project.stage == stage
    assert getattr(project, date_field) == date


def test_transition_can_skip_stages_and_keeps_going_forward(people, library, api):
    project = library["yixing"]
    client = api.as_user(people["api_client"])

    first = client.post(transition(project), {"stage": "filed", "date": days_ago(20).isoformat()})
    second = client.post(
        transition(project), {"stage": "completed", "date": days_ago(2).isoformat()}
    )

    assert first.status_code == 200 and second.status_code == 200
    project.refresh_from_db()
    assert project.stage == Stage.COMPLETED
    assert project.filed_on == days_ago(20)
    assert project.completed_on == days_ago(2)
    assert project.started_on is None


@pytest.fixture
def completed_project(people):
    return factories.project(
        "320281",
        by=people["province_office"],
        name="已竣工项目",
        stage=Stage.COMPLETED,
        signed_on=days_ago(400),
        filed_on=days_ago(300),
        started_on=days_ago(200),
        completed_on=days_ago(10),
    )


def test_backward_transition_by_a_non_office_editor_is_refused(people, api, completed_project):
    response = api.as_user(people["api_client"]).post(
        transition(completed_project), {"stage": "started", "reason": "系统回退"}
    )

    assert_error(response, 400, "stage_backward", field="stage")
    completed_project.refresh_from_db()
    assert completed_project.stage == Stage.COMPLETED
    assert completed_project.completed_on == days_ago(10)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_backward_transition_by_office_staff_needs_a_reason(people, api, completed_project, reason):
    payload = {"stage": "filed"}
    if reason is not None:
        payload["reason"] = reason

    response = api.as_user(people["county_office"]).post(transition(completed_project), payload)

    assert_error(response, 400, "correction_reason_required", field="reason")
    completed_project.refresh_from_db()
    assert completed_project.stage == Stage.COMPLETED


def test_correction_with_a_reason_goes_back_and_clears_later_dates(people, api, completed_project):
    response = api.as_user(people["county_office"]).post(
        transition(completed_project), {"stage": "filed", "reason": "开工信息录入有误"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == "filed"
    assert body["started_on"] is None
    assert body["completed_on"] is None
    assert body["filed_on"] == days_ago(300).isoformat()
    completed_project.refresh_from_db()
    assert completed_project.stage == Stage.FILED
    assert completed_project.started_on is None
    assert completed_project.completed_on is None
    assert completed_project.filed_on == days_ago(300)
    assert completed_project.signed_on == days_ago(400)
    change = completed_project.stage_changes.get()
    assert change.is_correction
    assert change.reason == "开工信息录入有误"


def test_transition_to_the_current_stage_is_refused(people, api, completed_project):
    response = api.as_user(people["county_office"]).post(
        transition(completed_project), {"stage": "completed", "date": days_ago(1).isoformat()}
    )

    assert_error(response, 400, "stage_unchanged", field="stage")
    completed_project.refresh_from_db()
    assert completed_project.completed_on == days_ago(10)


def test_transition_of_a_project_out_of_scope_is_404(people, library, api):
    project = library["shuyang"]

    response = api.as_user(people["city_office"]).post(
        transition(project), {"stage": "started", "date": days_ago(1).isoformat()}
    )

    assert_error(response, 404, "not_found")
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING


def test_transition_with_a_future_date_is_refused(people, library, api):
    project = library["jiangyin_other"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = api.as_user(people["county_office"]).post(
        transition(project), {"stage": "started", "date": tomorrow.isoformat()}
    )

    assert_error(response, 400, "stage_date_in_future", field="started_on")
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING
    assert project.started_on is None


def test_transition_forward_without_a_date_is_a_400_not_a_crash(people, library, api):
    project = library["jiangyin_other"]

    response = api.as_user(people["county_office"]).post(transition(project), {"stage": "started"})

    assert_error(response, 400, "date_required", field="date")
    project.refresh_from_db()
    assert project.stage == Stage.PLANNING


def test_transition_date_before_an_earlier_stage_is_refused(people, api, completed_project):
    response = api.as_user(people["county_office"]).post(
        transition(completed_project),
        {"stage": "producing", "date": days_ago(50).isoformat()},  # before completed_on
    )

    assert_error(response, 400, "stage_date_order", field="producing_on")
    completed_project.refresh_from_db()
    assert completed_project.stage == Stage.COMPLETED


@pytest.mark.parametrize("payload", [{"stage": "finished"}, {}, {"stage": "started", "date": "x"}])
def test_transition_with_a_malformed_payload_is_a_validation_error(people, library, api, payload):
    response = api.as_user(people["county_office"]).post(
        transition(library["jiangyin_other"]), payload
    )

    body = assert_error(response, 400, "validation_error")
    assert set(body["errors"]) <= {"stage", "date"} and body["errors"]


# --- project codes --------------------------------------------------------------------------


def next_year_code() -> str:
    return f"{timezone.localdate().year + 1}-320281-26-03-512345"


@pytest.mark.parametrize(
    "code, fragments",
    [
        ("2024-320281-26-03-51234", ["24位", "23位"]),
        ("2024-320281-26-03-5123456", ["24位", "25位"]),
        ("2024320281260351234500", ["24位", "22位"]),
        ("2024/320281-26-03-512345", ["5段"]),
        ("2024-32028A-26-03-512345", ["第2段", "行政区划代码", "32028A"]),
        ("2024-320281-2X-03-512345", ["第3段", "行业代码"]),
        ("2024-320281-26-03-51234Z", ["第5段", "顺序码"]),
        ("2014-320281-26-03-512345", ["年份", "2014"]),
        (next_year_code, ["年份"]),
    ],
)
def test_a_wrong_project_code_is_refused_with_a_chinese_reason(
    people, api, jiangyin_unit, code, fragments
):
    code = code() if callable(code) else code

    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, code=code)
    )

    body = assert_error(response, 400, "validation_error", field="code")
    messages = " ".join(body["errors"]["code"])
    assert has_chinese(messages)
    for fragment in fragments:
        assert fragment in messages, messages
    assert not Project.objects.filter(unit=jiangyin_unit).exists()


def test_a_valid_project_code_is_accepted(people, api, jiangyin_unit):
    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, code=VALID_CODE)
    )

    assert response.status_code == 201, response.content
    assert response.json()["code"] == VALID_CODE
    assert Project.objects.get(pk=response.json()["id"]).code == VALID_CODE


def test_a_pasted_full_width_code_is_stored_normalised(people, api, jiangyin_unit):
    pasted = "２０２４－３２０２８１－２６－０３－５１２３４５"

    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, code=pasted)
    )

    assert response.status_code == 201, response.content
    assert response.json()["code"] == VALID_CODE
    assert Project.objects.filter(code=VALID_CODE).count() == 1


@pytest.mark.parametrize("second", [VALID_CODE, "２０２４－３２０２８１－２６－０３－５１２３４５"])
def test_a_duplicate_project_code_is_refused_on_the_code_field(people, api, jiangyin_unit, second):
    client = api.as_user(people["county_office"])
    assert client.post(PROJECTS, new_project(jiangyin_unit, code=VALID_CODE)).status_code == 201

    response = client.post(PROJECTS, new_project(jiangyin_unit, name="重复代码", code=second))

    body = assert_error(response, 400, "validation_error", field="code")
    assert has_chinese(" ".join(body["errors"]["code"]))
    assert not Project.objects.filter(name="重复代码").exists()


def test_patching_a_code_already_taken_is_refused(people, library, api):
    client = api.as_user(people["county_office"])
    taken = client.patch(detail(library["jiangyin_enterprise_1"]), {"code": VALID_CODE})
    assert taken.status_code == 200, taken.content

    response = client.patch(detail(library["jiangyin_enterprise_2"]), {"code": VALID_CODE})

    assert_error(response, 400, "validation_error", field="code")
    library["jiangyin_enterprise_2"].refresh_from_db()
    assert library["jiangyin_enterprise_2"].code is None


def test_reserve_projects_may_have_no_code_and_several_may_coexist(people, api, jiangyin_unit):
    client = api.as_user(people["county_office"])

    omitted = client.post(
        PROJECTS, new_project(jiangyin_unit, name="储备一", sub_library="reserve")
    )
    null = client.post(
        PROJECTS, new_project(jiangyin_unit, name="储备二", sub_library="reserve", code=None)
    )
    blank = client.post(
        PROJECTS, new_project(jiangyin_unit, name="储备三", sub_library="reserve", code="")
    )

    for response in (omitted, null, blank):
        assert response.status_code == 201, response.content
        assert response.json()["code"] is None
    assert Project.objects.filter(unit=jiangyin_unit, code__isnull=True).count() == 3


# --- the JSON contract ----------------------------------------------------------------------

CONTRACT_FIELDS = {
    "code",
    "name",
    "region",
    "unit",
    "tier",
    "two_major",
    "treasury_bond",
    "treasury_bond_override",
    "treasury_bond_reason",
    "sub_library",
    "category",
    "sector",
    "tags",
    "stage",
    "total_investment",
    "planned_investment_year",
    "planned_start",
    "planned_completion",
    "signed_on",
    "filed_on",
    "started_on",
    "completed_on",
    "producing_on",
    "at_capacity_on",
    "investment_bracket",
    "leader_warning",
}


@pytest.fixture
def described_project(people):
    for name in ("专精特新", "外资"):
        Tag.objects.get_or_create(name=name)
    return factories.project(
        "320281",
        by=people["province_office"],
        code=VALID_CODE,
        name="江阴高端装备产业园",
        sector="高端装备",
        category="infrastructure",
        tier="provincial_implementation",
        two_major=True,
        treasury_bond_override=True,
        treasury_bond_reason="列入国家“两重”建设项目清单",
        sub_library="key",
        stage=Stage.STARTED,
        signed_on=datetime.date(2024, 3, 1),
        filed_on=datetime.date(2024, 5, 6),
        started_on=datetime.date(2024, 9, 9),
        total_investment=Decimal("150000"),
        planned_investment_year=Decimal("30000.5"),
        planned_start=datetime.date(2024, 9, 1),
        planned_completion=datetime.date(2027, 6, 30),
        responsible_leader="张三",
        responsible_leader_level=2,
        tags=Tag.objects.filter(name__in=["专精特新", "外资"]),
    )


def test_project_json_uses_the_contract_field_names_and_types(people, api, described_project):
    item = api.as_user(people["county_filer"]).get(detail(described_project)).json()

    assert CONTRACT_FIELDS <= item.keys()
    assert item["code"] == VALID_CODE
    assert item["region"] == "320281"
    assert item["unit"] == described_project.unit_id
    assert item["tier"] == "provincial_implementation"
    assert item["two_major"] is True
    assert item["treasury_bond"] is True
    assert item["sub_library"] == "key"
    assert item["category"] == "infrastructure"
    assert item["sector"] == "高端装备"
    assert sorted(item["tags"]) == sorted(["专精特新", "外资"])
    assert item["stage"] == "started"
    assert item["total_investment"] == "150000.00"
    assert item["planned_investment_year"] == "30000.50"
    assert item["planned_start"] == "2024-09-01"
    assert item["planned_completion"] == "2027-06-30"
    assert item["signed_on"] == "2024-03-01"
    assert item["filed_on"] == "2024-05-06"
    assert item["started_on"] == "2024-09-09"
    assert item["completed_on"] is None
    assert item["producing_on"] is None
    assert item["at_capacity_on"] is None


def test_list_items_have_the_same_shape_as_the_detail(people, api, described_project):
    client = api.as_user(people["county_filer"])

    listed = client.get(PROJECTS).json()["results"]

    assert listed == [client.get(detail(described_project)).json()]


@pytest.mark.parametrize(
    "total, bracket",
    [
        ("1000000", "100亿元以上"),
        ("500000", "50亿元以上"),
        ("150000", "10亿元以上"),
        ("99999.99", "1亿元以上"),
        ("5000", "5000万元以上"),
        ("3000", "3000万元以上"),
        ("2999.99", "3000万元以下"),
    ],
)
def test_investment_bracket_is_derived_from_the_total(people, api, jiangyin_unit, total, bracket):
    client = api.as_user(people["county_office"])

    created = client.post(PROJECTS, new_project(jiangyin_unit, total_investment=total))

    assert created.status_code == 201, created.content
    assert created.json()["investment_bracket"] == bracket
    assert client.get(f"{PROJECTS}{created.json()['id']}/").json()["investment_bracket"] == bracket


def test_leader_warning_follows_the_leader_level_rule(people, api, jiangyin_unit):
    client = api.as_user(people["county_office"])
    big = new_project(jiangyin_unit, total_investment="150000", responsible_leader="李四")

    too_low = client.post(PROJECTS, {**big, "responsible_leader_level": 1})
    high_enough = client.post(PROJECTS, {**big, "name": "另一项目", "responsible_leader_level": 2})

    assert too_low.status_code == 201 and high_enough.status_code == 201
    assert too_low.json()["investment_bracket"] == "10亿元以上"
    assert too_low.json()["leader_warning"]
    assert "市分管领导" in too_low.json()["leader_warning"]
    assert high_enough.json()["leader_warning"] == ""

    raised = client.patch(f"{PROJECTS}{too_low.json()['id']}/", {"responsible_leader_level": 3})
    assert raised.status_code == 200
    assert raised.json()["leader_warning"] == ""


def test_leader_warning_when_no_leader_is_named(people, api, jiangyin_unit):
    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, total_investment="600000")
    )

    assert response.status_code == 201
    assert "市主要领导" in response.json()["leader_warning"]


def test_small_projects_need_no_leader(people, api, jiangyin_unit):
    response = api.as_user(people["county_office"]).post(
        PROJECTS, new_project(jiangyin_unit, total_investment="9999")
    )

    assert response.status_code == 201
    assert response.json()["leader_warning"] == ""


# --- filters, ordering, pagination ----------------------------------------------------------


@pytest.fixture
def catalogue(people):
    """Four projects that differ in every filtered attribute."""
    by = people["province_office"]
    tag = {name: Tag.objects.get_or_create(name=name)[0] for name in ("专精特新", "外资", "链主")}
    return {
        "port": factories.project(
            "320281",
            by=by,
            name="江阴港口扩建工程",
            code="2023-320281-55-01-100001",
            tier="provincial_implementation",
            sub_library="key",
            stage=Stage.STARTED,
            started_on=datetime.date(2025, 3, 10),
            category="infrastructure",
            two_major=True,
            total_investment=Decimal("300000"),
            planned_start=datetime.date(2025, 3, 1),
            tags=[tag["专精特新"], tag["外资"]],
        ),
        "chips": factories.project(
            "320282",
            by=by,
            name="宜兴半导体材料项目",
            code="2024-320282-39-03-200002",
            tier="city",
            sub_library="annual",
            category="industrial",
            total_investment=Decimal("120000"),
            planned_start=datetime.date(2026, 9, 1),
            tags=[tag["专精特新"], tag["链主"]],
        ),
        "school": factories.project(
            "321322",
            by=by,
            name="沭阳县第一中学新校区",
            tier="county",
            sub_library="reserve",
            category="livelihood",
            total_investment=Decimal("8000"),
            planned_start=None,
            tags=[tag["外资"]],
        ),
        "park": factories.project(
            "320102",
            by=by,
            name="玄武数字产业园",
            tier="city",
            sub_library="annual",
            category="industrial",
            total_investment=Decimal("60000"),
            planned_start=datetime.date(2027, 1, 15),
        ),
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["results"]}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"port", "chips", "school", "park"}),
        ("region=320200", {"port", "chips"}),
        ("region=320281", {"port"}),
        ("region=321300", {"school"}),
        ("region=320000", {"port", "chips", "school", "park"}),
        ("tier=city", {"chips", "park"}),
        ("tier=city&tier=county", {"chips", "school", "park"}),
        ("sub_library=annual", {"chips", "park"}),
        ("sub_library=key", {"port"}),
        ("stage=started", {"port"}),
        ("stage=planning", {"chips", "school", "park"}),
        ("category=industrial", {"chips", "park"}),
        ("category=livelihood&category=infrastructure", {"school", "port"}),
        ("two_major=true", {"port"}),
        ("two_major=false", {"chips", "school", "park"}),
        ("tags=专精特新", {"port", "chips"}),
        ("tags=专精特新,外资", {"port"}),
        ("tags=外资，专精特新", {"port"}),
        ("tags=链主,外资", set()),
        ("planned_start_after=2026-01-01", {"chips", "park"}),
        ("planned_start_before=2026-01-01", {"port"}),
        ("planned_start_after=2026-01-01&planned_start_before=2026-12-31", {"chips"}),
        ("planned_start_after=2026-09-01&planned_start_before=2026-09-01", {"chips"}),
        ("search=产业园", {"park"}),
        ("search=320281-55", {"port"}),
        ("search=2024-320282", {"chips"}),
        ("search=不存在的名称", set()),
        ("region=320200&tier=city", {"chips"}),
    ],
)
def test_project_filters(people, api, catalogue, query, expected):
    response = api.as_user(people["province_office"]).get(f"{PROJECTS}?{query}")

    assert names(response) == {catalogue[key].name for key in expected}
    assert response.json()["count"] == len(expected)


def test_region_filter_keeps_to_the_callers_scope(people, api, catalogue):
    client = api.as_user(people["city_office"])

    assert names(client.get(PROJECTS, {"region": "320000"})) == {
        catalogue["port"].name,
        catalogue["chips"].name,
    }
    assert names(client.get(PROJECTS, {"region": "321300"})) == set()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"region": "329999"}, "region"),
        ({"region": "abc"}, "region"),
        ({"tier": "national"}, "tier"),
        ({"stage": "finished"}, "stage"),
        ({"planned_start_after": "2026-13-01"}, "planned_start_after"),
    ],
)
def test_bad_filter_values_are_a_400_naming_the_filter(people, api, catalogue, params, field):
    response = api.as_user(people["province_office"]).get(PROJECTS, params)

    body = assert_error(response, 400, "validation_error", field=field)
    assert has_chinese(" ".join(body["errors"][field]))


def test_unknown_region_error_names_the_code(people, api, catalogue):
    response = api.as_user(people["province_office"]).get(PROJECTS, {"region": "329999"})

    assert "329999" in response.json()["errors"]["region"][0]


@pytest.mark.parametrize(
    "ordering, descending", [("-total_investment", True), ("total_investment", False)]
)
def test_ordering_by_total_investment(people, api, catalogue, ordering, descending):
    response = api.as_user(people["province_office"]).get(PROJECTS, {"ordering": ordering})

    got = [item["name"] for item in response.json()["results"]]
    by_total = sorted(catalogue.values(), key=lambda p: p.total_investment, reverse=descending)
    assert got == [p.name for p in by_total]


def test_ordering_by_code(people, api, catalogue):
    response = api.as_user(people["province_office"]).get(
        PROJECTS, {"ordering": "-code", "search": "-3202"}
    )

    assert [item["code"] for item in response.json()["results"]] == [
        catalogue["chips"].code,
        catalogue["port"].code,
    ]


def test_default_order_is_largest_investment_first(people, api, catalogue):
    response = api.as_user(people["province_office"]).get(PROJECTS)

    totals = [Decimal(item["total_investment"]) for item in response.json()["results"]]
    assert totals == sorted(totals, reverse=True)
    assert len(totals) == len(catalogue)


def test_pagination_shape_and_page_size(people, api):
    by = people["province_office"]
    for number in range(7):
        factories.project("320281", by=by, total_investment=Decimal(10_000 + number))
    client = api.as_user(people["county_filer"])

    first = client.get(PROJECTS, {"page_size": 3})
    last = client.get(PROJECTS, {"page_size": 3, "page": 3})
    everything = client.get(PROJECTS)

    assert set(first.json()) == {"count", "count_is_estimate", "next", "previous", "results"}
    assert first.json()["count"] == 7
    assert first.json()["count_is_estimate"] is False
    assert len(first.json()["results"]) == 3
    assert first.json()["previous"] is None
    assert "page=2" in first.json()["next"] and "page_size=3" in first.json()["next"]
    assert last.json()["count"] == 7
    assert len(last.json()["results"]) == 1
    assert last.json()["next"] is None
    assert "page=2" in last.json()["previous"]
    assert len(everything.json()["results"]) == 7  # default page size is larger
    paged = [
        item["id"]
        for page in (1, 2, 3)
        for item in client.get(PROJECTS, {"page_size": 3, "page": page}).json()["results"]
    ]
    assert paged == [item["id"] for item in everything.json()["results"]]


def test_a_page_beyond_the_end_is_404(people, library, api):
    response = api.as_user(people["province_office"]).get(PROJECTS, {"page": 99})

    assert_error(response, 404, "not_found")


# --- query counts ---------------------------------------------------------------------------

#: token+user+region+roles (scope), the working-day calendar (two: the lights' "near" horizon),
#: COUNT, the page's ids, the page's rows (with their lights' rules), tags, element needs
LIST_QUERIES = 8


@pytest.fixture
def thirty_projects(people):
    by = people["province_office"]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("专精特新", "外资", "链主")]
    projects = []
    for number in range(30):
        project = factories.project(
            "320281" if number % 2 else "320282",
            by=by,
            total_investment=Decimal(20_000 + number),
            responsible_unit=Unit.objects.get(region_id="320200", kind=Unit.Kind.OFFICE),
            tags=tags[: 1 + number % 3],
        )
        ElementNeed.objects.create(project=project, kind="land", needed=Decimal(number + 1))
        projects.append(project)
    return projects


def count_list_queries(client, page_size: int):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROJECTS, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries), response


@pytest.mark.parametrize("person", ["province_office", "city_office"])
def test_list_query_count_does_not_grow_with_page_size(people, api, thirty_projects, person):
    client = api.as_user(people[person])

    small, _ = count_list_queries(client, 5)
    large, response = count_list_queries(client, 30)

    assert small == large == LIST_QUERIES
    # and the related data really is in the answer
    item = response.json()["results"][0]
    assert item["tags"] and item["unit_name"] and item["region_name"]
    assert item["element_needs"][0]["kind"] == "land"


def test_detail_query_count_is_fixed(people, api, thirty_projects):
    client = api.as_user(people["province_office"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(detail(thirty_projects[0]))

    assert response.status_code == 200
    # token+user+region+roles, the calendar (two), the project with its lights' rules, tags,
    # element needs
    assert len(queries) == 6


def test_the_project_export_keeps_formula_like_names_as_text(people):
    import io

    from openpyxl import load_workbook

    from projects.exports import projects_workbook
    from projects.models import Project

    from . import factories

    factories.project("320281", by=people["province_office"], name='=HYPERLINK("x")')
    sheet = load_workbook(io.BytesIO(projects_workbook(Project.objects.all()))).active
    names = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [cell.data_type for cell in names] == ["s"]
