"""The cockpit (驾驶舱) on a small hand-made library in 无锡 (江阴, 宜兴) and 宿迁 (沭阳): each
figure is what the rules say, each drill-down lists exactly what the figure counts, the region
picker goes down but never up, and every role lands where its work starts.

Pinned to Monday 7 December 2026 (the window: January to December 2026).
"""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import Approval, ApprovalKind
from cockpit import selectors
from indicators.models import Indicator, Target
from issues.models import Status
from progress.models import MonthlyReport, ReportStatus
from projects.models import Admission, Project, Stage

from . import factories
from .test_lights import issue as ticket

TODAY = datetime.date(2026, 12, 7)
D = datetime.date
pytestmark = pytest.mark.clock(TODAY)


LAST_DAY = D(2026, 12, 31)


def issue(project, *, deadline=LAST_DAY, **extra):
    return ticket(project, deadline=deadline, **extra)


@pytest.fixture
def world(people):
    return build_world(people)


def build_world(people):
    by = people["province_office"]

    def project(region, name, **fields):
        return factories.project(region, by=by, name=name, admission=Admission.ADMITTED, **fields)

    filed = dict(stage=Stage.FILED, signed_on=D(2026, 1, 10), filed_on=D(2026, 2, 10))
    started = dict(
        stage=Stage.STARTED,
        signed_on=D(2026, 1, 10),
        filed_on=D(2026, 2, 10),
        started_on=D(2026, 6, 15),
        planned_investment_year=Decimal("1200"),
    )
    projects = {
        "jy_waiting": project("320281", "江阴待开工", **filed),
        "jy_started": project("320281", "江阴已开工", **started),
        "yx_waiting": project("320282", "宜兴待开工", **filed),
        "yx_started_nov": project(
            "320282", "宜兴十一月开工", **{**started, "started_on": D(2026, 11, 20)}
        ),
        "sy_started": project("321322", "沭阳已开工", **started),
    }
    for period, amount in (("2026-10", "600"), ("2026-11", "500")):
        MonthlyReport.objects.create(
            project=projects["jy_started"],
            period=period,
            investment_this_month=Decimal(amount),
            status=ReportStatus.APPROVED,
        )
    MonthlyReport.objects.create(
        project=projects["yx_started_nov"],
        period="2026-11",
        investment_this_month=Decimal("900"),
        status=ReportStatus.APPROVED,
    )
    MonthlyReport.objects.create(
        project=projects["jy_started"],
        period="2025-11",
        investment_this_month=Decimal("300"),
        status=ReportStatus.APPROVED,
    )
    # the library's 本年完成投资 as the monthly review keeps it (the approved months above)
    Project.objects.filter(pk=projects["jy_started"].pk).update(completed_investment_year=1100)
    Project.objects.filter(pk=projects["yx_started_nov"].pk).update(completed_investment_year=900)
    Target.objects.create(
        region_id="320200", year=2026, sub_period="", indicator=Indicator.WX_START, value=70
    )
    Target.objects.create(
        region_id="320281", year=2026, sub_period="", indicator=Indicator.WX_START, value=40
    )
    late = issue(projects["yx_waiting"], deadline=D(2026, 12, 1))
    issue(projects["jy_waiting"])
    issue(
        projects["jy_waiting"],
        status=Status.CLOSED,
        resolved_at=_at(D(2026, 11, 5)),
        closed_at=_at(D(2026, 11, 6)),
    )
    issue(projects["sy_started"], deadline=D(2026, 11, 30))  # 宿迁: outside 无锡
    return {**people, **projects, "late": late}


def _at(day):
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=datetime.UTC)


def test_kpi_lights_are_green_at_target_yellow_within_the_margin_and_red_below(settings):
    settings.COCKPIT_YELLOW_MARGIN = 5
    light = selectors.kpi_light
    assert light(Decimal("70"), Decimal("70")) == "green"
    assert light(Decimal("65"), Decimal("70")) == "yellow"
    assert light(Decimal("64.99"), Decimal("70")) == "red"
    assert light(Decimal("80"), None) == light(None, Decimal("70")) == ""


def test_the_kpis_are_the_indicators_of_the_window_with_the_change_since_last_month(world):
    wuxi = world["city_office"].region
    cards = {
        card.figure.indicator: card
        for card in selectors.kpis(wuxi, selectors.Window(2026, 12), Project.objects.all())
    }
    start = cards[Indicator.WX_START]
    # filed in 2026 in 无锡: four; started by the end of December: two (one in November)
    assert (start.figure.numerator, start.figure.denominator) == (2, 4)
    assert start.figure.value == Decimal("50.00")
    assert (start.figure.target, start.light) == (Decimal("70"), "red")
    assert start.previous == Decimal("50.00")  # to November, the same two had started
    assert start.change == Decimal("0")
    nov = {
        c.figure.indicator: c
        for c in selectors.kpis(wuxi, selectors.Window(2026, 11), Project.objects.all())
    }
    assert nov[Indicator.WX_START].previous == Decimal("25.00")  # to October: one of four
    assert nov[Indicator.WX_START].change == Decimal("25.00")


