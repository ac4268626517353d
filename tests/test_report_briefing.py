"""The briefing 《重大项目工作简报》 and the PDF machinery: built from the demo data, every
sampled figure equals the platform's own selectors, Chinese prints with embedded CJK fonts and
never as boxes, and a document that would print boxes fails visibly and can be retried."""

import io
import logging
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Region
from approvals.models import Approval
from approvals.selectors import performance
from funding.selectors import channel_summary
from indicators.models import Indicator
from indicators.selectors import indicators, indicators_by_region
from issues.models import Issue, Notice
from issues.selectors import resolution_totals
from projects.models import Project
from reports import formatting, services
from reports.charts import Bar, bar_chart
from reports.models import Kind, Status
from reports.pdf import MissingGlyphs, render_pdf
from reports.periods import month_of
from reports.reader import OfficeReader

from . import factories
from .conftest import DEMO_DAY


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


@pytest.fixture
def notdef_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    yield lambda: [r for r in caplog.records if ".notdef" in r.getMessage()]


@pytest.mark.clock(DEMO_DAY)
@pytest.mark.django_db
def test_briefing_from_the_demo_data_equals_the_selectors(demo, notdef_warnings):
    today = timezone.localdate()
    province = Region.objects.get(code="320000")
    office = services.office_for(province)
    report, queued = services.report_request(
        kind=Kind.BRIEFING, period=month_of(today), unit=office
    )
    assert queued and report.number == 1
    report = services.report_run(report.pk)
    assert report.status == Status.DONE, report.error
    assert report.page_count >= 5
    assert not notdef_warnings()

    text = pdf_text(report)
    body = flat(text)
    for heading in (
        "重大项目工作简报",
        "2026年第1期",
        "省重大项目办",
        "一、总体情况",
        "二、投资完成情况",
        "三、问题办理情况",
        "四、通报和约谈情况",
        "五、要素保障审批情况",
        "六、资金保障情况",
        "七、滞后项目和地区",
        "图1各地开工项目投资完成率",
    ):
        assert flat(heading) in body, heading

    # every sampled figure is the selector's own, printed the documented way
    reader = OfficeReader(province)
    scoped = Project.objects.for_user(reader)
    window = f"M{today.month:02d}"
    figures = {f.indicator: f for f in indicators(province, today.year, window, scoped)}
    investment = figures[Indicator.WX_INVESTMENT]
    assert investment.numerator > 0
    for value in (
        formatting.money(investment.numerator),
        formatting.money(investment.denominator),
        formatting.percent(investment.value),
        formatting.yi(investment.numerator),
        formatting.percent(figures[Indicator.NEW_START_RATE].value),
        formatting.percent(figures[Indicator.HA_START].value),
    ):
        assert value in body, value
    wuxi = dict(indicators_by_region(province, today.year, window, scoped))[
        Region.objects.get(code="320200")
    ]
    wuxi_investment = next(f for f in wuxi if f.indicator == Indicator.WX_INVESTMENT)
    assert (
        flat(
            f"无锡市{formatting.money(wuxi_investment.denominator)}"
            f"{formatting.money(wuxi_investment.numerator)}{formatting.percent(wuxi_investment.value)}"
        )
        in body
    )

    start = today.replace(day=1)
    issues = resolution_totals(Issue.objects.for_user(reader), start, today, today)
    assert (
        flat(
            f"本月新受理困难问题{issues.new}个，办结{issues.resolved}个；"
            f"截至目前未办结{issues.open}个，其中逾期{issues.overdue}个"
        )
        in body
    )
    notices = Notice.objects.filter(issued_on__gte=start, issued_on__lte=today).count()
    if notices:
        assert flat(f"本月对逾期未办结问题通报{notices}次") in body

    rows = performance(Approval.objects.all(), today)
    busiest = max(rows, key=lambda row: row.count)
    assert flat(f"{busiest.kind_name}{busiest.count}{busiest.decided}{busiest.running}") in body
    channels = [row for row in channel_summary(reader, year=today.year, region=province)]
    assert channels
    for row in channels:
        assert (
            flat(
                f"{row.channel.name}{formatting.money(row.quota)}{formatting.money(row.allocated)}"
            )
            in body
        )

    assert_cjk_fonts_embedded(report)

    # the other kinds, from the same demo data
    agenda, _queued = services.report_request(
        kind=Kind.WEEKLY_AGENDA, period="2026-W49", unit=office
    )
    agenda = services.report_run(agenda.pk)
    assert agenda.status == Status.DONE, agenda.error
    text = flat(pdf_text(agenda))
    for heading in ("周碰头会议程", "一、逐个过堂", "二、逐批过堂", "问题事项"):
        assert heading in text, heading
    assert text.index("一、逐个过堂") < text.index("二、逐批过堂")
    assert_cjk_fonts_embedded(agenda)

    special, _queued = services.report_request(
        kind=Kind.MONTHLY_SPECIAL, period="2026-11", unit=office
    )
    special = services.report_run(special.pk)
    assert special.status == Status.DONE, special.error
    text = flat(pdf_text(special))
    for heading in (
        "重大项目推进专报",
        "一、本月调度情况",
        "二、投资完成情况",
        "四、未按时报送项目",
    ):
        assert heading in text, heading
    assert_cjk_fonts_embedded(special)

    handbook, _queued = services.report_request(kind=Kind.HANDBOOK, period="2026-10", unit=office)
    handbook = services.report_run(handbook.pk)
    assert handbook.status == Status.DONE and handbook.file.name.endswith(".xlsx")
    with handbook.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read()), read_only=True).active
        names = {cell for row in sheet.iter_rows(values_only=True) for cell in row if cell}
    assert set(Project.objects.filter(stage="started").values_list("name", flat=True)[:20]) & names
    assert not notdef_warnings()


def assert_cjk_fonts_embedded(report):
    fonts = embedded_fonts(report)
    assert any("Noto-Serif-SC" in name or "NotoSerifSC" in name for name in fonts), fonts
    assert any("Sans-SC" in name or "SansSC" in name for name in fonts), fonts
    assert all(fonts.values()), "every font is embedded"


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
