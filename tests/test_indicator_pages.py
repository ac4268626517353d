"""The indicators page (SPEC §9): a region's 五率 / 四率 / new-start figures against its targets,
the same for each region below it with the lagging ones flagged, and the projects behind every
figure (with an export) — as the people of the scope matrix see them.

A small hand-made library in 无锡: 江阴 has two signed projects, both filed, one started; 宜兴
has one signed project, not filed. Targets: 无锡 80% and 宜兴 50% of signed projects filed.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from indicators.models import Target
from projects.models import Stage

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def world(people):
    by = people["province_office"]
    day = datetime.date
    started = factories.project(
        "320281",
        by=by,
        name="江阴已开工项目",
        stage=Stage.STARTED,
        signed_on=day(2026, 2, 1),
        filed_on=day(2026, 3, 1),
        started_on=day(2026, 5, 1),
        unit_obj=people["enterprise"].unit,
    )
    filed = factories.project(
        "320281",
        by=by,
        name="江阴已备案项目",
        stage=Stage.FILED,
        signed_on=day(2026, 2, 10),
        filed_on=day(2026, 8, 1),
    )
    signed = factories.project(
        "320282", by=by, name="宜兴已签约项目", stage=Stage.SIGNED, signed_on=day(2026, 3, 1)
    )
    factories.project(
        "321322", by=by, name="沭阳已签约项目", stage=Stage.SIGNED, signed_on=day(2026, 3, 1)
    )
    for region, value in (("320200", 80), ("320282", 50), ("320281", 50)):
        Target.objects.create(region_id=region, year=2026, indicator="wx_filing", value=value)
    return {**people, "started": started, "filed": filed, "signed": signed}


def login(client, person):
    assert client.login(username=person.username, password=factories.PASSWORD)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def figure_row(html: str, indicator: str) -> str:
    match = re.search(rf'<tr id="indicator-{indicator}"[^>]*>.*?</tr>', html, re.S)
    assert match, indicator
    return match.group(0)


def region_row(html: str, code: str) -> str:
    match = re.search(rf'<tr id="region-{code}">.*?</tr>', html, re.S)
    assert match, code
    return match.group(0)


def behind(indicator, region, part, **extra):
    return reverse("indicators:projects"), {
        "indicator": indicator,
        "region": region,
        "year": 2026,
        "part": part,
        **extra,
    }


def test_city_sees_its_figures_against_targets(client, world):
    response = login(client, world["city_office"]).get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "指标完成情况 · 无锡市" in html
    for family in ("无锡“五率”", "淮安“四率”", "新开工"):
        assert family in html
    filing = figure_row(html, "wx_filing")
    assert 'class="is-lagging"' in filing
    assert "签约项目备案率 2 3 66.67% 80.00% 滞后 -13.33个百分点" in text(filing)
    start = text(figure_row(html, "wx_start"))
    assert "备案项目开工率 1 2 50.00% — 未设目标" in start
    new_starts = text(figure_row(html, "new_starts"))
    assert "新开工项目数 1 — 1个" in new_starts
    assert "未达目标：签约项目备案率" in text(html)


def test_child_regions_flag_the_lagging(client, world):
    html = login(client, world["city_office"]).get(reverse("indicators:dashboard")).content.decode()
    jiangyin = region_row(html, "320281")
    yixing = region_row(html, "320282")
    assert re.search(
        r'<td class="num" data-label="签约项目备案率"[^>]*>\s*<a[^>]*>100.00%', jiangyin
    )
    assert re.search(r'<td class="num is-lagging" data-label="签约项目备案率"', yixing)
    assert "0.00%" in text(yixing) and "滞后" in text(yixing)
    assert "未达目标的地区： 宜兴市 " in text(html)
    assert "沭阳" not in html
    # drill down to a county
    narrowed = client.get(reverse("indicators:dashboard"), {"region": "320281", "year": 2026})
    assert "签约项目备案率 2 2 100.00% 50.00% 达标" in text(
        figure_row(narrowed.content.decode(), "wx_filing")
    )


def test_every_figure_links_to_its_projects(client, world):
    html = login(client, world["city_office"]).get(reverse("indicators:dashboard")).content.decode()
    filing = figure_row(html, "wx_filing")
    links = re.findall(r'href="([^"]+)"', filing)
    assert (
        "/indicators/projects/?indicator=wx_filing&amp;region=320200&amp;year=2026&amp;part=numerator"
        in links
    )
    assert (
        "/indicators/projects/?indicator=wx_filing&amp;region=320200&amp;year=2026&amp;part=denominator"
        in links
    )

    url, params = behind("wx_filing", "320200", "numerator")
    numerator = text(client.get(url, params).content.decode())
    assert "签约项目备案率 · 分子项目" in numerator and "共 2 个项目" in numerator
    assert "江阴已开工项目" in numerator and "江阴已备案项目" in numerator
    assert "宜兴已签约项目" not in numerator
    url, params = behind("wx_filing", "320200", "denominator")
    denominator = client.get(url, params).content.decode()
    assert "宜兴已签约项目" in denominator and "共 3 个项目" in text(denominator)
    assert f'href="{world["signed"].get_absolute_url()}"' in denominator
    assert 'data-label="开工"' in denominator  # cards on a phone


def test_project_list_export(client, world):
    login(client, world["city_office"])
    url, params = behind("wx_filing", "320200", "denominator")
    page = client.get(url, params).content.decode()
    assert reverse("indicators:projects-export") + "?indicator=wx_filing" in page
    response = client.get(reverse("indicators:projects-export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = sorted(row[1].value for row in sheet.iter_rows(min_row=2))
    assert names == ["宜兴已签约项目", "江阴已备案项目", "江阴已开工项目"]


def test_part_of_the_year(client, world):
    login(client, world["city_office"])
    html = client.get(reverse("indicators:dashboard"), {"period": "H1"}).content.decode()
    assert "2026年 上半年" in text(html)
    # 江阴已备案项目 was filed in August: by the end of June one of three
    assert "签约项目备案率 1 3 33.33%" in text(figure_row(html, "wx_filing"))
    url, params = behind("wx_filing", "320200", "numerator", period="H1")
    listed = text(client.get(url, params).content.decode())
    assert "江阴已开工项目" in listed and "江阴已备案项目" not in listed


def test_scope(client, world):
    login(client, world["county_filer2"])
    assert client.get(reverse("indicators:dashboard"), {"region": "320200"}).status_code == 404
    url, params = behind("wx_filing", "320200", "denominator")
    assert client.get(url, params).status_code == 404
    assert client.get(reverse("indicators:projects-export"), params).status_code == 404
    own = client.get(reverse("indicators:dashboard")).content.decode()
    assert "指标完成情况 · 沭阳县" in own
    assert "签约项目备案率 0 1 0.00%" in text(figure_row(own, "wx_filing"))

    login(client, world["city_office"])
    for wrong in ({"indicator": "nonsense"}, {"part": "everything"}):
        assert client.get(url, {**params, **wrong}).status_code == 404

    # the enterprise counts its own project only
    login(client, world["enterprise"])
    html = client.get(reverse("indicators:dashboard")).content.decode()
    assert "签约项目备案率 1 1 100.00%" in text(figure_row(html, "wx_filing"))
    url, params = behind("wx_filing", "320281", "denominator")
    listed = client.get(url, params).content.decode()
    assert "江阴已开工项目" in listed and "江阴已备案项目" not in listed


def test_money_indicator_shows_ten_thousands(client, world):
    from progress import services
    from progress.models import MonthlyReport

    project = world["started"]
    project.planned_investment_year = Decimal("1000")
    project.admission = "admitted"
    project.save()
    report, _ = services.report_save(
        project=project,
        period="2026-10",
        by=world["county_filer"],
        investment_this_month="250",
        physical_progress="主体施工",
    )
    services.report_submit(report=report, by=world["county_filer"])
    services.report_approve(report=MonthlyReport.objects.get(pk=report.pk), by=world["city_office"])
    html = login(client, world["city_office"]).get(reverse("indicators:dashboard")).content.decode()
    assert "开工项目投资完成率 万元 250.00 1,000.00 25.00%" in text(
        figure_row(html, "wx_investment")
    )


def test_dashboard_query_count_does_not_grow_with_projects(
    client, world, django_assert_max_num_queries
):
    login(client, world["province_office"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("indicators:dashboard")).status_code == 200
        return len(captured)

    few = queries()
    for number in range(6):
        factories.project(
            "320205",
            by=world["province_office"],
            name=f"新增{number}",
            stage=Stage.SIGNED,
            signed_on=datetime.date(2026, 4, 1),
        )
    assert queries() == few
    # +1: the to-do badge in the navigation; +3: cohort or stock (twice), the project groups
    with django_assert_max_num_queries(20):
        client.get(reverse("indicators:dashboard"))
