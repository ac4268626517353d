"""The funding API (SPEC §11, §12): records with their invariants, quotas, the summary figures on
a hand-made dataset, the REITs pipeline, financing needs and matches, filters, scope, who may
write and the cost of a list.

Today is pinned to Monday 23 November 2026."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Region
from funding import services
from funding.models import (
    FinancialInstitution,
    FinancingMatch,
    FundingChannel,
    FundingRecord,
    Quota,
    ReitsEvent,
    ReitsProject,
)
from projects.models import Project

from . import factories
from .conftest import clock_at
from .test_api_projects import assert_error, has_chinese

BASE = "/api/v1/funding/"
CHANNELS = f"{BASE}channels/"
QUOTAS = f"{BASE}quotas/"
RECORDS = f"{BASE}records/"
REITS = f"{BASE}reits/"
NEEDS = f"{BASE}financing-needs/"
MATCHES = f"{BASE}financing-matches/"
SUMMARY = f"{BASE}summary/"
D = datetime.date
TODAY = D(2026, 11, 23)


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def suqian_office(people):
    """Office staff of another city (宿迁)."""
    return factories.user("suqian_office", "321300", ["office_staff"], factories.office("321300"))


def url(base: str, obj, action: str = "") -> str:
    return f"{base}{obj.pk}/{action + '/' if action else ''}"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def channel(code: str) -> FundingChannel:
    return FundingChannel.objects.get(code=code)


def record(people, project, code="special_bond", year=2026, **amounts) -> FundingRecord:
    return services.record_create(
        by=people["province_office"], project=project, channel=channel(code), year=year, **amounts
    )


def quota(people, region: str, amount, code="special_bond", year=2026, **extra) -> Quota:
    return services.quota_save(
        by=people["province_office"],
        channel=channel(code),
        year=year,
        region=Region.objects.get(code=region),
        amount=Decimal(amount),
        **extra,
    )


def banks(count: int = 2) -> list[FinancialInstitution]:
    return list(FinancialInstitution.objects.order_by("name")[:count])


# --- funding records -----------------------------------------------------------------------------


def test_channels_are_listed(people, api):
    body = api.as_user(people["county_filer"]).get(CHANNELS).json()

    codes = [row["code"] for row in body]
    assert codes[0] == "special_bond" and "reits" in codes and "bank" in codes
    assert body[0]["name"] == "专项债"


def test_office_registers_a_funding_record(people, library, api):
    project = library["jiangyin_other"]
    client = api.as_user(people["county_office"])

    response = client.post(
        RECORDS,
        {
            "project": project.pk,
            "channel": "special_bond",
            "year": 2026,
            "batch": "第一批",
            "requested": "1200",
            "allocated": "1000",
            "issued": "800",
            "used": "300.50",
            "capital_share": "200",
            "issued_on": "2026-06-30",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project_name"] == "江阴其他企业项目" and body["project_code"] == project.code
    assert body["channel"] == "special_bond" and body["channel_name"] == "专项债"
    assert (body["requested"], body["allocated"], body["issued"]) == (
        "1200.00",
        "1000.00",
        "800.00",
    )
    assert (body["used"], body["capital_share"]) == ("300.50", "200.00")
    saved = FundingRecord.objects.get(pk=body["id"])
    assert saved.project == project and saved.used == Decimal("300.50")
    assert saved.issued_on == D(2026, 6, 30)


@pytest.mark.parametrize(
    ("amounts", "code", "field"),
    [
        ({"allocated": "100", "issued": "80", "used": "90"}, "used_above_issued", "used"),
        ({"allocated": "100", "issued": "120"}, "issued_above_allocated", "issued"),
        ({"allocated": "-1"}, "negative_amount", "allocated"),
        ({"allocated": "100", "issued": "100", "used": "-5"}, "negative_amount", "used"),
        (
            {"allocated": "100", "issued": "100", "capital_share": "25.01"},
            "capital_above_quarter",
            "capital_share",
        ),
    ],
)
def test_each_invariant_is_refused_naming_the_field(people, library, api, amounts, code, field):
    client = api.as_user(people["county_office"])
    body = {"project": library["jiangyin_other"].pk, "channel": "special_bond", "year": 2026}

    response = client.post(RECORDS, {**body, **amounts})

    refused = assert_error(response, 400, code, field=field)
    assert has_chinese(refused["message"]) and has_chinese(refused["errors"][field][0])
    assert not FundingRecord.objects.exists()


def test_a_quarter_of_a_special_bond_may_be_capital(people, library, api):
    client = api.as_user(people["county_office"])
    body = {"project": library["jiangyin_other"].pk, "year": 2026, "allocated": "100"}

    bond = client.post(
        RECORDS, {**body, "channel": "special_bond", "issued": "100", "capital_share": "25"}
    )
    other = client.post(
        RECORDS, {**body, "channel": "central_budget", "issued": "100", "capital_share": "60"}
    )

    assert bond.status_code == 201, bond.content
    assert other.status_code == 201, other.content


def test_an_edit_keeps_the_invariants_and_the_project(people, library, api):
    item = record(people, library["jiangyin_other"], allocated=100, issued=60, used=10)
    client = api.as_user(people["county_office"])

    refused = client.patch(url(RECORDS, item), {"used": "70"})

    assert_error(refused, 400, "used_above_issued", field="used")
    assert FundingRecord.objects.get(pk=item.pk).used == 10

    response = client.patch(
        url(RECORDS, item), {"issued": "100", "used": "70", "project": library["yixing"].pk}
    )

    assert response.status_code == 200, response.content
    assert (
        response.json()["used"] == "70.00" and response.json()["project_name"] == "江阴其他企业项目"
    )
    item.refresh_from_db()
    assert (item.issued, item.used, item.project) == (100, 70, library["jiangyin_other"])


def test_a_second_record_of_the_same_batch_is_refused(people, library, api):
    record(people, library["jiangyin_other"], allocated=100)
    client = api.as_user(people["county_office"])

    response = client.post(
        RECORDS,
        {"project": library["jiangyin_other"].pk, "channel": "special_bond", "year": 2026},
    )

    assert_error(response, 400, "record_exists", field="batch")
    assert FundingRecord.objects.count() == 1


def test_a_project_out_of_scope_cannot_be_named(people, library, api):
    response = api.as_user(people["county_office"]).post(
        RECORDS, {"project": library["shuyang"].pk, "channel": "special_bond", "year": 2026}
    )

    body = assert_error(response, 400, "validation_error", field="project")
    assert "管辖范围" in body["errors"]["project"][0]
    assert not FundingRecord.objects.exists()


# --- quotas ------------------------------------------------------------------------------------


def test_quotas_are_set_and_changed_by_the_office(people, api):
    client = api.as_user(people["city_office"])

    created = client.post(
        QUOTAS,
        {
            "channel": "special_bond",
            "year": 2026,
            "region": "320200",
            "amount": "600000",
            "issuance_deadline": "2026-09-30",
        },
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["region_name"] == "无锡市" and body["channel_name"] == "专项债"
    assert body["amount"] == "600000.00"

    changed = client.patch(url(QUOTAS, Quota.objects.get()), {"amount": "650000", "year": 2027})

    assert changed.status_code == 200, changed.content
    saved = Quota.objects.get()
    assert saved.amount == 650000 and saved.year == 2026  # the year stays
    assert saved.issuance_deadline == D(2026, 9, 30)

    twice = client.post(
        QUOTAS, {"channel": "special_bond", "year": 2026, "region": "320200", "amount": "1"}
    )
    assert_error(twice, 400, "validation_error", field="region")
    negative = client.patch(url(QUOTAS, saved), {"amount": "-1"})
    assert_error(negative, 400, "negative_amount", field="amount")
    assert Quota.objects.get().amount == 650000


def test_a_split_beyond_the_parent_quota_is_refused_without_a_reason(people, api):
    quota(people, "320000", "1000")
    quota(people, "320200", "800")
    client = api.as_user(people["province_office"])
    payload = {"channel": "special_bond", "year": 2026, "region": "321300", "amount": "300"}

    refused = client.post(QUOTAS, payload)
    assert_error(refused, 400, "quota_above_parent", field="over_reason")
    assert not Quota.objects.filter(region_id="321300").exists()

    kept = client.post(QUOTAS, {**payload, "over_reason": "追加额度文件待下发"})
    assert kept.status_code == 201, kept.content
    assert kept.json()["over_reason"] == "追加额度文件待下发"


def test_a_quota_out_of_scope_is_refused(people, api):
    client = api.as_user(people["county_office"])

    response = client.post(
        QUOTAS, {"channel": "special_bond", "year": 2026, "region": "320200", "amount": "1"}
    )

    assert_error(response, 400, "region_out_of_scope", field="region")
    assert not Quota.objects.exists()


# --- summary -----------------------------------------------------------------------------------


@pytest.fixture
def dataset(people, library):
    """Special bonds 2026: the province's quota of 1,000 with a deadline of 30 September, 无锡's
    600 and 宿迁's 400 (its shares); records in 江阴, 宜兴 and 沭阳; a treasury-bond record and
    one of another year that must not count; two REITs projects and two financing needs."""
    by = people["province_office"]
    quota(people, "320000", "1000", issuance_deadline=D(2026, 9, 30))
    quota(people, "320200", "600")
    quota(people, "321300", "400")
    record(people, library["jiangyin_other"], allocated=300, issued=200, used=50)
    record(people, library["yixing"], allocated=200, issued=200, used=150, capital_share=50)
    record(people, library["shuyang"], allocated=100, issued=40, used=0)
    record(people, library["shuyang"], year=2025, allocated=999, issued=999)
    record(people, library["yixing"], code="treasury_bond", allocated=80, issued=80, used=20)
    reits = services.reits_add(by=by, project=library["yixing"], date=D(2026, 3, 1))
    services.reits_advance(reits=reits, by=by, stage="local_submission", date=D(2026, 4, 1))
    services.reits_add(by=by, project=library["shuyang"], date=D(2026, 3, 1))
    need = services.need_create(
        by=by, project=library["jiangyin_other"], kind="loan", amount=Decimal("40000")
    )
    services.need_create(by=by, project=library["shuyang"], kind="capital", amount=Decimal("10"))
    (match,) = services.need_push(need=need, by=by, institutions=banks(1))
    services.match_update(match=match, by=by, state="credit_granted", credit_amount=30000)


def summary(client, **params):
    response = client.get(SUMMARY, params)
    assert response.status_code == 200, response.content
    body = response.json()
    body["by_channel"] = {row["channel"]: row for row in body["channels"]}
    return body


def test_the_province_summary_uses_the_province_quota(people, api, dataset):
    body = summary(api.as_user(people["province_office"]), year=2026)

    bond = body["by_channel"]["special_bond"]
    assert bond["channel_name"] == "专项债" and bond["year"] == 2026
    assert bond["quota"] == "1000.00"  # the province's own, not 1000 + 600 + 400
    assert (bond["allocated"], bond["issued"], bond["used"]) == ("600.00", "440.00", "200.00")
    assert bond["capital"] == "50.00" and bond["projects"] == 3
    assert bond["deadline"] == "2026-09-30"
    assert bond["issuance_progress"] == "0.4400"  # 440 ÷ 1000
    assert bond["use_progress"] == "0.4545"  # 200 ÷ 440
    assert bond["behind_deadline"] is True  # 30 September passed with 44 % issued
    treasury = body["by_channel"]["treasury_bond"]
    assert treasury["quota"] is None and treasury["issuance_progress"] is None
    assert treasury["use_progress"] == "0.2500" and treasury["behind_deadline"] is False

    reits = {row["stage"]: row for row in body["reits"]}
    assert [row["stage"] for row in body["reits"]][:2] == ["reserve", "local_submission"]
    assert reits["reserve"] == {"stage": "reserve", "label": "储备", "count": 1}
    assert reits["local_submission"]["count"] == 1 and reits["listed"]["count"] == 0
    assert body["financing"] == {
        "needs": 2,
        "total": "40010.00",
        "matched": "40000.00",
        "credit_granted": "30000.00",
        "disbursed": "0.00",
    }


def test_a_city_summary_uses_its_own_quota(people, api, dataset):
    for person, params in (("province_office", {"region": "320200"}), ("city_office", {})):
        body = summary(api.as_user(people[person]), year=2026, **params)

        bond = body["by_channel"]["special_bond"]
        assert bond["quota"] == "600.00"
        assert (bond["allocated"], bond["issued"], bond["used"]) == ("500.00", "400.00", "200.00")
        assert bond["issuance_progress"] == "0.6667" and bond["use_progress"] == "0.5000"
        assert bond["deadline"] is None and bond["behind_deadline"] is False
        assert body["financing"]["needs"] == 1 and body["financing"]["total"] == "40000.00"
        assert {row["stage"]: row["count"] for row in body["reits"]}["local_submission"] == 1


def test_summary_by_county_channel_and_year(people, api, dataset):
    client = api.as_user(people["province_office"])

    jiangyin = summary(client, year=2026, region="320281")["by_channel"]
    assert list(jiangyin) == ["special_bond"]
    assert jiangyin["special_bond"]["quota"] is None  # no quota of its own nor below
    assert jiangyin["special_bond"]["issued"] == "200.00"

    treasury = summary(client, year=2026, channel="treasury_bond")
    assert [row["channel"] for row in treasury["channels"]] == ["treasury_bond"]

    last_year = summary(client, year=2025)["by_channel"]
    assert last_year["special_bond"]["issued"] == "999.00"
    assert last_year["special_bond"]["quota"] is None


def test_summary_needs_a_year_and_a_region_in_scope(people, api, dataset):
    client = api.as_user(people["city_office"])

    body = assert_error(client.get(SUMMARY), 400, "validation_error", field="year")
    assert has_chinese(body["errors"]["year"][0])
    assert_error(client.get(SUMMARY, {"year": "x"}), 400, "validation_error", field="year")
    assert_error(
        client.get(SUMMARY, {"year": 2026, "region": "329999"}), 400, "validation_error", "region"
    )
    assert_error(
        client.get(SUMMARY, {"year": 2026, "channel": "gold"}), 400, "validation_error", "channel"
    )
    # another city: not found
    assert_error(client.get(SUMMARY, {"year": 2026, "region": "321300"}), 404, "not_found")


def test_summary_of_another_city_shows_nothing_of_wuxi(api, dataset, suqian_office):
    body = summary(api.as_user(suqian_office), year=2026)

    bond = body["by_channel"]["special_bond"]
    assert bond["quota"] == "400.00" and bond["issued"] == "40.00"
    assert "treasury_bond" not in body["by_channel"]
    assert body["financing"]["needs"] == 1 and body["financing"]["total"] == "10.00"


# --- REITs ---------------------------------------------------------------------------------------


def test_reits_advance_in_order_with_history(people, library, api):
    client = api.as_user(people["county_office"])

    created = client.post(
        REITS,
        {"project": library["jiangyin_other"].pk, "date": "2026-03-01", "asset": "江阴物流园"},
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["stage"] == "reserve" and body["stage_display"] == "储备"
    assert body["reserve_on"] == "2026-03-01" and body["events"] == []
    reits = ReitsProject.objects.get(pk=body["id"])

    skipped = client.post(
        url(REITS, reits, "advance"), {"stage": "provincial_review", "date": "2026-04-01"}
    )

    refused = assert_error(skipped, 400, "illegal_stage", field="stage")
    assert "地方申报" in refused["message"]
    reits.refresh_from_db()
    assert reits.stage == "reserve" and not ReitsEvent.objects.exists()

    for stage, date in (("local_submission", "2026-04-01"), ("provincial_review", "2026-05-01")):
        response = client.post(
            url(REITS, reits, "advance"), {"stage": stage, "date": date, "comment": "按期推进"}
        )
        assert response.status_code == 200, response.content

    body = response.json()
    assert body["stage"] == "provincial_review" and body["provincial_review_on"] == "2026-05-01"
    assert [(e["from_stage"], e["to_stage"]) for e in body["events"]] == [
        ("reserve", "local_submission"),
        ("local_submission", "provincial_review"),
    ]
    assert body["events"][0]["actor_name"] == str(people["county_office"])
    back = client.post(url(REITS, reits, "advance"), {"stage": "reserve", "date": "2026-06-01"})
    assert_error(back, 400, "illegal_stage", field="stage")
    assert client.get(url(REITS, reits)).json()["stage"] == "provincial_review"


# --- financing needs and matches ---------------------------------------------------------------


def test_a_need_is_pushed_and_its_match_moves_only_forward(people, library, api):
    client = api.as_user(people["county_office"])
    created = client.post(
        NEEDS, {"project": library["jiangyin_other"].pk, "kind": "loan", "amount": "40000"}
    )
    assert created.status_code == 201, created.content
    need = created.json()
    assert need["kind_display"] == "固定资产贷款" and need["matches"] == []

    first, second = banks(2)
    pushed = client.post(f"{NEEDS}{need['id']}/push/", {"institutions": [first.pk, second.pk]})

    assert pushed.status_code == 200, pushed.content
    matches = pushed.json()["matches"]
    assert {row["institution_name"] for row in matches} == {first.name, second.name}
    assert {row["state"] for row in matches} == {"pushed"}
    match = FinancingMatch.objects.get(institution=first)

    granted = client.post(
        url(MATCHES, match, "update-state"), {"state": "credit_granted", "credit_amount": "30000"}
    )

    assert granted.status_code == 200, granted.content
    body = granted.json()
    assert body["state"] == "credit_granted" and body["state_display"] == "已授信"
    assert body["credit_amount"] == "30000.00" and body["project_name"] == "江阴其他企业项目"

    back = client.post(url(MATCHES, match, "update-state"), {"state": "in_talks"})

    refused = assert_error(back, 400, "state_backward", field="state")
    assert has_chinese(refused["message"])
    match.refresh_from_db()
    assert match.state == "credit_granted" and match.credit_amount == 30000
    too_much = client.post(
        url(MATCHES, match, "update-state"), {"state": "disbursed", "disbursed_amount": "40000"}
    )
    assert_error(too_much, 400, "disbursed_above_credit", field="disbursed_amount")
    assert FinancingMatch.objects.get(pk=match.pk).state == "credit_granted"


def test_a_need_must_have_an_amount(people, library, api):
    response = api.as_user(people["county_office"]).post(
        NEEDS, {"project": library["jiangyin_other"].pk, "kind": "loan", "amount": "0"}
    )
    assert_error(response, 400, "invalid_amount", field="amount")


# --- filters -----------------------------------------------------------------------------------


def test_filters(people, library, api, dataset):
    client = api.as_user(people["province_office"])

    def projects(base=RECORDS, **params):
        response = client.get(base, params)
        assert response.status_code == 200, response.content
        return sorted(row["project_name"] for row in response.json()["results"])

    assert projects(region="320200") == ["宜兴项目", "宜兴项目", "江阴其他企业项目"]
    assert projects(region="320282", channel="special_bond") == ["宜兴项目"]
    assert projects(year=2025) == ["沭阳项目"]
    assert projects(channel="treasury_bond") == ["宜兴项目"]
    assert projects(project=library["shuyang"].pk, year=2026) == ["沭阳项目"]
    assert projects(REITS, region="321300") == ["沭阳项目"]
    assert projects(REITS, stage="local_submission") == ["宜兴项目"]
    assert projects(NEEDS, region="320281") == ["江阴其他企业项目"]
    assert projects(MATCHES, region="320281", state="credit_granted") == ["江阴其他企业项目"]
    assert projects(MATCHES, project=library["shuyang"].pk) == []

    quotas = client.get(QUOTAS, {"region": "320200", "year": 2026}).json()["results"]
    assert [row["region"] for row in quotas] == ["320200"]
    everything = client.get(QUOTAS, {"channel": "special_bond"}).json()["results"]
    assert {row["region"] for row in everything} == {"320000", "320200", "321300"}

    unknown = client.get(RECORDS, {"region": "329999"})
    assert_error(unknown, 400, "validation_error", field="region")


# --- scope and permissions -----------------------------------------------------------------------


@pytest.fixture
def jiangyin(people, library):
    """One of each in 江阴."""
    by = people["province_office"]
    project = library["jiangyin_other"]
    reits = services.reits_add(by=by, project=project, date=D(2026, 3, 1))
    need = services.need_create(by=by, project=project, kind="loan", amount=Decimal("100"))
    (match,) = services.need_push(need=need, by=by, institutions=banks(1))
    return {
        RECORDS: record(people, project, allocated=100, issued=50),
        QUOTAS: quota(people, "320281", "500"),
        REITS: reits,
        NEEDS: need,
        MATCHES: match,
    }


WRITES = [
    (RECORDS, "patch", "", {"used": "1"}),
    (QUOTAS, "patch", "", {"amount": "1"}),
    (REITS, "post", "advance", {"stage": "local_submission", "date": "2026-04-01"}),
    (NEEDS, "post", "push", {"institutions": []}),
    (MATCHES, "post", "update-state", {"state": "in_talks"}),
]


@pytest.mark.parametrize("person", ["county_filer2", "suqian_office"])
def test_another_region_gets_404_and_sees_nothing(people, api, jiangyin, suqian_office, person):
    client = api.as_user(suqian_office if person == "suqian_office" else people[person])

    for base, obj in jiangyin.items():
        assert obj.pk not in ids(client.get(base)), base
        assert_error(client.get(url(base, obj)), 404, "not_found")
    for base, method, action, body in WRITES:
        response = getattr(client, method)(url(base, jiangyin[base], action), body)
        assert_error(response, 404, "not_found")
    assert FundingRecord.objects.get().used == 0 and Quota.objects.get().amount == 500


def test_a_liaison_reads_the_money_of_the_projects_its_unit_works_on_only(
    people, library, api, jiangyin
):
    """省自然资源厅 handles 宜兴项目 (its responsible unit) and nothing in 江阴: the 江阴
    project is not found, and neither is any of its money, in a list, a detail or the summary."""
    liaison, by = people["liaison"], people["province_office"]
    worked_on = library["yixing"]
    Project.objects.filter(pk=worked_on.pk).update(responsible_unit=liaison.unit)
    need = services.need_create(by=by, project=worked_on, kind="capital", amount=Decimal("30"))
    (match,) = services.need_push(need=need, by=by, institutions=banks(2)[1:])
    own = {
        RECORDS: record(people, worked_on, allocated=20, issued=10),
        REITS: services.reits_add(by=by, project=worked_on, date=D(2026, 3, 1)),
        NEEDS: need,
        MATCHES: match,
    }
    client = api.as_user(liaison)
    assert client.get(f"/api/v1/projects/{worked_on.pk}/").status_code == 200
    assert_error(client.get(f"/api/v1/projects/{library['jiangyin_other'].pk}/"), 404, "not_found")

    for base, obj in own.items():
        assert ids(client.get(base)) == {obj.pk}, base
        assert client.get(url(base, obj)).status_code == 200, base
    for base in own:
        assert_error(client.get(url(base, jiangyin[base])), 404, "not_found")
    for base, method, action, body in WRITES:
        if base in own:
            response = getattr(client, method)(url(base, jiangyin[base], action), body)
            assert_error(response, 404, "not_found")

    figures = summary(client, year=2026)
    (special_bond,) = figures["channels"]
    assert special_bond["projects"] == 1 and Decimal(special_bond["allocated"]) == 20
    assert sum(row["count"] for row in figures["reits"]) == 1
    assert figures["financing"]["needs"] == 1 and Decimal(figures["financing"]["total"]) == 30


def test_readers_get_403_on_writes(people, library, api, jiangyin):
    client = api.as_user(people["county_filer"])
    for base, obj in jiangyin.items():  # in scope: they read
        assert obj.pk in ids(client.get(base))
        assert client.get(url(base, obj)).status_code == 200

    for base, method, action, body in WRITES:
        response = getattr(client, method)(url(base, jiangyin[base], action), body)
        assert_error(response, 403, "permission_denied")
    project = library["jiangyin_enterprise_1"].pk
    creations = [
        (RECORDS, {"project": project, "channel": "special_bond", "year": 2026}),
        (QUOTAS, {"channel": "special_bond", "year": 2027, "region": "320281", "amount": "1"}),
        (REITS, {"project": project, "date": "2026-03-01"}),
        (NEEDS, {"project": project, "kind": "loan", "amount": "1"}),
    ]
    for base, body in creations:
        assert_error(client.post(base, body), 403, "permission_denied")

    assert FundingRecord.objects.count() == 1 and FundingRecord.objects.get().used == 0
    assert Quota.objects.count() == 1 and ReitsProject.objects.get().stage == "reserve"
    assert FinancingMatch.objects.get().state == "pushed"


def test_nobody_sees_nothing(people, api, jiangyin):
    client = api.as_user(people["nobody"])
    for base in jiangyin:
        assert ids(client.get(base)) == set()


# --- cost --------------------------------------------------------------------------------------


def count_queries(client, base: str, size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(base, {"page_size": size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == size
    return len(queries)


def test_list_query_counts_do_not_grow_with_rows(people, api):
    by = people["province_office"]
    institutions = banks(2)
    for number in range(8):
        project = factories.project("320281" if number % 2 else "320282", by=by)
        record(people, project, allocated=10, issued=5)
        reits = services.reits_add(by=by, project=project, date=D(2026, 3, 1))
        services.reits_advance(reits=reits, by=by, stage="local_submission", date=D(2026, 4, 1))
        need = services.need_create(by=by, project=project, kind="loan", amount=Decimal("10"))
        services.need_push(need=need, by=by, institutions=institutions)
    # each split within its parent's quota
    amounts = {"320000": "2000", "320281": "100", "320282": "100"}
    for code in ("320000", "320200", "320281", "320282", "321300", "320100", "320500", "320600"):
        quota(people, code, amounts.get(code, "300"))
    client = api.as_user(people["province_office"])

    for base in (RECORDS, QUOTAS, REITS, NEEDS, MATCHES):
        assert count_queries(client, base, 2) == count_queries(client, base, 8), base
