"""Charts on the pages (core/templatetags/charts.py, static/js/charts.js, Apache ECharts served
from static/vendor): what the tag writes, the vendored outlines of Jiangsu and its cities against
our regions, and in Debian's Chromium the funding page's charts and the map of Jiangsu actually
drawn, a click on a bar or a city opening the figure's list.

Today is pinned to Friday 20 March 2026. Set ``SHOTS_DIR`` to keep screenshots of the charts.
"""

import datetime
import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template, TemplateSyntaxError
from django.templatetags.static import static
from django.urls import reverse

from accounts.models import Region

from .browser import (
    browser,  # noqa: F401  (the fixture)
    canvas_drawn,
    needs_chromium,
    signed_in_page,
    wait_until,
)
from .conftest import clock_at
from .test_funding_pages import quota, record

TODAY = datetime.date(2026, 3, 20)


def render(source: str, **context) -> str:
    return Template("{% load charts %}" + source).render(Context(context))


def outline(code: str) -> dict:
    path = finders.find(f"vendor/maps/{code}.json")
    assert path, code
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# --- the tag ----------------------------------------------------------------------------------


def test_chart_scripts_load_echarts_then_the_page_script_deferred():
    html = render("{% chart_scripts %}")
    echarts = html.index('<script src="/static/vendor/echarts/echarts.min.js" defer></script>')
    assert echarts < html.index('<script src="/static/js/charts.js" defer></script>')
    assert '<link rel="stylesheet" href="/static/css/charts.css">' in html
    for path in ("vendor/echarts/echarts.min.js", "js/charts.js", "css/charts.css"):
        assert finders.find(path), path
    # the licence travels with the library
    assert finders.find("vendor/echarts/LICENSE") and finders.find("vendor/echarts/NOTICE")


def test_chart_writes_its_container_and_the_option_as_data():
    option = {
        "series": [{"type": "bar", "data": [Decimal("73.30"), None], "name": "发行</script>"}]
    }
    html = render(
        '{% chart option id="cockpit-trend" height=320 label="各月完成投资" %}', option=option
    )
    assert html.startswith(
        '<div class="chart" id="cockpit-trend" data-chart="cockpit-trend-option" role="img"'
        ' aria-label="各月完成投资" style="height:320px"></div>'
        '<script id="cockpit-trend-option" type="application/json">'
    )
    data = re.search(r'type="application/json">(.*)</script>$', html, re.S).group(1)
    assert "</script>" not in data  # escaped: the option cannot end the script early
    assert json.loads(data) == {
        "series": [{"type": "bar", "data": [73.3, None], "name": "发行</script>"}]
    }
    assert "data-map" not in html


def test_chart_with_a_map_names_the_outline_to_register():
    html = render('{% chart option id="m" label="无锡市各县区" map="320200" %}', option={})
    assert (
        f'data-map="{static("vendor/maps/320200.json")}" data-map-name="320200"'
        ' style="height:300px"' in html
    )
    # a county has no outline of its own: a notice, not a chart that cannot be drawn
    county = render('{% chart option id="m" label="江阴市" map="320281" %}', option={})
    assert "data-chart" not in county and "该地区暂无可绘制的地图。" in county


def test_chart_needs_a_label_and_a_plain_id():
    with pytest.raises(TemplateSyntaxError):
        render('{% chart option id="x" %}', option={})
    with pytest.raises(TemplateSyntaxError):
        render('{% chart option id="x\\" onclick=\\"y" label="z" %}', option={})


# --- the outlines -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_province_outline_has_our_thirteen_cities_by_name_and_code():
    cities = dict(Region.objects.filter(parent__code="320000").values_list("code", "name"))
    assert len(cities) == 13
    features = outline("320000")["features"]
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == cities
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "city",
    ["320100", "320200", "320300", "320400", "320500", "320600", "320700"]
    + ["320800", "320900", "321000", "321100", "321200", "321300"],
)
def test_each_city_outline_has_our_counties_by_name_and_code(city):
    counties = dict(Region.objects.filter(parent__code=city).values_list("code", "name"))
    features = outline(city)["features"]
    assert {f["properties"]["code"]: f["properties"]["name"] for f in features} == counties
    assert len(features) == len(counties)  # one outline a county, merged districts joined


# --- in a browser -----------------------------------------------------------------------------


@pytest.fixture
def world(transactional_db, people, library):
    """Special bonds: the province's 1,000万元, 600 of it to 无锡 and 300 of that to 江阴;
    records in 江阴 and 宜兴 (within every quota: no warning above the charts)."""
    # the live server runs in a thread of this process: the pinned day holds there too
    with clock_at(TODAY):
        by = people["province_office"]
        quota(by, "special_bond", "320000", "1000", datetime.date(2026, 6, 30))
        quota(by, "special_bond", "320200", "600", datetime.date(2026, 6, 30))
        quota(by, "special_bond", "320281", "300", datetime.date(2026, 6, 30))
        record(by, library["jiangyin_other"], "special_bond", "300", "240", "120")
        record(by, library["yixing"], "special_bond", "200", "200", "50")
        yield {**people, **library}


