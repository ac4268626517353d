"""The indicators of SPEC §9 on a small hand-made dataset: every figure's numerator,
denominator and value for the whole year and for the first half, the per-county breakdown
adding up to the city, targets and lagging flags, the projects behind each figure, the
caller's scope, and a constant number of queries."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Region
from indicators.models import Indicator, Target
from indicators.selectors import indicators, indicators_by_region, projects_behind
from progress.models import MonthlyReport, ReportStatus
from projects.models import Admission, Category, Project, Stage

from . import factories
from .conftest import clock_at

D = datetime.date
IND, INF = Category.INDUSTRIAL, Category.INFRASTRUCTURE

#: name: (county, category, stage, planned start, planned investment this year, stage dates,
#:        approved monthly investment {period: 万元})
DATASET = {
    "P1": ("320281", IND, Stage.STARTED, D(2026, 5, 1), 1000,
           {"signed_on": D(2026, 2, 1), "filed_on": D(2026, 3, 1), "started_on": D(2026, 5, 10)},
           {"2026-05": 100, "2026-06": 200, "2026-07": 300}),
    "P2": ("320281", IND, Stage.FILED, D(2026, 12, 1), 0,
           {"signed_on": D(2026, 3, 15), "filed_on": D(2026, 8, 1)}, {}),
    "P3": ("320281", INF, Stage.SIGNED, D(2026, 9, 1), 0, {"signed_on": D(2026, 1, 20)}, {}),
    "P4": ("320281", IND, Stage.PLANNING, D(2027, 3, 1), 0, {}, {}),
    "P5": ("320281", IND, Stage.PRODUCING, D(2025, 8, 1), 500,
           {"signed_on": D(2025, 5, 1), "filed_on": D(2025, 6, 1), "started_on": D(2025, 9, 1),
            "completed_on": D(2026, 4, 15), "producing_on": D(2026, 7, 1)},
           {"2025-12": 999, "2026-01": 100, "2026-02": 100}),
    "P6": ("320282", IND, Stage.COMPLETED, D(2026, 6, 30), 800,
           {"signed_on": D(2026, 1, 5), "filed_on": D(2026, 2, 5), "started_on": D(2026, 7, 20),
            "completed_on": D(2026, 10, 10)},
           {"2026-07": 400, "2026-08": 400}),
    "P7": ("320282", INF, Stage.STARTED, D(2026, 4, 1), 600,
           {"signed_on": D(2026, 4, 1), "filed_on": D(2026, 4, 20), "started_on": D(2026, 4, 30)},
           {"2026-05": 150}),
    "P8": ("320282", IND, Stage.AT_CAPACITY, D(2024, 2, 15), 0,
           {"signed_on": D(2024, 1, 1), "filed_on": D(2024, 2, 1), "started_on": D(2024, 3, 1),
            "completed_on": D(2025, 6, 1), "producing_on": D(2025, 9, 1),
            "at_capacity_on": D(2026, 3, 1)}, {}),
    "P9": ("320282", IND, Stage.PLANNING, D(2026, 10, 1), 0, {}, {}),
    # refused at pre-review: counted nowhere
    "P10": ("320281", IND, Stage.SIGNED, D(2026, 6, 1), 0, {"signed_on": D(2026, 2, 1)}, {}),
    # another city: outside 无锡
    "P11": ("321322", IND, Stage.STARTED, D(2026, 4, 1), 700,
            {"signed_on": D(2026, 2, 1), "filed_on": D(2026, 3, 1), "started_on": D(2026, 4, 1)},
            {"2026-04": 300}),
}  # fmt: skip

#: indicator: (numerator, denominator, value) for 无锡, 2026, whole year
YEAR = {
    "wx_filing": (4, 5, Decimal("80.00")),  # P1 P2 P6 P7 filed of P1 P2 P3 P6 P7 signed
    "wx_start": (3, 4, Decimal("75.00")),  # P1 P6 P7 started of P1 P2 P6 P7 filed
    "wx_investment": (Decimal(1750), Decimal(2900), Decimal("60.34")),  # P1 P5 P6 P7
    "wx_production": (1, 2, Decimal("50.00")),  # P5 producing of P5 P6 completed
    "wx_capacity": (0, 1, Decimal("0.00")),  # P5 producing this year, not at capacity
    # P1 P2 P6 signed (1亿元 or more); over the target for that count: none set here
    "ha_signing": (3, None, None),
    "ha_signed": (3, None, Decimal(3)),
    "ha_start": (2, 3, Decimal("66.67")),  # P1 P6 of P1 P2 P6
    "ha_signed_started": (2, None, Decimal(2)),
    "ha_production": (1, 2, Decimal("50.00")),
    "ha_capacity": (0, 1, Decimal("0.00")),
    "new_start_rate": (3, 6, Decimal("50.00")),  # P1 P6 P7 of P1 P2 P3 P6 P7 P9
    "new_starts": (3, None, Decimal(3)),  # P1 P6 P7
}
#: the same for the first half (1 January – 30 June): later dates are cut off
H1 = {
    "wx_filing": (3, 5, Decimal("60.00")),  # P2 filed in August
    "wx_start": (2, 3, Decimal("66.67")),  # P1 P7 of P1 P6 P7
    "wx_investment": (Decimal(650), Decimal(2100), Decimal("30.95")),  # P1 P5 P7, to June
    "wx_production": (0, 1, Decimal("0.00")),  # P5 completed in April, producing in July
    "wx_capacity": (0, 0, None),
    "ha_signing": (3, None, None),
    "ha_signed": (3, None, Decimal(3)),
    "ha_start": (1, 3, Decimal("33.33")),
    "ha_signed_started": (1, None, Decimal(1)),
    "ha_production": (0, 1, Decimal("0.00")),
    "ha_capacity": (0, 0, None),
    "new_start_rate": (2, 6, Decimal("33.33")),  # P1 P7
    "new_starts": (2, None, Decimal(2)),
}


@pytest.fixture(autouse=True)
def today():
    with clock_at(D(2026, 11, 23)):
        yield D(2026, 11, 23)


@pytest.fixture
def world(people):
    by = people["province_office"]
    made = {}
    reports = []
    for name, (county, category, stage, planned, plan, dates, months) in DATASET.items():
        project = factories.project(
            county,
            by=by,
            name=name,
            category=category,
            stage=stage,
            admission=Admission.ADMITTED,
            planned_start=planned,
            planned_investment_year=Decimal(plan),
            **dates,
        )
        made[name] = project
        for period, amount in months.items():
            reports.append(
                MonthlyReport(
                    project=project,
                    period=period,
                    investment_this_month=Decimal(amount),
                    physical_progress="施工",
                    status=ReportStatus.APPROVED,
                )
            )
    Project.objects.filter(pk=made["P10"].pk).update(admission=Admission.REJECTED)
    Project.objects.filter(pk=made["P3"].pk).update(admission=Admission.ADMITTED)
    MonthlyReport.objects.bulk_create(reports)
    # forms not approved do not count
    MonthlyReport.objects.create(
        project=made["P1"],
        period="2026-08",
        investment_this_month=Decimal(50),
        physical_progress="施工",
        status=ReportStatus.SUBMITTED,
    )
    MonthlyReport.objects.create(
        project=made["P7"], period="2026-06", investment_this_month=Decimal(70)
    )
    return made


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def table(figures) -> dict:
    return {f.indicator: (f.numerator, f.denominator, f.value) for f in figures}


@pytest.mark.parametrize(("sub_period", "expected"), [("", YEAR), ("H1", H1)])
def test_every_indicator_on_a_hand_made_dataset(world, sub_period, expected):
    figures = indicators(region("320200"), 2026, sub_period)
    assert [f.indicator for f in figures] == list(Indicator.values)
    assert table(figures) == expected
    by_code = {f.indicator: f for f in figures}
    assert by_code["new_starts"].unit == "个" and by_code["wx_start"].unit == "%"
    assert by_code["wx_filing"].label == "签约项目备案率"
    assert {f.family for f in figures} == {"wuxi", "huaian", "new_start"}


def test_a_county_counts_only_its_own_projects(world):
    assert table(indicators(region("320282"), 2026))["wx_filing"] == (2, 2, Decimal("100.00"))
    assert table(indicators(region("320281"), 2026))["wx_investment"] == (
        Decimal(800),
        Decimal(1500),
        Decimal("53.33"),
    )
    # the province sees 沭阳 too
    assert table(indicators(region("320000"), 2026))["new_starts"][0] == 4


def test_the_first_quarter_and_an_earlier_year(world):
    q1 = table(indicators(region("320200"), 2026, "Q1"))
    assert q1["wx_filing"] == (2, 4, Decimal("50.00"))  # P1 P6 filed of P1 P2 P3 P6
    assert q1["new_starts"][0] == 0
    assert q1["wx_investment"] == (Decimal(200), Decimal(500), Decimal("40.00"))  # P5 only
    earlier = table(indicators(region("320200"), 2025))
    assert earlier["wx_production"] == (1, 1, Decimal("100.00"))  # P8 completed and producing


@pytest.mark.parametrize("sub_period", ["", "H1"])
def test_the_breakdown_by_county_adds_up_to_the_city(world, sub_period):
    city = table(indicators(region("320200"), 2026, sub_period))
    rows = indicators_by_region(region("320200"), 2026, sub_period)
    assert [child.code for child, _figures in rows] == [
        "320205",
        "320206",
        "320211",
        "320213",
        "320214",
        "320281",
        "320282",
    ]
    tables = {child.code: table(figures) for child, figures in rows}
    for code, (numerator, denominator, _value) in city.items():
        assert sum(t[code][0] for t in tables.values()) == numerator, code
        if denominator is not None:
            assert sum(t[code][1] for t in tables.values()) == denominator, code
    assert (
        tables["320281"]["wx_filing"]
        == table(indicators(region("320281"), 2026, sub_period))["wx_filing"]
    )
    assert tables["320205"]["wx_filing"] == (0, 0, None)
    for child, figures in rows:
        assert {f.region for f in figures} == {child}


def test_targets_are_attached_and_lagging_flagged(world, people):
    by = people["province_office"]
    for code, indicator, sub_period, value in (
        ("320200", "new_start_rate", "H1", 75),
        ("320200", "new_start_rate", "", 100),
        ("320200", "new_starts", "", 3),
        ("320281", "wx_start", "", 60),
        ("320282", "wx_start", "", 80),
        ("320000", "wx_start", "", 99),  # the province's target is not the city's
    ):
        Target.objects.create(
            region=region(code),
            year=2026,
            indicator=indicator,
            sub_period=sub_period,
            value=Decimal(value),
            set_by=by,
        )
    half = {f.indicator: f for f in indicators(region("320200"), 2026, "H1")}
    assert (half["new_start_rate"].target, half["new_start_rate"].lagging) == (Decimal(75), True)
    assert half["new_start_rate"].gap == Decimal("-41.67")
    assert half["new_starts"].target is None and not half["new_starts"].lagging
    year = {f.indicator: f for f in indicators(region("320200"), 2026)}
    assert (year["new_start_rate"].target, year["new_start_rate"].lagging) == (Decimal(100), True)
    assert (year["new_starts"].target, year["new_starts"].lagging) == (Decimal(3), False)
    assert year["new_starts"].gap == Decimal(0)
    assert year["wx_start"].target is None and year["wx_start"].gap is None
    assert {f.region for f in year.values()} == {region("320200")}

    counties = {
        child.code: {f.indicator: f for f in figures}
        for child, figures in indicators_by_region(region("320200"), 2026)
    }
    jiangyin, yixing = counties["320281"]["wx_start"], counties["320282"]["wx_start"]
    assert (jiangyin.value, jiangyin.target, jiangyin.lagging) == (Decimal(50), Decimal(60), True)
    assert (yixing.value, yixing.target, yixing.lagging) == (Decimal(100), Decimal(80), False)
    assert counties["320205"]["wx_start"].target is None

    # the end of June is the first half: judged against the H1 target, not the year's
    june = {f.indicator: f for f in indicators(region("320200"), 2026, "M06")}
    assert june["new_start_rate"].target == Decimal(75)
    assert june["new_start_rate"].value == half["new_start_rate"].value
    november = {f.indicator: f for f in indicators(region("320200"), 2026, "M11")}
    assert november["new_start_rate"].target is None and not november["new_start_rate"].lagging
    by_county_june = dict(indicators_by_region(region("320200"), 2026, "M12"))
    assert next(
        f for f in by_county_june[region("320281")] if f.indicator == "wx_start"
    ).target == Decimal(60)


@pytest.mark.parametrize("sub_period", ["", "H1"])
def test_the_projects_behind_each_figure_are_exactly_those_counted(world, sub_period):
    city = region("320200")
    for figure in indicators(city, 2026, sub_period):
        denominator = projects_behind(figure.indicator, city, 2026, sub_period)
        numerator = projects_behind(figure.indicator, city, 2026, sub_period, part="numerator")
        if figure.indicator == "wx_investment":
            continue  # money; its projects are checked below
        assert numerator.count() == figure.numerator, figure.indicator
        if figure.denominator is not None:
            assert denominator.count() == figure.denominator, figure.indicator
        assert set(numerator) <= set(denominator)


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def test_projects_behind_by_name(world):
    city = region("320200")
    assert names(projects_behind("new_start_rate", city, 2026)) == {
        "P1",
        "P2",
        "P3",
        "P6",
        "P7",
        "P9",
    }
    assert names(projects_behind("new_start_rate", city, 2026, part="numerator")) == {
        "P1",
        "P6",
        "P7",
    }
    assert names(projects_behind("new_start_rate", city, 2026, "H1", "numerator")) == {"P1", "P7"}
    assert names(projects_behind("wx_investment", city, 2026)) == {"P1", "P5", "P6", "P7"}
    assert names(projects_behind("wx_investment", city, 2026, "H1")) == {"P1", "P5", "P7"}
    # 签约率's denominator is a target: behind both parts, the projects signed
    assert names(projects_behind("ha_signing", city, 2026)) == {"P1", "P2", "P6"}
    assert names(projects_behind("wx_filing", region("320000"), 2026)) == {
        "P1",
        "P2",
        "P3",
        "P6",
        "P7",
        "P11",
    }


def test_the_callers_scope_narrows_every_figure(world, people):
    city = region("320200")
    jiangyin_only = Project.objects.for_user(people["county_filer"])
    scoped = table(indicators(city, 2026, queryset=jiangyin_only))
    assert scoped["wx_filing"] == (2, 3, Decimal("66.67"))  # P1 P2 of P1 P2 P3
    assert scoped["wx_investment"] == (Decimal(800), Decimal(1500), Decimal("53.33"))
    assert scoped["new_starts"][0] == 1
    assert names(projects_behind("wx_filing", city, 2026, queryset=jiangyin_only)) == {
        "P1",
        "P2",
        "P3",
    }
    rows = dict(indicators_by_region(city, 2026, queryset=jiangyin_only))
    assert table(rows[region("320282")])["wx_filing"] == (0, 0, None)
    # a county user asking about another city sees nothing of it
    elsewhere = table(indicators(region("321300"), 2026, queryset=jiangyin_only))
    assert elsewhere["new_starts"] == (0, None, Decimal(0))


def test_a_constant_number_of_queries(world, people, django_assert_max_num_queries):
    city = region("320200")
    scope = Project.objects.for_user(people["city_office"])
    # counts, money (2), targets, the office's choice of cohort or stock
    with django_assert_max_num_queries(5):
        indicators(city, 2026, "H1", queryset=scope)
    with django_assert_max_num_queries(6):
        indicators_by_region(city, 2026, "H1", queryset=scope)
    province = region("320000")
    with django_assert_max_num_queries(6):
        indicators_by_region(province, 2026, queryset=scope)


def test_a_figure_with_nothing_to_divide_is_not_judged_lagging():
    from indicators.selectors import Figure

    empty = Figure("wx_start", "备案项目开工率", "wuxi", 0, 0, None, target=Decimal(60))
    behind = Figure("wx_start", "备案项目开工率", "wuxi", 1, 2, Decimal(50), target=Decimal(60))
    assert not empty.lagging and behind.lagging
