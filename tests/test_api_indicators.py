"""The indicators API (SPEC §9, §12) on a small hand-made library, the projects behind a figure,
the figures of the regions below, and the targets with who may set them.

Today is pinned to Monday 23 November 2026. In 无锡 (320200):

    A 江阴  signed 02-01  filed 03-01  started 05-01  planned start 2026-05  planned 1000万元
    B 江阴  signed 03-01  filed 04-01                 planned start 2026-12
    C 江阴  signed 04-01  (awaiting pre-review)       planned start 2026-12
    D 宜兴  signed 01-10  filed 01-20  started 02-01  planned start 2026-03  planned 500万元
and outside it E 沭阳 signed 01-05 filed 02-05 started 03-05. A's October form (300万元) is
approved; D's (100万元) only submitted."""

import datetime
from decimal import Decimal

import pytest

from indicators.models import Target
from progress import services as progress
from projects.models import Admission, Stage

from . import factories
from .conftest import clock_at
from .test_api_projects import assert_error, has_chinese

INDICATORS = "/api/v1/indicators/"
PROJECTS = f"{INDICATORS}projects/"
BY_REGION = f"{INDICATORS}by-region/"
TARGETS = "/api/v1/targets/"
TODAY = datetime.date(2026, 11, 23)


def day(month: int, date: int) -> datetime.date:
    return datetime.date(2026, month, date)


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def works(people):
    by = people["province_office"]
    f = factories
    admitted = {"admission": Admission.ADMITTED}
    found = {
        "A": f.project(
            "320281",
            by=by,
            stage=Stage.STARTED,
            signed_on=day(2, 1),
            filed_on=day(3, 1),
            started_on=day(5, 1),
            planned_start=day(5, 1),
            planned_investment_year=Decimal("1000"),
            **admitted,
        ),
        "B": f.project(
            "320281", by=by, stage=Stage.FILED, signed_on=day(3, 1), filed_on=day(4, 1), **admitted
        ),
        "C": f.project("320281", by=by, stage=Stage.SIGNED, signed_on=day(4, 1)),
        "D": f.project(
            "320282",
            by=by,
            stage=Stage.STARTED,
            signed_on=day(1, 10),
            filed_on=day(1, 20),
            started_on=day(2, 1),
            planned_start=day(3, 1),
            planned_investment_year=Decimal("500"),
            **admitted,
        ),
        "E": f.project(
            "321322",
            by=by,
            stage=Stage.STARTED,
            signed_on=day(1, 5),
            filed_on=day(2, 5),
            started_on=day(3, 5),
            planned_start=day(3, 1),
            **admitted,
        ),
    }
    filer = people["county_filer"]
    report, _ = progress.report_save(
        project=found["A"],
        period="2026-10",
        by=filer,
        investment_this_month="300",
        physical_progress="主体施工",
    )
    progress.report_submit(report=report, by=filer)
    progress.report_approve(report=report, by=people["city_office"])
    report, _ = progress.report_save(
        project=found["D"],
        period="2026-10",
        by=people["city_office"],
        investment_this_month="100",
        physical_progress="设备安装",
    )
    progress.report_submit(report=report, by=people["city_office"])
    return found


@pytest.fixture
def targets(people):
    def target(region, indicator, value, sub_period=""):
        return Target.objects.create(
            region_id=region, year=2026, indicator=indicator, value=value, sub_period=sub_period
        )

    return {
        "wuxi_filing": target("320200", "wx_filing", 80),
        "wuxi_new_start": target("320200", "new_start_rate", 40),
        "wuxi_q1_starts": target("320200", "new_starts", 3, "Q1"),
        "jiangyin_filing": target("320281", "wx_filing", 70),
        "province_filing": target("320000", "wx_filing", 85),
        "shuyang_filing": target("321322", "wx_filing", 60),
    }


