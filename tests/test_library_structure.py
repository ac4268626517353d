"""The library's structure (issue 22, seed 003): the reserve against the year's investment per
region with its 5× target, and the projects ready to start with no substantial progress for two
months, listed for the office's decision. Pinned to Monday 7 December 2026."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import library
from progress.models import MonthlyReport, ReportStatus
from projects.models import Project, Stage
from schedule.models import Milestone

from . import factories

TODAY = datetime.date(2026, 12, 7)
D = datetime.date
pytestmark = [pytest.mark.django_db, pytest.mark.clock(TODAY)]


@pytest.fixture
def world(people):
    by = people["province_office"]

    def project(region, name, **fields):
        return factories.project(region, by=by, name=name, **fields)

    filed = dict(stage=Stage.FILED, signed_on=D(2026, 3, 1), sub_library="annual")
    return {
        **people,
        # 江阴 (无锡): reserve 600 against 100 planned this year — 6×
        "jy_reserve": project("320281", "江阴储备", sub_library="reserve",
                              total_investment=Decimal(600)),
        "jy_building": project("320281", "江阴在建", sub_library="annual",
                               planned_investment_year=Decimal(100)),
        # 宜兴 (无锡): reserve 150 against 100 — 1.5×
        "yx_reserve": project("320282", "宜兴储备", sub_library="reserve",
                              total_investment=Decimal(150)),
        "yx_key": project("320282", "宜兴重点", sub_library="key",
                          planned_investment_year=Decimal(100)),
        # ready to start since September, nothing since: stalled
        "idle": project("320281", "备案后无进展", filed_on=D(2026, 9, 1), **filed),
        # the same, with investment reported in November: moving
        "invested": project("320281", "备案后有投资", filed_on=D(2026, 9, 1), **filed),
        # the same, with a milestone finished last week: moving
        "milestone": project("320282", "备案后节点完成", filed_on=D(2026, 9, 1), **filed),
        # filed in November: not two months yet
        "recent": project("320281", "刚备案", filed_on=D(2026, 11, 10), **filed),
        # another city
        "suqian_idle": project("321322", "沭阳备案后无进展", filed_on=D(2026, 9, 1), **filed),
    }  # fmt: skip


def test_the_reserve_against_the_years_investment_per_region(world, settings):
    settings.RESERVE_RATIO_TARGET = 5
    wuxi = world["city_office"].region
    rows = {row.region.code: row for row in library.reserve_ratios(Project.objects.all(), wuxi)}
    assert (rows["320200"].reserve_investment, rows["320200"].building_investment) == (750, 200)
    assert rows["320200"].ratio == Decimal("3.75") and rows["320200"].lagging
    assert rows["320281"].ratio == Decimal("6.00") and not rows["320281"].lagging
    assert rows["320282"].ratio == Decimal("1.50") and rows["320282"].lagging
    assert rows["320205"].ratio is None and not rows["320205"].lagging  # nothing to compare


def test_projects_ready_to_start_without_progress_are_listed_for_a_decision(world):
    MonthlyReport.objects.create(
        project=world["invested"], period="2026-11", investment_this_month=Decimal(50),
        status=ReportStatus.APPROVED,
    )  # fmt: skip
    Milestone.objects.create(
        project=world["milestone"], name="施工图审查", duration_days=10,
        actual_start=D(2026, 11, 2), actual_finish=D(2026, 12, 1), status="done",
    )  # fmt: skip
    wuxi = world["city_office"].region
    assert [p.name for p in library.stalled(Project.objects.all(), wuxi, TODAY)] == ["备案后无进展"]


def test_the_page_within_the_scope(client, world):
    client.force_login(world["city_office"])
    html = client.get(reverse("indicators:library")).content.decode()
    assert "3.75" in html and "低于5倍" in html
    stalled = html[html.index('id="stalled"') :]
    assert "备案后无进展" in stalled and "沭阳备案后无进展" not in stalled
    assert "平台不作任何自动处理" in stalled

    client.force_login(world["liaison"])  # sees only its unit's assignments
    assert client.get(reverse("indicators:library")).status_code == 404
