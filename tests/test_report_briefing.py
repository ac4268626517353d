"""The briefing 《重大项目工作简报》 and the PDF machinery: built from the demo data, every
sampled figure equals the platform's own selectors, Chinese prints with embedded CJK fonts and
never as boxes, and a document that would print boxes fails visibly and can be retried."""

import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from core.charts import Bar, bar_chart
from projects.models import Project
from reports import services
from reports.models import Kind, Status
from reports.pdf import MissingGlyphs, render_pdf
from reports.periods import month_of

from . import factories


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