def figures(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {row["indicator"]: row for row in response.json()}


def fraction(row) -> tuple:
    return row["numerator"], row["denominator"], row["value"]


# --- the figures ------------------------------------------------------------------------------


def test_a_citys_figures_with_their_numerators_denominators_and_targets(
    people, works, targets, api
):
    client = api.as_user(people["city_office"])

    found = figures(client.get(INDICATORS, {"region": "320200", "year": 2026}))

    assert len(found) == 13
    filing = found["wx_filing"]
    assert fraction(filing) == ("3", "4", "75.00")
    assert filing["label"] == "签约项目备案率" and filing["family"] == "wuxi"
    assert filing["target"] == "80.00" and filing["lagging"] is True and filing["gap"] == "-5.00"
    assert filing["unit"] == "%" and filing["region"] == "320200"
    assert fraction(found["wx_start"]) == ("2", "3", "66.67")
    assert found["wx_start"]["target"] is None and found["wx_start"]["lagging"] is False
    # only the approved month counts, over the planned investment of the started projects
    assert fraction(found["wx_investment"]) == ("300.00", "1500.00", "20.00")
    new_start = found["new_start_rate"]
    assert fraction(new_start) == ("2", "4", "50.00")
    assert new_start["target"] == "40.00" and new_start["lagging"] is False
    starts = found["new_starts"]
    assert fraction(starts) == ("2", None, "2.00") and starts["unit"] == "个"
    assert starts["target"] is None  # the Q1 target is not the whole year's
    assert fraction(found["wx_production"]) == ("0", "0", None)


def test_part_of_the_year_counts_from_january(people, works, targets, api):
    client = api.as_user(people["city_office"])

    found = figures(client.get(INDICATORS, {"region": "320200", "year": 2026, "period": "Q1"}))

    assert fraction(found["wx_start"]) == ("1", "2", "50.00")
    assert fraction(found["new_starts"]) == ("1", None, "1.00")
    assert found["new_starts"]["target"] == "3.00" and found["new_starts"]["lagging"] is True
    assert found["wx_filing"]["target"] is None


def test_the_region_defaults_to_the_callers_own(people, works, targets, api):
    county = figures(api.as_user(people["county_filer"]).get(INDICATORS, {"year": 2026}))
    assert fraction(county["wx_filing"]) == ("2", "3", "66.67")
    assert county["wx_filing"]["region"] == "320281" and county["wx_filing"]["target"] == "70.00"

    whole = figures(api.as_user(people["admin"]).get(INDICATORS, {"year": 2026}))
    assert whole["wx_filing"]["region"] == "320000"
    assert fraction(whole["wx_filing"]) == ("4", "5", "80.00")

    this_year = figures(api.as_user(people["city_office"]).get(INDICATORS))
    assert this_year["wx_filing"]["region"] == "320200"
    assert fraction(this_year["wx_filing"]) == ("3", "4", "75.00")


def test_a_region_out_of_scope_is_not_found(people, works, api):
    filer = api.as_user(people["county_filer"])
    assert_error(filer.get(INDICATORS, {"region": "321322"}), 404, "not_found")
    assert_error(filer.get(INDICATORS, {"region": "320200"}), 404, "not_found")  # above
    assert_error(
        filer.get(PROJECTS, {"indicator": "wx_filing", "region": "320200"}), 404, "not_found"
    )
    city = api.as_user(people["city_office"])
    assert_error(city.get(INDICATORS, {"region": "321300"}), 404, "not_found")
    assert_error(city.get(BY_REGION, {"region": "321300"}), 404, "not_found")
    assert_error(api.as_user(people["nobody"]).get(INDICATORS), 404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": "abc"}, "year"),
        ({"year": 1999}, "year"),
        ({"period": "Q5"}, "period"),
        ({"period": "2026-06"}, "period"),
        ({"region": "999999"}, "region"),
    ],
)
def test_a_bad_year_or_period_is_refused_in_chinese(people, works, api, query, field):
    response = api.as_user(people["city_office"]).get(INDICATORS, query)

    body = assert_error(response, 400, "validation_error", field)
    assert all(has_chinese(message) for message in body["errors"][field])


def test_the_figures_follow_the_callers_scope_within_a_region(people, works, api):
    # the 江阴 enterprise's contact sees only its own projects (none of A–C are theirs)
    found = figures(api.as_user(people["enterprise"]).get(INDICATORS, {"year": 2026}))
    assert fraction(found["wx_filing"]) == ("0", "0", None)


def test_figures_cost_a_few_queries(people, works, targets, api, django_assert_max_num_queries):
    client = api.as_user(people["city_office"])
    with django_assert_max_num_queries(10):
        assert client.get(INDICATORS, {"region": "320200"}).status_code == 200


# --- traceability -----------------------------------------------------------------------------


def project_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_projects_behind_a_figure(people, works, api):
    client = api.as_user(people["city_office"])
    a, b, c, d = (works[key].pk for key in "ABCD")
    asked = {"indicator": "wx_filing", "region": "320200", "year": 2026}

    denominator = client.get(PROJECTS, asked)
    assert project_ids(denominator) == {a, b, c, d}
    assert denominator.json()["count"] == 4
    row = next(r for r in denominator.json()["results"] if r["id"] == a)
    assert row["region"] == "320281" and row["region_name"] == "江阴市"
    assert row["stage"] == "started" and row["stage_display"] == "开工"
    assert project_ids(client.get(PROJECTS, {**asked, "part": "numerator"})) == {a, b, d}
    assert project_ids(
        client.get(PROJECTS, {"indicator": "new_starts", "region": "320200", "period": "Q1"})
    ) == {d}
    assert project_ids(
        client.get(PROJECTS, {"indicator": "wx_investment", "region": "320281"})
    ) == {a}


