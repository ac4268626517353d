"""The briefing 《重大项目工作简报》 and the PDF machinery: built from the demo data, every
sampled figure equals the platform's own selectors, Chinese prints with embedded CJK fonts and
never as boxes, and a document that would print boxes fails visibly and can be retried."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.charts import Bar, bar_chart
from indicators.models import Indicator, Target
from indicators.selectors import DEFINITIONS
from projects.models import Project, Stage
from reports import services
from reports.models import Kind, Status
from reports.pdf import MissingGlyphs, render_pdf
from reports.periods import month_of

from . import factories
from .conftest import clock_at


def pdf_text(report) -> str:
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """The PDF text without line breaks and spaces, as a reader would read it across lines."""
    return re.sub(r"\s+", "", text)


def embedded_fonts(report) -> dict[str, bool]:
    """BaseFont name → embedded (the descendant CID font carries a FontFile2)."""
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    return fonts


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_a_character_no_font_has_fails_the_job_and_a_retry_after_the_fix_succeeds(people):
    province_office = people["province_office"]
    today = timezone.localdate()
    project = factories.project(
        "320281",
        by=province_office,
        name="江阴\ue000新材料项目",  # a private-use character: no font anywhere draws it
        planned_start=today.replace(day=1),
    )
    report, _queued = services.report_request(
        kind=Kind.BRIEFING, period=month_of(today), by=province_office
    )
    report = services.report_run(report.pk)
    assert report.status == Status.FAILED
    assert "字体无法显示的字符" in report.error and "U+E000" in report.error
    assert not report.file

    Project.objects.filter(pk=project.pk).update(name="江阴新材料项目")
    report = services.report_retry(report=report, by=province_office)
    assert report.status == Status.QUEUED
    report = services.report_run(report.pk)
    assert report.status == Status.DONE
    assert report.attempts == 2
    assert "江阴新材料项目" in pdf_text(report)


def test_render_refuses_boxes():
    with pytest.raises(MissingGlyphs) as error:
        render_pdf("reports/pdf/glyph_check.html", {"text": "重大项目\ue001"})
    assert error.value.code == "missing_glyphs"
    rendered = render_pdf("reports/pdf/glyph_check.html", {"text": "重大项目，１２３４，《简报》"})
    assert rendered.content.startswith(b"%PDF") and rendered.pages == 1


def test_chart_labels_are_text_in_the_fonts_of_the_document():
    svg = bar_chart([Bar("无锡市", 80, 100, "80.00%", alert=True), Bar("<b>", 10)])
    assert svg.startswith("<svg") and "font-family=" in svg.split(">", 1)[0]
    assert "无锡市" in svg and "&lt;b&gt;" in svg
    assert bar_chart([]) == ""


def _cell(row: str, label: str) -> str:
    match = re.search(rf'<td[^>]*data-label="{label}"[^>]*>(.*?)</td>', row, re.S)
    assert match, label
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def dashboard_judgements(html: str) -> dict[str, tuple[str, str]]:
    """indicator → (目标, 情况) as the indicators page prints them."""
    judged = {}
    for code in DEFINITIONS:
        row = re.search(rf'<tr id="indicator-{code}"[^>]*>.*?</tr>', html, re.S).group(0)
        judged[code] = (_cell(row, "目标"), _cell(row, "情况").split()[0])
    return judged


@pytest.mark.django_db
def test_the_briefing_judges_every_figure_as_the_indicators_page_does(client, people):
    """无锡 has targets for the year only (as offices mostly set them): the November briefing of
    the 无锡 office prints, row by row, the target and the 滞后/达标 the indicators page shows for
    无锡 — and flags the county the page flags."""
    day = datetime.date
    by = people["province_office"]
    with clock_at(day(2026, 11, 23)):
        for name, fields in (
            ("江阴已开工项目", {"stage": Stage.STARTED, "started_on": day(2026, 5, 1)}),
            ("江阴已备案项目", {"stage": Stage.FILED}),
        ):
            factories.project(
                "320281",
                by=by,
                name=name,
                signed_on=day(2026, 2, 1),
                filed_on=day(2026, 3, 1),
                **fields,
            )
        factories.project(
            "320282", by=by, name="宜兴已签约项目", stage=Stage.SIGNED, signed_on=day(2026, 3, 1)
        )
        for region, indicator, value in (
            ("320200", Indicator.WX_FILING, 80),  # 2 of 3 filed: 滞后
            ("320200", Indicator.WX_START, 40),  # 1 of 2 started: 达标
            ("320281", Indicator.WX_FILING, 50),  # 江阴 2 of 2: 达标
            ("320282", Indicator.WX_FILING, 50),  # 宜兴 0 of 1: 滞后
        ):
            Target.objects.create(region_id=region, year=2026, indicator=indicator, value=value)

        client.force_login(people["city_office"])
        html = client.get(reverse("indicators:dashboard")).content.decode()
        assert "2026年 全年" in html and "指标完成情况 · 无锡市" in html
        judged = dashboard_judgements(html)
        assert judged[Indicator.WX_FILING] == ("80.00%", "滞后")
        assert judged[Indicator.WX_START] == ("40.00%", "达标")

        report, _queued = services.report_request(
            kind=Kind.BRIEFING, period="2026-11", by=people["city_office"]
        )
        report = services.report_run(report.pk)
        assert report.status == Status.DONE, report.error
    body = flat(pdf_text(report))

    table = body[body.index("（一）主要指标完成情况") : body.index("二、投资完成情况")]
    labels = [str(Indicator(code).label) for code in DEFINITIONS]
    starts, at = [], 0
    for label in labels:  # rows in the dashboard's order; 开工率 is also inside longer names
        at = table.index(label, at)
        starts.append(at)
        at += len(label)
    ends = [*starts[1:], table.index("注：")]
    for code, begin, end in zip(DEFINITIONS, starts, ends, strict=True):
        target, state = judged[code]
        # 本期目标, 全年目标 (the same: only the year has targets), 状态
        briefing_state = {"未设目标": "—"}.get(state, state)
        # a page's number (—1—) and the repeated heading at a page break
        row = re.sub(r"—\d+—(指标分子分母完成值本期目标全年目标状态)?$", "", table[begin:end])
        assert row.endswith(f"{target}{target}{briefing_state}"), (code, judged[code], row)

    lagging = body[body.index("（一）指标滞后的地区") :]
    assert "未达目标的地区： 宜兴市 " in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "宜兴市签约项目备案率0.00%50.00%" in lagging and "江阴市" not in lagging[:200]


@pytest.mark.django_db
def test_a_province_with_many_lagging_projects_lists_the_first_and_counts_the_rest(
    people, settings
):
    """The briefing's long lists stop at REPORT_LIST_LIMIT rows and say how many more there
    are, so the document keeps its length as the province grows."""
    from reports.documents import briefing
    from reports.periods import parse_period
    from reports.reader import OfficeReader

    settings.REPORT_LIST_LIMIT = 3
    day = datetime.date
    by = people["province_office"]
    with clock_at(day(2026, 11, 23)):
        for n in range(8):
            factories.project(
                "320281",
                by=by,
                name=f"滞后项目{n}",
                stage=Stage.FILED,
                signed_on=day(2026, 2, 1),
                filed_on=day(2026, 3, 1),
                planned_start=day(2026, 6, 1 + n),
            )
        office = people["province_office"]
        reader = OfficeReader(office.region)
        period = parse_period(Kind.BRIEFING, "2026-11")
        data = briefing.context(reader, period, day(2026, 11, 23), lambda *args: None)
        listed = data["not_started"]
        assert (len(listed.rows), listed.total, listed.rest) == (3, 8, 5)
        assert [project.name for project in listed] == ["滞后项目0", "滞后项目1", "滞后项目2"]

        report, _queued = services.report_request(kind=Kind.BRIEFING, period="2026-11", by=office)
        report = services.report_run(report.pk)
        assert report.status == Status.DONE, report.error
    body = flat(pdf_text(report))
    section = body[body.index("（二）计划开工时间已过、尚未开工的项目") :]
    assert section.startswith("（二）计划开工时间已过、尚未开工的项目（8个）")
    assert "滞后项目2" in section and "滞后项目3" not in section
    assert "……另有5个项目" in section


@pytest.mark.django_db
def test_the_briefing_names_the_quotas_allocated_beyond_them(people, library):
    """无锡's special-bond quota of 600万元 with 650 allocated to its projects is named under the
    funding table, with the amount over."""
    from decimal import Decimal

    from accounts.models import Region
    from funding import services as funding_services
    from funding.models import FundingChannel

    day = datetime.date
    office = people["province_office"]
    bond = FundingChannel.objects.get(code="special_bond")
    with clock_at(day(2026, 11, 23)):
        for code, amount in (("320000", "1000"), ("320200", "600")):
            funding_services.quota_save(
                by=office, channel=bond, year=2026, region=Region.objects.get(code=code),
                amount=Decimal(amount),
            )  # fmt: skip
        for key, allocated in (("jiangyin_other", "400"), ("yixing", "250")):
            funding_services.record_create(
                by=office, project=library[key], channel=bond, year=2026,
                allocated=Decimal(allocated),
            )  # fmt: skip
        report, _queued = services.report_request(kind=Kind.BRIEFING, period="2026-11", by=office)
        report = services.report_run(report.pk)
        assert report.status == Status.DONE, report.error
    body = flat(pdf_text(report))
    assert "额度超出：无锡市专项债额度600.00万元，项目已下达650.00万元，超出50.00万元。" in body
