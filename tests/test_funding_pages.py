"""The funding pages (SPEC §11): the dashboard with its figures, bars and funnel, the project
page's funding section and the export of funding records — as the people of the scope matrix
see them.

Today is pinned to Friday 20 March 2026; the special-bond quota of 无锡 was due to be issued by
1 March.
"""

import datetime
import json
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Region
from funding import services
from funding.models import FinancialInstitution, FundingChannel, MatchState, ReitsStage
from projects.models import Project

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 3, 20)
YEAR = 2026


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield TODAY


def channel(code):
    return FundingChannel.objects.get(code=code)


def quota(by, code, region, amount, deadline=None):
    return services.quota_save(
        by=by,
        channel=channel(code),
        year=YEAR,
        region=Region.objects.get(code=region),
        amount=Decimal(amount),
        issuance_deadline=deadline,
    )


def record(by, project, code, allocated, issued, used, **fields):
    return services.record_create(
        by=by,
        project=project,
        channel=channel(code),
        year=YEAR,
        allocated=Decimal(allocated),
        issued=Decimal(issued),
        used=Decimal(used),
        issued_on=datetime.date(2026, 2, 10) if Decimal(issued) else None,
        **fields,
    )


@pytest.fixture
def world(people, library):
    """Special bonds: the province's 1,000万元 split 600 to 无锡 (due 1 March) and 400 to 宿迁;
    records in 江阴 (300/240/120), 宜兴 (200/200/50) and 沭阳 (400/100/10). A treasury bond
    record in 南京 without a quota. A REITs project and a financing need in 江阴."""
    by = people["province_office"]
    quota(by, "special_bond", "320000", "1000", datetime.date(2026, 6, 30))
    quota(by, "special_bond", "320200", "600", datetime.date(2026, 3, 1))
    quota(by, "special_bond", "321300", "400", datetime.date(2026, 6, 30))
    record(by, library["jiangyin_other"], "special_bond", "300", "240", "120", capital_share=60)
    record(by, library["yixing"], "special_bond", "200", "200", "50", batch="第一批")
    record(by, library["shuyang"], "special_bond", "400", "100", "10", note="沭阳专项债")
    record(by, library["nanjing"], "treasury_bond", "80", "80", "30")
    reits = services.reits_add(
        by=by,
        project=library["jiangyin_other"],
        date=datetime.date(2026, 1, 5),
        asset="污水处理收费权",
    )
    for stage, day in (
        (ReitsStage.LOCAL_SUBMISSION, datetime.date(2026, 2, 2)),
        (ReitsStage.PROVINCIAL_REVIEW, datetime.date(2026, 3, 2)),
    ):
        reits = services.reits_advance(reits=reits, by=by, stage=stage, date=day)
    need = services.need_create(
        by=by, project=library["jiangyin_other"], kind="loan", amount=Decimal("5000")
    )
    bank = FinancialInstitution.objects.get(name="国家开发银行江苏省分行")
    (match,) = services.need_push(need=need, by=by, institutions=[bank])
    services.match_update(
        match=match, by=by, state=MatchState.CREDIT_GRANTED, credit_amount=Decimal("3000")
    )
    shuyang_need = services.need_create(
        by=by, project=library["shuyang"], kind="capital", amount=Decimal("7777")
    )
    services.need_push(
        need=shuyang_need, by=by, institutions=[FinancialInstitution.objects.get(name="江苏银行")]
    )
    return {**people, **library}


def login(client, person):
    assert client.login(username=person.username, password=factories.PASSWORD)
    return client


def text(html: str) -> str:
    """The page's text without tags, for reading figures as a user sees them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def channel_row(html: str, code: str) -> str:
    match = re.search(rf'<tr class="channel-{code}[^"]*">(.*?)</tr>', html, re.S)
    assert match, code
    return text(match.group(1))


def chart(html: str, code: str) -> str:
    match = re.search(rf'id="chart-{code}">(.*?)</figure>', html, re.S)
    assert match, code
    return match.group(1)


def option(html: str, chart_id: str) -> dict:
    """The ECharts option the page hands to static/js/charts.js for the chart ``chart_id``."""
    assert re.search(
        rf'<div class="chart" id="{chart_id}" data-chart="{chart_id}-option" role="img"'
        r' aria-label="[^"]+"',
        html,
    ), chart_id
    match = re.search(
        rf'<script id="{chart_id}-option" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, chart_id
    return json.loads(match.group(1))


def number(cell: str) -> float | None:
    """A figure as the table writes it ("1,000.00", "73.3%", "—") as a number."""
    cell = cell.strip().rstrip("%").replace(",", "")
    return None if cell in ("—", "无额度") else float(cell)


def channel_table(html: str) -> dict[str, list[float | None]]:
    """The channel table's quota, allocated, issued and spent per channel name."""
    figures = {}
    for row in re.findall(r'<tr class="channel-[^"]*">(.*?)</tr>', html, re.S):
        name = text(re.search(r"<th[^>]*>(.*?)</th>", row, re.S).group(1)).strip()
        cells = dict(re.findall(r'<td class="num" data-label="([^"]+)">(.*?)</td>', row, re.S))
        figures[name] = [number(cells[label]) for label in ("额度", "下达", "发行/拨付", "支出")]
    return figures


