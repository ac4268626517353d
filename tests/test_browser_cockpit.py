"""Each role in Debian's Chromium: where it lands after signing in, the cockpit's map and charts
actually drawn, a drill-down whose list has as many rows as the figure says, and the folded menu
on a 390 px phone. The library is the small hand-made one of tests/test_cockpit.py.

Pinned to Monday 7 December 2026.
"""

import datetime
import re

import pytest
from django.urls import reverse

from .browser import (
    PHONE,
    browser,  # noqa: F401  (the fixture)
    canvas_drawn,
    needs_chromium,
    scroll_width,
    signed_in_page,
)
from .conftest import clock_at
from .test_cockpit import build_world

TODAY = datetime.date(2026, 12, 7)
pytestmark = [needs_chromium]


@pytest.fixture
def world(transactional_db, people):
    # the live server runs in a thread of this process: the pinned day holds there too
    with clock_at(TODAY):
        yield build_world(people)


def test_a_city_office_lands_on_its_cockpit_with_the_map_and_charts_drawn(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["city_office"])
    assert page.url == live_server.url + reverse("home")
    assert page.locator("h1").inner_text() == "驾驶舱 · 无锡市"
    for chart in ("#cockpit-map", "#cockpit-trend-0", "#cockpit-issues"):
        assert canvas_drawn(page, chart), chart
    # the red-light figure and the list it opens have the same count
    card = page.locator('[data-figure="light-red"]')
    figure = int(card.locator(".value").inner_text())
    card.click()
    page.wait_for_load_state()
    assert page.url.startswith(live_server.url + reverse("projects:list"))
    summary = page.locator("p.summary").first.inner_text()
    assert int(re.search(r"共 (\d+) 个项目", summary).group(1)) == figure == 1
    assert page.locator("table.list tbody tr").count() == figure


def test_clicking_a_county_on_the_map_goes_down_to_its_cockpit(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["city_office"])
    assert canvas_drawn(page, "#cockpit-map")
    page.goto(live_server.url + reverse("home") + "?region=320281")
    assert page.locator("h1").inner_text() == "驾驶舱 · 江阴市"
    assert page.locator(".crumbs").inner_text().startswith("无锡市")


@pytest.mark.parametrize(
    "person, lands_on, heading",
    [
        ("leader", "home", "驾驶舱 · 江苏省"),
        ("county_filer", None, "月度"),
        ("liaison", "todo:list", "我的待办"),
        ("enterprise", "todo:list", "我的待办"),
    ],
)
def test_each_role_lands_where_its_work_starts(
    browser,  # noqa: F811
    live_server,
    world,
    person,
    lands_on,
    heading,
):
    page = signed_in_page(browser, live_server, world[person])
    if lands_on:
        assert page.url == live_server.url + reverse(lands_on)
    else:  # the filer's sheet of the month being filed
        assert page.url.startswith(live_server.url + "/progress/")
    assert heading in page.locator("h1").inner_text()


def test_the_menu_folds_on_a_phone_and_the_cockpit_fits_its_width(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["leader"], viewport=PHONE)
    menu = page.locator("details.navmenu")
    assert not menu.evaluate("element => element.open")
    assert not page.get_by_role("link", name="指标", exact=True).is_visible()
    menu.locator("summary").click()
    assert page.get_by_role("link", name="指标", exact=True).is_visible()
    assert scroll_width(page) <= PHONE["width"]
    assert canvas_drawn(page, "#cockpit-map")


def test_the_cockpit_prints_on_a4_without_the_navigation_and_filters(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["leader"])
    assert canvas_drawn(page, "#cockpit-map")
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator(".filters-fold").is_visible()
    assert page.locator("#kpi-title").is_visible() and page.locator("#cockpit-map").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