def test_the_map_colours_each_city_or_county_by_its_own_target(world):
    wuxi = world["city_office"].region
    rows = {
        row.region.code: row
        for row in selectors.by_region(
            wuxi, selectors.Window(2026, 12), Indicator.WX_START, Project.objects.all()
        )
    }
    assert (rows["320281"].value, rows["320281"].target, rows["320281"].light) == (
        Decimal("50.00"),
        Decimal("40"),
        "green",
    )
    assert rows["320282"].value == Decimal("50.00") and rows["320282"].light == ""
    assert rows["320281"].url.startswith(reverse("home") + "?region=320281")


def test_trends_compare_this_year_with_last_year_month_by_month(world):
    wuxi = world["city_office"].region
    money, starts, resolved = selectors.trends(
        wuxi, selectors.Window(2026, 12), Project.objects.all()
    )
    assert money.this_year[9:11] == [Decimal("600"), Decimal("1400")]
    assert money.last_year[10] == Decimal("300")
    assert starts.this_year[5] == 1 and starts.this_year[10] == 1 and sum(starts.this_year) == 2
    assert resolved.this_year[10] == 1 and sum(resolved.last_year) == 0


def test_issue_figures_count_by_region_and_unit_and_drill_down_to_the_same_tickets(world, client):
    office = world["city_office"]
    wuxi = office.region
    figures = selectors.issue_figures(office, wuxi, selectors.Window(2026, 12), TODAY)
    assert (figures.open, figures.overdue) == (2, 1)  # 沭阳's ticket is not 无锡's
    by_code = {row.subject.code: row for row in figures.by_region}
    assert (by_code["320281"].open, by_code["320282"].overdue) == (1, 1)
    client.force_login(office)
    board = client.get(figures.overdue_url)
    shown = set(re.findall(r'href="/issues/(\d+)/"', board.content.decode()))
    assert shown == {str(world["late"].pk)}


def test_approvals_on_time_by_department(world):
    kind = ApprovalKind.objects.get(code="land")
    unit = factories.unit("无锡市自然资源和规划局", "320200", "department")
    # promised by Sunday 10 May: late from Monday the 11th (the first working day after)
    common = dict(
        kind=kind,
        unit=unit,
        authority_level="city",
        promised_days=10,
        promise_due_on=D(2026, 5, 10),
        promise_late_on=D(2026, 5, 11),
    )
    Approval.objects.create(
        status="approved",
        submitted_on=D(2026, 4, 24),
        accepted_on=D(2026, 4, 27),
        decided_on=D(2026, 5, 8),
        project=world["jy_started"],
        **common,
    )
    Approval.objects.create(
        status="approved",
        submitted_on=D(2026, 4, 24),
        accepted_on=D(2026, 4, 27),
        decided_on=D(2026, 5, 20),
        project=world["yx_waiting"],
        **common,
    )
    rows = selectors.approvals_by_department(
        world["city_office"], world["city_office"].region, TODAY
    )
    assert [(r.name, r.decided, r.on_time, r.overdue, r.on_time_rate) for r in rows] == [
        ("无锡市自然资源和规划局", 2, 1, 1, Decimal("50.0"))
    ]


def test_light_counts_drill_down_to_a_list_of_the_same_size(world, client):
    office = world["city_office"]
    light = selectors.light_figures(office.region, Project.objects.for_user(office), TODAY)
    assert light.counts == {"red": 1, "yellow": 0, "green": 3}
    assert [p.name for p in light.worst] == ["宜兴待开工"]
    client.force_login(office)
    page = client.get(light.urls["red"]).content.decode()
    assert "共 1 个项目" in page and "宜兴待开工" in page


def test_the_cockpit_page_shows_the_region_and_goes_down_never_up(world, client):
    client.force_login(world["city_office"])
    page = client.get(reverse("home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "驾驶舱 · 无锡市" in html and 'id="cockpit-map"' in html
    option = json.loads(
        re.search(
            r'<script id="cockpit-map-option" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    names = {item["name"] for item in option["series"][0]["data"]}
    assert {"江阴市", "宜兴市"} <= names
    down = client.get(reverse("home"), {"region": "320281"})
    assert down.status_code == 200 and "驾驶舱 · 江阴市" in down.content.decode()
    assert client.get(reverse("home"), {"region": "320000"}).status_code == 404
    assert client.get(reverse("home"), {"region": "321322"}).status_code == 404


def test_the_cockpit_reads_in_a_pinned_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world["leader"])
    client.get(reverse("home"))  # warm the per-process caches (calendar, content types)
    # +1: the open tickets blocking milestones (the starts they put at risk this quarter)
    with django_assert_max_num_queries(46):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    "person, lands_on",
    [
        ("leader", None),
        ("province_office", None),
        ("city_office", None),
        ("county_filer", "progress:index"),
        ("liaison", "todo:list"),
        ("enterprise", "todo:list"),
    ],
)
def test_each_role_lands_where_its_work_starts(people, client, person, lands_on):
    client.force_login(people[person])
    response = client.get(reverse("home"))
    if lands_on is None:
        assert response.status_code == 200 and "驾驶舱" in response.content.decode()
    else:
        assert response.status_code == 302 and response["Location"] == reverse(lands_on)


def test_a_project_unit_lands_on_its_tasks_and_its_own_projects(people, library, client):
    client.force_login(people["enterprise"])
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "本单位项目" in page and "江阴澄新一期" in page and "江阴澄新二期" in page
    assert "宜兴项目" not in page and "全部 2 个项目" in page