def test_asking_for_projects_needs_a_known_indicator_and_part(people, works, api):
    client = api.as_user(people["city_office"])

    body = assert_error(client.get(PROJECTS), 400, "validation_error", "indicator")
    assert has_chinese(body["errors"]["indicator"][0])
    assert_error(client.get(PROJECTS, {"indicator": "speed"}), 400, "validation_error", "indicator")
    assert_error(
        client.get(PROJECTS, {"indicator": "wx_start", "part": "all"}),
        400,
        "validation_error",
        "part",
    )


def test_a_project_list_costs_the_same_for_many(people, works, api, django_assert_max_num_queries):
    by = people["province_office"]
    for _ in range(5):
        factories.project("320282", by=by, stage=Stage.SIGNED, signed_on=day(6, 1))
    client = api.as_user(people["city_office"])

    with django_assert_max_num_queries(8):  # +1: the office's choice of cohort or stock
        response = client.get(PROJECTS, {"indicator": "wx_filing", "region": "320200"})

    assert response.json()["count"] == 9


def test_the_regions_below_flag_the_lagging_ones(people, works, targets, api):
    client = api.as_user(people["city_office"])

    response = client.get(BY_REGION, {"region": "320200", "year": 2026})

    assert response.status_code == 200, response.content
    rows = {row["region"]: row for row in response.json()}
    assert {"320281", "320282"} <= set(rows) and "321322" not in rows
    jiangyin = {figure["indicator"]: figure for figure in rows["320281"]["figures"]}
    assert fraction(jiangyin["wx_filing"]) == ("2", "3", "66.67")
    assert jiangyin["wx_filing"]["target"] == "70.00"
    assert rows["320281"]["lagging"] == ["wx_filing"]
    assert rows["320281"]["region_name"] == "江阴市"
    yixing = {figure["indicator"]: figure for figure in rows["320282"]["figures"]}
    assert fraction(yixing["wx_filing"]) == ("1", "1", "100.00")
    assert rows["320282"]["lagging"] == []


# --- targets ----------------------------------------------------------------------------------


def target_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_everyone_reads_the_targets_of_their_region_and_those_above(people, targets, api):
    t = {name: target.pk for name, target in targets.items()}

    filer = api.as_user(people["county_filer"])
    assert target_ids(filer.get(TARGETS)) == {
        t["wuxi_filing"],
        t["wuxi_new_start"],
        t["wuxi_q1_starts"],
        t["jiangyin_filing"],
        t["province_filing"],
    }
    assert_error(filer.get(f"{TARGETS}{t['shuyang_filing']}/"), 404, "not_found")
    body = filer.get(f"{TARGETS}{t['wuxi_filing']}/").json()
    assert body["region"] == "320200" and body["region_name"] == "无锡市"
    assert body["indicator_display"] == "签约项目备案率" and body["value"] == "80.00"
    assert body["unit"] == "%" and body["sub_period_display"] == "全年"

    province = api.as_user(people["province_office"])
    assert len(target_ids(province.get(TARGETS))) == 6
    assert target_ids(province.get(TARGETS, {"region": "320200"})) == {
        t["wuxi_filing"],
        t["wuxi_new_start"],
        t["wuxi_q1_starts"],
        t["jiangyin_filing"],
    }
    assert target_ids(province.get(TARGETS, {"indicator": "new_starts"})) == {t["wuxi_q1_starts"]}
    assert target_ids(province.get(TARGETS, {"sub_period": "Q1"})) == {t["wuxi_q1_starts"]}
    assert len(target_ids(province.get(TARGETS, {"sub_period": "year", "year": 2026}))) == 5
    assert target_ids(province.get(TARGETS, {"year": 2025})) == set()