def shot(page, name: str) -> None:
    if folder := os.environ.get("SHOTS_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def pixel(page, selector: str, finder: dict, value: list) -> dict:
    """Where ``value`` (data or geographic coordinates) lies on the page in the chart."""
    x, y = page.eval_on_selector(
        selector,
        "(el, [finder, value]) => echarts.getInstanceByDom(el).convertToPixel(finder, value)",
        [finder, value],
    )
    box = page.locator(selector).bounding_box()
    return {"x": box["x"] + x, "y": box["y"] + y}


@needs_chromium
def test_the_funding_charts_are_drawn_and_a_city_bar_opens_the_city(
    browser,  # noqa: F811
    live_server,
    world,
):
    page = signed_in_page(browser, live_server, world["province_office"])
    page.goto(live_server.url + reverse("funding:dashboard"))
    for chart in (
        "#funding-channels-chart",
        "#funding-issuance-special_bond",
        "#funding-reits-chart",
    ):
        assert canvas_drawn(page, chart), chart
    assert page.get_attribute("#funding-channels-chart", "aria-label")
    shot(page, "funding-province")

    def cursor(selector: str, at: dict) -> str:
        page.mouse.move(at["x"], at["y"])
        return page.eval_on_selector(
            selector, "el => getComputedStyle(el.querySelector('canvas')).cursor"
        )

    # the bars by channel open nothing: no pointer over them
    allocated = pixel(page, "#funding-channels-chart", {"seriesIndex": 1}, [0, 450])
    assert cursor("#funding-channels-chart", allocated) == "default"
    # the tooltip gives the figures in 万元 ("_valueSuffix"), as the table does
    tooltip = page.wait_for_selector("#funding-channels-chart div:has-text('万元')")
    assert "1,000 万元" in tooltip.inner_text() and "500 万元" in tooltip.inner_text()

    # 无锡市 is the second bar (73.3 %): a click opens 无锡's own dashboard
    at = pixel(page, "#funding-issuance-special_bond", {"seriesIndex": 0}, [36, 1])
    assert cursor("#funding-issuance-special_bond", at) == "pointer"
    assert page.wait_for_selector("#funding-issuance-special_bond div:has-text('73.3%')")
    page.mouse.click(at["x"], at["y"])
    page.wait_for_url(re.compile(r"region=320200"))
    assert "无锡市（含下级地区）" in page.inner_text(".pagehead")
    assert canvas_drawn(page, "#funding-issuance-special_bond")  # now 无锡's counties
    page.context.close()


@needs_chromium
def test_the_map_of_jiangsu_is_drawn_and_a_click_on_wuxi_opens_its_figures(
    browser,  # noqa: F811
    live_server,
    world,
):
    """The cockpit's map through the same tag and script: Jiangsu's outline registered as
    "320000", every city a data item with the address of its figures."""
    dashboard = reverse("funding:dashboard")
    cities = outline("320000")["features"]
    option = {
        "_valueSuffix": "%",
        "tooltip": {"trigger": "item"},
        "visualMap": {"min": 0, "max": 100, "calculable": True},
        "series": [
            {
                "type": "map",
                "map": "320000",
                "data": [
                    {
                        "name": f["properties"]["name"],
                        "value": 50 + n,
                        "href": f"{dashboard}?region={f['properties']['code']}",
                    }
                    for n, f in enumerate(cities)
                ],
            }
        ],
    }
    chart = render(
        '{% chart option id="jiangsu" height=480 label="江苏省各市" map="320000" %}', option=option
    )
    page = signed_in_page(browser, live_server, world["province_office"])
    page.set_content(f'<main style="width:640px">{chart}</main>')  # on the live server's origin
    page.add_script_tag(url=live_server.url + static("vendor/echarts/echarts.min.js"))
    page.add_script_tag(url=live_server.url + static("js/charts.js"))
    assert canvas_drawn(page, "#jiangsu")
    shot(page, "map-320000")

    page.eval_on_selector(
        "#jiangsu",
        """el => {
            const chart = echarts.getInstanceByDom(el);
            const code = name => echarts.getMap("320000").geoJSON.features
                .find(f => f.properties.name === name).properties.code;
            chart.on("mouseover", params => { window.hovered = code(params.name); });
            chart.on("click", params => sessionStorage.setItem("clicked", code(params.name)));
        }""",
    )
    (wuxi,) = [f for f in cities if f["properties"]["name"] == "无锡市"]
    at = pixel(page, "#jiangsu", {"seriesIndex": 0}, wuxi["properties"]["cp"])
    page.mouse.move(at["x"], at["y"])
    wait_until(page, "window.hovered === '320200'")
    assert page.eval_on_selector("#jiangsu canvas", "c => getComputedStyle(c).cursor") == "pointer"
    page.mouse.click(at["x"], at["y"])
    page.wait_for_url(re.compile(r"region=320200"))
    assert page.evaluate("sessionStorage.getItem('clicked')") == "320200"  # the feature's code
    assert "无锡市（含下级地区）" in page.inner_text(".pagehead")
    page.context.close()