def channel_chart(html: str) -> dict[str, list[float | None]]:
    """The channel chart's quota, allocated, issued and spent per channel name."""
    chart_option = option(html, "funding-channels-chart")
    series = {item["name"]: item["data"] for item in chart_option["series"]}
    assert list(series) == ["额度", "下达", "发行/拨付", "支出"]
    names = chart_option["xAxis"]["data"]
    return {name: [series[measure][i] for measure in series] for i, name in enumerate(names)}


def region_table(html: str, code: str) -> dict[str, list[float | None]]:
    """The issuance chart's data table: quota, issued and progress (%) per region."""
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", chart(html, code), re.S)
    return {
        text(name).strip(): [number(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
        for name, cells in rows
    }


def region_bars(html: str, code: str) -> dict[str, tuple[float | None, str]]:
    """The issuance chart's bars: progress (%) and the address a click opens, per region."""
    (series,) = option(html, f"funding-issuance-{code}")["series"]
    return {item["name"]: (item["value"], item["href"]) for item in series["data"]}


# --- the dashboard ---------------------------------------------------------------------------


def test_dashboard_shows_the_province_figures_and_bars_by_city(client, world):
    page = login(client, world["province_office"]).get(reverse("funding:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    bonds = channel_row(html, "special_bond")
    # quota 1,000 (the province's own, not the cities' shares added to it); 900 allocated,
    # 540 issued, 180 spent
    assert "专项债 1,000.00 900.00 540.00 180.00 54.0% 33.3% 2026-06-30 3" in bonds
    assert "逾期" not in bonds  # due at the end of June
    treasury = channel_row(html, "treasury_bond")
    assert "超长期特别国债 — 80.00 80.00 30.00 — 37.5% —" in treasury

    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/js/charts.js" in html

    # the chart by channel draws the table's figures
    assert channel_table(html) == {
        "专项债": [1000.0, 900.0, 540.0, 180.0],
        "超长期特别国债": [None, 80.0, 80.0, 30.0],
    }
    assert channel_chart(html) == channel_table(html)

    # the cities' issuance progress: the bars, their data table, a click opens the city
    bars = region_bars(html, "special_bond")
    assert bars["无锡市"] == (73.3, "?year=2026&region=320200")  # 440 of 600
    assert bars["宿迁市"] == (25.0, "?year=2026&region=321300")  # 100 of 400
    assert bars["南京市"][0] is None  # no quota
    cities = region_table(html, "special_bond")
    assert cities["无锡市"] == [600.0, 440.0, 73.3]
    assert cities["南京市"] == [None, 0.0, None]
    assert {name: figures[2] for name, figures in cities.items()} == {
        name: value for name, (value, _href) in bars.items()
    }
    assert 'id="chart-treasury_bond"' not in html  # no quota to measure progress against

    reits = text(re.search(r'id="reits">(.*?)</section>', html, re.S).group(1))
    assert "共1个" in reits and "省级审核 1" in reits and "储备 0" in reits
    funnel = option(html, "funding-reits-chart")
    stages = dict(zip(funnel["yAxis"]["data"], funnel["series"][0]["data"], strict=True))
    assert stages["省级审核"] == 1 and stages["储备"] == 0 and sum(stages.values()) == 1
    financing = text(re.search(r'id="financing">(.*?)</section>', html, re.S).group(1))
    assert "2项" in financing and "12,777.00 万元" in financing  # both needs, both pushed
    assert "已授信 3,000.00 万元" in financing


def test_the_dashboard_and_the_cockpit_flag_quotas_gone_past(client, world, people, library):
    by = people["province_office"]
    # 无锡's 600 is allocated 500 so far (江阴 300, 宜兴 200): 150 more in 江阴 takes it 50
    # past, and the province's 1,000 too (with 沭阳's 400)
    record(by, library["jiangyin_enterprise_1"], "special_bond", "150", "0", "0")
    client.force_login(by)
    html = client.get(reverse("funding:dashboard")).content.decode()
    assert "无锡市2026年专项债额度600.00万元，项目已下达合计650.00万元，超出50.00万元。" in html
    assert "江苏省2026年专项债额度1,000.00万元，项目已下达合计1,050.00万元，超出50.00万元。" in html
    # capital per region against the quarter: 江阴's 60 of 无锡's 600
    capital = html[html.index('id="capital"') :]
    assert "不超过额度的25.0%" in capital and "10.0%" in capital

    cockpit = client.get(reverse("home"), {"year": YEAR, "period": "M03"}).content.decode()
    assert "项目已下达合计650.00万元，超出50.00万元" in cockpit

    # 宿迁's office sees no 无锡 overrun
    client.force_login(people["county_filer2"])
    assert 'id="overruns"' not in client.get(reverse("funding:dashboard")).content.decode()


def test_city_office_sees_its_own_figures_and_counties_only(client, world):
    quota(world["province_office"], "special_bond", "320281", "250")
    page = login(client, world["city_office"]).get(reverse("funding:dashboard"))
    html = page.content.decode()
    bonds = channel_row(html, "special_bond")
    # 无锡's quota of 600, due 1 March, 440 issued of it: behind
    assert "专项债 600.00 500.00 440.00 170.00 73.3% 38.6% 2026-03-01" in bonds
    assert "逾期未完成发行" in bonds
    assert channel_chart(html) == channel_table(html) == {"专项债": [600.0, 500.0, 440.0, 170.0]}
    counties = region_table(html, "special_bond")
    assert counties["江阴市"] == [250.0, 240.0, 96.0]  # 240 of 250
    assert counties["宜兴市"] == [None, 200.0, None]
    bars = region_bars(html, "special_bond")
    assert bars["江阴市"] == (96.0, "?year=2026&region=320281")
    assert bars["宜兴市"][0] is None
    assert "宿迁" not in html and "沭阳" not in html
    assert 'id="chart-treasury_bond"' not in html and "超长期特别国债 —" not in html
    financing = text(re.search(r'id="financing">(.*?)</section>', html, re.S).group(1))
    assert "1项" in financing and "7,777" not in financing


def test_dashboard_region_filter_and_other_city_not_found(client, world):
    login(client, world["province_office"])
    narrowed = client.get(reverse("funding:dashboard"), {"region": "321300", "year": YEAR})
    bonds = channel_row(narrowed.content.decode(), "special_bond")
    assert "专项债 400.00 400.00 100.00 10.00 25.0% 10.0%" in bonds
    # no county of 宿迁 has a quota of its own: no bars to draw
    assert 'id="chart-special_bond"' not in narrowed.content.decode()

    login(client, world["city_office"])
    assert client.get(reverse("funding:dashboard"), {"region": "321300"}).status_code == 404
    assert client.get(reverse("funding:dashboard"), {"region": "999999"}).status_code == 404
    other_year = client.get(reverse("funding:dashboard"), {"year": 2025}).content.decode()
    assert "本年度暂无资金额度和资金记录。" in other_year


def test_dashboard_query_count_does_not_grow_with_rows(
    client, world, django_assert_max_num_queries
):
    login(client, world["province_office"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("funding:dashboard")).status_code == 200
        return len(captured)

    few = queries()
    by = world["province_office"]
    for n in range(5):
        project = factories.project("320282", by=by, name=f"宜兴批量{n}")
        record(by, project, "special_bond", "10", "5", "1")
        record(by, project, "treasury_bond", "10", "5", "1")
        services.reits_add(by=by, project=project, date=datetime.date(2026, 3, 1))
        services.need_create(by=by, project=project, kind="loan", amount=Decimal("100"))
    assert queries() == few
    # The bars take two grouped queries per channel with a quota, whatever the number of
    # regions; the figures, the funnel and the needs take a few queries each; the quotas gone
    # past three (the quotas, those below them, the allocations by channel and region).
    with django_assert_max_num_queries(24):  # +1: the to-do badge in the navigation
        client.get(reverse("funding:dashboard"))


# --- the project page ----------------------------------------------------------------------


def test_project_page_shows_funding_reits_and_financing(client, world):
    project = world["jiangyin_other"]
    page = login(client, world["county_office"]).get(reverse("projects:detail", args=[project.pk]))
    html = page.content.decode()
    section = text(re.search(r'id="funding">(.*?)</section>', html, re.S).group(1))
    assert "2026 专项债 — 0.00 300.00 240.00 120.00 60.00 2026-02-10" in section
    assert "污水处理收费权" in section
    assert re.search(r'class="done current" aria-current="step">省级审核<small>2026-03-02', html)
    assert "固定资产贷款 5,000.00 万元" in section
    assert "国家开发银行江苏省分行 已授信 3,000.00 0.00" in section

    login(client, world["city_office"])
    empty = client.get(reverse("projects:detail", args=[world["yixing"].pk])).content.decode()
    section = text(re.search(r'id="funding">(.*?)</section>', empty, re.S).group(1))
    assert "专项债 第一批" in section and "暂无融资需求。" in section


def test_other_citys_project_funding_is_not_found(client, world):
    login(client, world["city_office"])
    url = reverse("projects:detail", args=[world["shuyang"].pk])
    assert client.get(url).status_code == 404


# --- the export ----------------------------------------------------------------------------


def exported(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_export_holds_the_records_in_scope_only(client, world):
    url = reverse("funding:records-export")
    rows = exported(login(client, world["city_office"]).get(url))
    assert rows[0][:6] == ["年度", "资金渠道", "批次", "项目代码", "项目名称", "所在地区"]
    assert sorted(row[4] for row in rows[1:]) == ["宜兴项目", "江阴其他企业项目"]
    jiangyin = next(row for row in rows[1:] if row[4] == "江阴其他企业项目")
    assert jiangyin[5] == "江阴市" and jiangyin[7:11] == [300, 240, 120, 60]

    # another city's region or records: nothing of them
    assert exported(client.get(url, {"region": "321300"}))[1:] == []

    login(client, world["province_office"])
    everything = exported(client.get(url, {"year": YEAR}))
    assert len(everything) == 1 + 4
    bonds = exported(client.get(url, {"channel": "special_bond", "region": "321300"}))
    assert [row[4] for row in bonds[1:]] == ["沭阳项目"] and bonds[1][14] == "沭阳专项债"
    assert exported(client.get(url, {"year": 2025}))[1:] == []


def test_a_liaison_exports_and_counts_only_the_projects_its_unit_works_on(client, world):
    """省自然资源厅 is the responsible unit of 宜兴项目 only: the export lists no code or name of
    another project, and the dashboard counts none of their money."""
    liaison = world["liaison"]
    codes = {
        "yixing": "2025-320282-26-03-000001",
        "jiangyin_other": "2025-320281-26-03-000002",
        "shuyang": "2025-321322-26-03-000003",
        "nanjing": "2025-320102-26-03-000004",
    }
    for key, code in codes.items():
        Project.objects.filter(pk=world[key].pk).update(code=code)
    Project.objects.filter(pk=world["yixing"].pk).update(responsible_unit=liaison.unit)
    login(client, liaison)
    assert client.get(reverse("projects:detail", args=[world["shuyang"].pk])).status_code == 404

    rows = exported(client.get(reverse("funding:records-export"), {"year": YEAR}))
    assert [(row[3], row[4]) for row in rows[1:]] == [(codes["yixing"], "宜兴项目")]
    cells = {cell for row in rows for cell in row}
    assert not cells & {codes["jiangyin_other"], codes["shuyang"], codes["nanjing"]}

    html = client.get(reverse("funding:dashboard"), {"year": YEAR}).content.decode()
    # the province's quota of 1,000; of the records only 宜兴's 200/200/50, one project
    bonds = channel_row(html, "special_bond")
    assert "专项债 1,000.00 200.00 200.00 50.00 20.0% 25.0% 2026-06-30 1" in bonds
    assert 'class="channel-treasury_bond' not in html  # 南京's record is not theirs
    reits = text(re.search(r'id="reits">(.*?)</section>', html, re.S).group(1))
    assert "共0个" in reits
    financing = text(re.search(r'id="financing">(.*?)</section>', html, re.S).group(1))
    assert "0项" in financing and "5,000" not in financing and "7,777" not in financing


def test_pages_need_a_login(client, world):
    for name in ("funding:dashboard", "funding:records-export"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_note_written_as_a_formula_is_exported_as_text(client, world):
    from funding.models import FundingRecord

    hostile = "=cmd|' /C calc'!A0"
    FundingRecord.objects.update(note=hostile)
    response = login(client, world["city_office"]).get(reverse("funding:records-export"))
    cells = [c for row in load_workbook(BytesIO(response.content)).active.iter_rows() for c in row]
    written = [cell for cell in cells if cell.value == hostile]
    assert written and all(cell.data_type == "s" for cell in written)