def test_an_office_sets_the_targets_of_its_region_and_below(people, targets, api):
    city = api.as_user(people["city_office"])

    response = city.post(
        TARGETS,
        {
            "region": "320282",
            "year": 2026,
            "indicator": "new_start_rate",
            "value": "75",
            "sub_period": "H1",
            "note": "上半年开工率",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["set_by_name"] == "city_office" and body["sub_period_display"] == "上半年"
    assert body["value"] == "75.00"
    changed = city.patch(f"{TARGETS}{body['id']}/", {"value": "80"})
    assert changed.status_code == 200 and changed.json()["value"] == "80.00"
    own = city.patch(f"{TARGETS}{targets['wuxi_filing'].pk}/", {"value": "82"})
    assert own.status_code == 200, own.content
    deleted = city.delete(f"{TARGETS}{body['id']}/")
    assert deleted.status_code == 204
    assert not Target.objects.filter(pk=body["id"]).exists()


def test_targets_outside_ones_region_are_refused(people, targets, api):
    county = api.as_user(people["county_office"])
    sent = {"year": 2026, "indicator": "wx_start", "value": "60"}

    assert_error(county.post(TARGETS, {**sent, "region": "320200"}), 403, "permission_denied")
    assert_error(county.post(TARGETS, {**sent, "region": "321322"}), 403, "permission_denied")
    # the city's target is visible to the county, not theirs to change
    above = f"{TARGETS}{targets['wuxi_filing'].pk}/"
    assert_error(county.patch(above, {"value": "10"}), 403, "permission_denied")
    assert_error(county.delete(above), 403, "permission_denied")
    # another city's target is not even found
    other = f"{TARGETS}{targets['shuyang_filing'].pk}/"
    assert_error(county.patch(other, {"value": "10"}), 404, "not_found")
    # moving one's own target above one's region is refused too
    own = f"{TARGETS}{targets['jiangyin_filing'].pk}/"
    assert_error(county.patch(own, {"region": "320200"}), 403, "permission_denied")
    assert county.patch(own, {"value": "72"}).status_code == 200
    targets["wuxi_filing"].refresh_from_db()
    assert targets["wuxi_filing"].value == Decimal("80")

    for who in ("county_filer", "leader", "api_client"):
        refused = api.as_user(people[who]).post(TARGETS, {**sent, "region": "320281"})
        assert_error(refused, 403, "permission_denied")

    anywhere = api.as_user(people["admin"]).post(TARGETS, {**sent, "region": "321322"})
    assert anywhere.status_code == 201, anywhere.content


def test_one_target_per_region_year_indicator_and_period(people, targets, api):
    city = api.as_user(people["city_office"])

    clash = city.post(
        TARGETS, {"region": "320200", "year": 2026, "indicator": "wx_filing", "value": "90"}
    )

    body = assert_error(clash, 400, "target_exists", "indicator")
    assert has_chinese(body["message"]) and "无锡市" in body["message"]
    other_period = city.post(
        TARGETS,
        {
            "region": "320200",
            "year": 2026,
            "indicator": "wx_filing",
            "sub_period": "H1",
            "value": "50",
        },
    )
    assert other_period.status_code == 201, other_period.content
    moved = city.patch(f"{TARGETS}{other_period.json()['id']}/", {"sub_period": ""})
    assert_error(moved, 400, "target_exists")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"indicator": "wx_filing", "value": "120"}, "value"),
        ({"indicator": "wx_filing", "value": "-1"}, "value"),
        ({"indicator": "speed", "value": "1"}, "indicator"),
        ({"indicator": "wx_filing", "value": "1", "sub_period": "Q2"}, "sub_period"),
        ({"indicator": "wx_filing", "value": "1", "region": "999999"}, "region"),
    ],
)
def test_bad_targets_are_refused_in_chinese(people, api, values, field):
    sent = {"region": "320200", "year": 2026, **values}

    response = api.as_user(people["city_office"]).post(TARGETS, sent)

    body = assert_error(response, 400, "validation_error", field)
    assert all(has_chinese(message) for message in body["errors"][field])


def test_a_count_target_may_exceed_a_hundred(people, api):
    response = api.as_user(people["city_office"]).post(
        TARGETS, {"region": "320200", "year": 2026, "indicator": "new_starts", "value": "1148"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["unit"] == "个"


def test_the_target_list_costs_the_same_for_many(
    people, targets, api, django_assert_max_num_queries
):
    for year in range(2020, 2026):
        Target.objects.create(region_id="320281", year=year, indicator="wx_start", value=50)
    client = api.as_user(people["county_filer"])

    with django_assert_max_num_queries(7):
        response = client.get(TARGETS)

    assert response.json()["count"] == 11


def test_the_admin_edits_targets_and_records_who_set_them(people, targets, client):
    client.force_login(people["admin"])

    assert client.get("/admin/indicators/target/").status_code == 200
    response = client.post(
        "/admin/indicators/target/add/",
        {
            "region": "320281",
            "year": 2026,
            "indicator": "ha_start",
            "sub_period": "H1",
            "value": "75",
            "note": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    target = Target.objects.get(indicator="ha_start")
    assert target.set_by == people["admin"] and target.value == Decimal("75")
