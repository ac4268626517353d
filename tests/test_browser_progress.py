"""The county's monthly sheet in a real browser on a phone-sized screen (390×844): the county
filer fills two projects and submits them, the city office approves them.

Drives Debian's Chromium through Playwright against the live test server. Set ``SHOTS_DIR`` to
keep screenshots of the pages at 390 px.
"""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from progress.models import MonthlyReport, ReportStatus
from projects.models import Admission, Stage

from . import factories

# CHROMIUM and PHONE are imported from here by other test modules too
from .browser import (  # noqa: F401
    CHROMIUM,
    PHONE,
    browser,  # the fixture
    needs_chromium,
    phone_page,
    scroll_width,
)
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)
PERIOD = "2026-11"

pytestmark = needs_chromium


@pytest.fixture
def world(transactional_db, people):
    # the live server runs in a thread of this process: the pinned day holds there too
    with clock_at(TODAY):
        yield build_world(people)


def build_world(people):
    by = people["province_office"]
    projects = [
        factories.project(
            "320281",
            by=by,
            name=name,
            stage=Stage.STARTED,
            admission=Admission.ADMITTED,
            started_on=datetime.date(2026, 5, 1),
        )
        for name in ("江阴港区扩建工程", "江阴新材料产业园一期")
    ]
    return {**people, "projects": projects}


def shot(page, name: str) -> None:
    """The whole page as phone-screen-sized slices ``name-1.png``, ``name-2.png`` …"""
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, height, PHONE["height"]), start=1):
        clip = {"x": 0, "y": top, "width": PHONE["width"], "height": PHONE["height"]}
        page.screenshot(path=str(Path(folder) / f"{name}-{number}.png"), full_page=True, clip=clip)


def test_county_files_on_a_phone_and_the_city_approves(
    browser,  # noqa: F811
    live_server,
    world,
):
    first, second = world["projects"]
    sheet = live_server.url + reverse("progress:form", args=["320281", PERIOD])

    page = phone_page(browser, live_server, world["county_filer"])
    page.goto(live_server.url + reverse("progress:index"))
    assert page.url == sheet  # the county filer lands on the county's month
    assert scroll_width(page) <= PHONE["width"]
    # cards: the label sits above its input, which spans the card
    money = page.locator(f"#id_p{first.pk}-investment_this_month")
    label = page.locator(f"label[for='id_p{first.pk}-investment_this_month']")
    assert label.is_visible()
    assert label.bounding_box()["y"] < money.bounding_box()["y"]
    assert money.bounding_box()["width"] > 300 and money.bounding_box()["height"] >= 44
    shot(page, "sheet-390-empty")

    money.fill("120")
    page.fill(f"#id_p{first.pk}-physical_progress", "主体结构施工至三层")
    page.fill(f"#id_p{second.pk}-investment_this_month", "85.5")
    page.fill(f"#id_p{second.pk}-physical_progress", "场地平整完成")
    page.get_by_role("button", name="全部报送").click()
    page.wait_for_load_state()

    assert "已报送2个项目的本月进展" in page.inner_text(".messages")
    for project in (first, second):
        assert "已报送" in page.inner_text(f"#p{project.pk} .progress-badge")
    assert page.locator(f"#id_p{first.pk}-investment_this_month").count() == 0  # read-only
    assert scroll_width(page) <= PHONE["width"]
    shot(page, "sheet-390-submitted")
    page.context.close()

    reports = MonthlyReport.objects.filter(period=PERIOD).order_by("project_id")
    assert [(r.status, r.investment_this_month) for r in reports] == [
        (ReportStatus.SUBMITTED, Decimal("120.00")),
        (ReportStatus.SUBMITTED, Decimal("85.50")),
    ]

    page = phone_page(browser, live_server, world["city_office"])
    page.goto(sheet)
    assert scroll_width(page) <= PHONE["width"]
    shot(page, "sheet-390-review")
    page.get_by_role("button", name="全部审核通过（2 个）").click()
    page.wait_for_load_state()
    assert "已审核通过2份月报。" in page.inner_text(".messages")
    assert scroll_width(page) <= PHONE["width"]
    page.context.close()

    assert set(MonthlyReport.objects.filter(period=PERIOD).values_list("status", flat=True)) == {
        ReportStatus.APPROVED
    }
