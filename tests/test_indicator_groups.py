"""Indicators by project group and with stated definitions (SPEC §9, seeds 002 and 004).

A small hand-made library in 无锡 (2026): which projects each shipped group finds by its rule,
figures and targets read and set per group beside the region's own, an office's own group
(projects added by code, all or nothing; invisible to another city), cohort or stock chosen
by an office for the rates the seeds leave open (the choice holds below it), 签约率 over seed
004's signing target, and the definition of every figure on the page and in the API.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import FundingChannel, FundingRecord
from indicators.models import Basis, IndicatorBasis, ProjectGroup, Target
from indicators.selectors import indicators, indicators_by_region, projects_behind
from projects.models import Category, Stage, Tier

from . import factories
from .conftest import clock_at

D = datetime.date
INDICATORS = "/api/v1/indicators/"
TARGETS = "/api/v1/targets/"
GROUPS = "/api/v1/indicator-groups/"


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(D(2026, 11, 23)):
        yield


def group(code: str) -> ProjectGroup:
    return ProjectGroup.objects.get(code=code)


@pytest.fixture
def library(people):
    """无锡, 2026. Planned to start this year: 省重大 S1 (started) and S2 (not); 产业 I1
    (started); 政府投资 G1 (central budget, started) and B1 (a bank loan only, not started);
    两重 T1 (flagged, not started). Older stock in 江阴: O1 and O2 filed in 2025, both started."""
    by = people["province_office"]
    made = {}

    def add(name, region="320281", **fields):
        values = {"category": Category.INFRASTRUCTURE, "tier": Tier.CITY, "name": name}
        values.update(fields)
        made[name] = factories.project(region, by=by, **values)

    started = {"stage": Stage.STARTED, "started_on": D(2026, 5, 1)}
    add("S1", tier=Tier.PROVINCIAL_IMPLEMENTATION, planned_start=D(2026, 4, 1), **started)
    add("S2", tier=Tier.PROVINCIAL_IMPLEMENTATION, planned_start=D(2026, 5, 1))
    add("I1", "320282", category=Category.INDUSTRIAL, planned_start=D(2026, 3, 1), **started)
    add("G1", planned_start=D(2026, 3, 1), **started)
    add("B1", planned_start=D(2026, 6, 1))
    add("T1", "320282", two_major=True, planned_start=D(2026, 7, 1))
    for name in ("O1", "O2"):
        add(
            name,
            stage=Stage.STARTED,
            signed_on=D(2025, 1, 5),
            filed_on=D(2025, 2, 1),
            started_on=D(2025, 9, 1),
            planned_start=D(2025, 9, 1),
        )
    # this year's cohort in 江阴: filed, one of two started
    add("C1", stage=Stage.FILED, filed_on=D(2026, 2, 1), planned_start=D(2027, 3, 1))
    add(
        "C2",
        stage=Stage.STARTED,
        filed_on=D(2026, 2, 1),
        started_on=D(2026, 6, 1),
        planned_start=D(2027, 3, 1),
    )
    central = FundingChannel.objects.get(code="central_budget")
    bank = FundingChannel.objects.get(code="bank")
    FundingRecord.objects.create(project=made["G1"], channel=central, year=2026, allocated=500)
    FundingRecord.objects.create(project=made["B1"], channel=bank, year=2026, allocated=900)
    return made


def figure(figures, code):
    return next(f for f in figures if f.indicator == code)


def wuxi():
    from accounts.models import Region

    return Region.objects.get(code="320200")


def names(rows) -> set[str]:
    return set(rows.values_list("name", flat=True))


# --- the shipped groups ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "members"),
    [
        ("provincial_implementation", {"S1", "S2"}),
        ("industrial", {"I1"}),
        ("government", {"G1"}),  # a bank loan is no government investment
        ("two_major", {"T1"}),
    ],
)
def test_each_shipped_group_finds_its_projects_by_rule(library, code, members):
    rate = figure(indicators(wuxi(), 2026, group=group(code)), "new_start_rate")
    behind = projects_behind("new_start_rate", wuxi(), 2026, group=group(code))
    assert names(behind) == members
    assert rate.denominator == len(members)
    assert rate.group == group(code)


def test_figures_and_targets_per_group_beside_the_regions_own(library, people):
    province = group("provincial_implementation")
    Target.objects.create(
        region_id="320200", group=province, year=2026, indicator="new_start_rate", value=85
    )
    Target.objects.create(region_id="320200", year=2026, indicator="new_start_rate", value=40)

    everything = figure(indicators(wuxi(), 2026), "new_start_rate")
    provincial = figure(indicators(wuxi(), 2026, group=province), "new_start_rate")

    # all: S1 I1 G1 started of S1 S2 I1 G1 B1 T1; 省重大: S1 of S1 S2
    assert (everything.numerator, everything.denominator, everything.target) == (3, 6, 40)
    assert everything.lagging is False
    assert (provincial.numerator, provincial.denominator) == (1, 2)
    assert provincial.target == 85 and provincial.lagging is True
    # the regions below, against their own targets for the group (none here)
    rows = dict(indicators_by_region(wuxi(), 2026, group=province))
    jiangyin = figure(rows[next(r for r in rows if r.code == "320281")], "new_start_rate")
    assert (jiangyin.numerator, jiangyin.denominator, jiangyin.target) == (1, 2, None)


def test_a_group_target_is_set_through_the_api_and_a_second_one_refused(library, people, api):
    client = api.as_user(people["city_office"])
    asked = {
        "region": "320200",
        "group": "industrial",
        "year": 2026,
        "indicator": "new_start_rate",
        "sub_period": "H1",
        "value": "75",
    }
    first = client.post(TARGETS, asked, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["group"] == "industrial"
    # the region's own target for the same indicator is another target
    own = client.post(TARGETS, {**asked, "group": None}, format="json")
    assert own.status_code == 201, own.content

    again = client.post(TARGETS, {**asked, "value": "80"}, format="json")
    assert again.status_code == 400
    assert "已有目标" in str(again.json())
    assert Target.objects.filter(region_id="320200", group__code="industrial").count() == 1

    figures = client.get(INDICATORS, {"region": "320200", "group": "industrial", "period": "H1"})
    assert figures.status_code == 200
    rate = next(f for f in figures.json() if f["indicator"] == "new_start_rate")
    assert rate["group"] == "industrial" and rate["target"] == "75.00"
    assert (rate["numerator"], rate["denominator"]) == ("1", "1")


# --- an office's own group --------------------------------------------------------------------


@pytest.fixture
def suqian_office():
    return factories.user("suqian_office", "321300", ["office_staff"], factories.office("321300"))


def test_an_office_defines_a_group_and_adds_projects_all_or_nothing(
    library, people, client, suqian_office
):
    client.force_login(people["city_office"])
    made = client.post(reverse("indicators:groups"), {"name": "锡澄产业带"})
    own = ProjectGroup.objects.get(name="锡澄产业带")
    assert made.status_code == 302 and own.region_id == "320200"
    page = reverse("indicators:group", args=[own.code])

    codes = [str(library["S1"].pk), str(library["I1"].pk)]  # 平台编号
    outside = factories.project("321302", by=people["province_office"], name="宿迁项目")
    refused = client.post(page, {"codes": f"{codes[0]} {outside.pk} 不是编号"}, follow=True)
    assert f"不在本分组所属地区或您的管辖范围内：{outside.pk}、不是编号" in refused.content.decode()
    assert own.projects.count() == 0  # all or nothing

    client.post(page, {"codes": " ".join(codes)})
    assert set(own.projects.values_list("name", flat=True)) == {"S1", "I1"}
    rate = figure(indicators(wuxi(), 2026, group=own), "new_start_rate")
    assert (rate.numerator, rate.denominator) == (2, 2)
    assert "S1" in client.get(page).content.decode()

    assert client.post(page, {"remove": "abc"}).status_code == 302  # not a project: nothing
    client.post(page, {"remove": library["S1"].pk})
    assert set(own.projects.values_list("name", flat=True)) == {"I1"}
    assert own.history.count() >= 1

    # another city's office: not found on the page, the dashboard and the API
    client.force_login(suqian_office)
    assert client.get(page).status_code == 404
    assert client.get(reverse("indicators:dashboard"), {"group": own.code}).status_code == 404
    assert own.code not in client.get(reverse("indicators:groups")).content.decode()


def test_another_region_cannot_ask_for_its_group_through_the_api(
    library, people, api, suqian_office
):
    own = ProjectGroup.objects.create(
        code="wx-own", name="无锡自定", rule="members", region_id="320200"
    )
    suqian = api.as_user(suqian_office)
    assert suqian.get(INDICATORS, {"region": "321300", "group": own.code}).status_code == 404
    assert own.code not in {g["code"] for g in suqian.get(GROUPS).json()}
    wuxi_client = api.as_user(people["city_office"])
    assert own.code in {g["code"] for g in wuxi_client.get(GROUPS).json()}
    assert wuxi_client.get(INDICATORS, {"group": own.code}).status_code == 200


def test_shipped_groups_cannot_be_changed_by_hand(library, people, client):
    client.force_login(people["province_office"])
    page = reverse("indicators:group", args=["industrial"])
    response = client.post(page, {"codes": str(library["S1"].pk)}, follow=True)
    assert "平台预置分组按规则归集" in response.content.decode()
    assert group("industrial").projects.count() == 0


def test_a_county_filer_cannot_create_a_group(library, people, client):
    client.force_login(people["county_filer"])
    response = client.post(reverse("indicators:groups"), {"name": "私设分组"}, follow=True)
    assert "只有重大办工作人员可以建立项目分组" in response.content.decode()
    assert not ProjectGroup.objects.filter(name="私设分组").exists()


# --- cohort or stock --------------------------------------------------------------------------


def test_cohort_or_stock_chosen_by_the_office_holds_below_it(library, people, client):
    from accounts.models import Region

    jiangyin = Region.objects.get(code="320281")
    cohort = figure(indicators(jiangyin, 2026), "wx_start")
    # filed this year: C1 C2; started: C2
    assert (cohort.numerator, cohort.denominator, cohort.value) == (1, 2, Decimal("50.00"))
    assert cohort.basis == Basis.COHORT
    assert "当年批次" in str(cohort.definition["denominator"])

    client.force_login(people["city_office"])
    response = client.post(
        reverse("indicators:basis"),
        {"region": "320200", "indicator": "wx_start", "basis": "stock"},
    )
    assert response.status_code == 302

    stock = figure(indicators(jiangyin, 2026), "wx_start")
    # every project filed by the end: O1 O2 C1 C2; started: O1 O2 C2
    assert (stock.numerator, stock.denominator, stock.value) == (3, 4, Decimal("75.00"))
    assert stock.basis == Basis.STOCK
    assert "存量" in str(stock.definition["denominator"])
    behind = projects_behind("wx_start", jiangyin, 2026)
    assert names(behind) == {"O1", "O2", "C1", "C2"}

    # the county chooses otherwise for itself; the city keeps the stock
    IndicatorBasis.objects.create(region_id="320281", indicator="wx_start", basis="cohort")
    assert figure(indicators(jiangyin, 2026), "wx_start").denominator == 2
    assert figure(indicators(wuxi(), 2026), "wx_start").basis == Basis.STOCK


def test_a_basis_is_refused_where_the_seeds_fix_it_or_the_user_may_not(library, people, client):
    client.force_login(people["city_office"])
    fixed = client.post(
        reverse("indicators:basis"),
        {"region": "320200", "indicator": "ha_start", "basis": "stock"},
        follow=True,
    )
    assert "由文件规定" in fixed.content.decode()
    client.force_login(people["county_office"])
    above = client.post(
        reverse("indicators:basis"),
        {"region": "320200", "indicator": "wx_start", "basis": "stock"},
    )
    assert above.status_code == 404  # the city is outside a county's scope
    client.force_login(people["county_filer"])
    filer = client.post(
        reverse("indicators:basis"),
        {"region": "320281", "indicator": "wx_start", "basis": "stock"},
        follow=True,
    )
    assert "只能设定本地区及下级地区的统计口径" in filer.content.decode()
    assert not IndicatorBasis.objects.exists()
    assert client.get(reverse("indicators:basis")).status_code == 404


# --- seed 004's 签约率 --------------------------------------------------------------------------


def test_signing_rate_is_the_signings_of_100m_or_more_over_the_target(people):
    by = people["province_office"]
    for name, investment, started in (
        ("大项目甲", 50000, True),
        ("大项目乙", 10000, False),
        ("小项目", 9999, True),  # under 1亿元: not counted
    ):
        factories.project(
            "320803",
            by=by,
            name=name,
            category=Category.INDUSTRIAL,
            total_investment=Decimal(investment),
            stage=Stage.STARTED if started else Stage.SIGNED,
            signed_on=D(2026, 3, 1),
            started_on=D(2026, 6, 1) if started else None,
        )
    from accounts.models import Region

    huaian = Region.objects.get(code="320800")
    before = figure(indicators(huaian, 2026), "ha_signing")
    assert (before.numerator, before.denominator, before.value) == (2, None, None)
    Target.objects.create(region=huaian, year=2026, indicator="ha_signed", value=8)
    Target.objects.create(region=huaian, year=2026, indicator="ha_signing", value=100)

    figures = indicators(huaian, 2026)
    signing = figure(figures, "ha_signing")
    assert (signing.numerator, signing.denominator, signing.value) == (2, 8, Decimal("25.00"))
    assert signing.denominator_is_target and signing.lagging
    assert figure(figures, "ha_signed").value == 2
    # 当年签约项目开工: every industrial project signed this year, as seed 004 counts it
    assert figure(figures, "ha_signed_started").value == 2
    start = figure(figures, "ha_start")
    assert (start.numerator, start.denominator) == (2, 3)
    assert start.definition["basis_open"] is False


# --- definitions on the page and in the API ---------------------------------------------------


def test_every_figure_states_its_definition_in_the_api(library, people, api):
    found = api.as_user(people["city_office"]).get(INDICATORS, {"region": "320200"}).json()
    for row in found:
        definition = row["definition"]
        assert definition["numerator"] and definition["projects"] and definition["window"]
    by_code = {row["indicator"]: row for row in found}
    assert by_code["wx_start"]["definition"]["basis"] == "cohort"
    assert by_code["wx_start"]["definition"]["basis_open"] is True
    assert by_code["ha_start"]["definition"]["basis_open"] is False
    assert by_code["ha_signing"]["denominator_is_target"] is True
    assert "目标" in by_code["ha_signing"]["definition"]["denominator"]
    assert "1亿元" in by_code["ha_signing"]["definition"]["projects"]


def test_the_page_writes_every_definition_and_lets_the_office_choose(library, people, client):
    client.force_login(people["city_office"])
    html = client.get(reverse("indicators:dashboard")).content.decode()
    assert 'id="definitions"' in html
    assert 'id="definition-wx_start"' in html and "时段内备案（赋码）的项目数（当年批次）" in html
    assert 'name="basis"' in html and "（文件规定）" in html
    client.force_login(people["county_filer"])
    html = client.get(reverse("indicators:dashboard")).content.decode()
    assert 'id="definition-wx_start"' in html and 'name="basis"' not in html
