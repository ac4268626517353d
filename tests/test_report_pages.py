"""The report pages (SPEC §10): the reading list leaders open instead of the platform, one
document with its progress, the PDF inline or downloaded, and the office's 生成 / 印发 / 重试 /
重新生成 — as the people of the scope matrix see them.

Today is pinned to Monday 23 November 2026. Documents made here by hand carry a small file; the
handbook (an .xlsx, fast) is generated for real, and one briefing PDF for the file's headers.
"""

import datetime
import os
import re

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import services
from reports.models import Kind, Report, Status

from . import factories
from .browser import wait_until
from .conftest import clock_at
from .test_browser_progress import (
    CHROMIUM,
    PHONE,
    browser,  # noqa: F401  (the fixture)
    phone_page,
    scroll_width,
)

TODAY = datetime.date(2026, 11, 23)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def pinned_today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # generated files are kept with their report
    with clock_at(TODAY):
        yield


def document(region, kind=Kind.BRIEFING, period="2026-10", number=1, *, published=None, **fields):
    """A finished report of ``region``'s office, published on ``published`` (a date) or a
    draft when None."""
    year = int(period[:4])
    report = Report(
        kind=kind,
        period=period,
        year=year,
        number=number,
        unit=factories.office(region),
        title=f"{Kind(kind).label}（{period}）{year}年第{number}期",
        status=Status.DONE,
        progress=100,
        page_count=4,
        finished_at=timezone.now(),
        **fields,
    )
    if published is not None:
        report.published_at = timezone.make_aware(
            datetime.datetime.combine(published, datetime.time(9))
        )
    report.file.save(
        f"{kind}-{period}-no{number}.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False
    )
    report.save()
    return report


@pytest.fixture
def shelf(people):
    """Published and draft documents of the province, 无锡, 江阴 and 沭阳 offices."""
    return {
        "province_old": document(
            "320000", period="2026-09", number=1, published=datetime.date(2026, 10, 12)
        ),
        "province": document(
            "320000", period="2026-10", number=2, published=datetime.date(2026, 11, 12)
        ),
        "province_draft": document("320000", period="2026-11", number=3),
        "wuxi": document("320200", period="2026-10", published=datetime.date(2026, 11, 13)),
        "wuxi_draft": document("320200", period="2026-11", number=2),
        "jiangyin": document("320281", period="2026-10", published=datetime.date(2026, 11, 14)),
        "jiangyin_draft": document("320281", period="2026-11", number=2),
        "shuyang": document("321322", period="2026-10", published=datetime.date(2026, 11, 15)),
    }


def logged_in(client, person):
    client.force_login(person)
    return client


def shown(response) -> list[int]:
    """The documents a page lists, in order (each row is ``id="report-<pk>"``)."""
    return [int(pk) for pk in re.findall(r'id="report-(\d+)"', response.content.decode())]


def detail(report):
    return reverse("reports:detail", args=[report.pk])


def file_of(report):
    return reverse("reports:file", args=[report.pk])


# --- the reading list --------------------------------------------------------------------------


def test_the_list_shows_published_documents_newest_first(client, people, shelf):
    response = logged_in(client, people["leader"]).get(reverse("reports:list"))
    assert response.status_code == 200
    listed = shown(response)
    # the leader of the province reads every published document of the province and below it
    assert listed == [
        shelf[name].pk for name in ("shuyang", "jiangyin", "wuxi", "province", "province_old")
    ]
    page = response.content.decode()
    assert "草稿与任务" not in page  # a leader issues nothing
    assert f'href="{file_of(shelf["province"])}"' in page  # 在线阅读
    assert f'href="{file_of(shelf["province"])}?download=1"' in page  # 下载
    assert "2026年第2期" in page and "2026年10月" in page and "省重大项目办" in page


def test_the_list_filters_by_kind_and_year(client, people, shelf):
    handbook = document("320000", Kind.HANDBOOK, "2025-12", published=datetime.date(2026, 1, 5))
    client = logged_in(client, people["leader"])
    assert shown(client.get(reverse("reports:list"), {"kind": "handbook"})) == [handbook.pk]
    by_year = shown(client.get(reverse("reports:list"), {"year": "2025"}))
    assert by_year == [handbook.pk]
    response = client.get(reverse("reports:list"), {"kind": "briefing", "year": "2025"})
    assert shown(response) == []
    assert "没有符合条件的已印发文档" in response.content.decode()
    # a mistyped address shows everything rather than an error
    assert len(shown(client.get(reverse("reports:list"), {"year": "abc"}))) == 6


def test_the_list_pages_keep_the_filter(client, people, shelf, monkeypatch):
    monkeypatch.setattr("reports.views.PER_PAGE", 2)
    client = logged_in(client, people["leader"])
    first = client.get(reverse("reports:list"), {"kind": "briefing"})
    assert shown(first) == [shelf["shuyang"].pk, shelf["jiangyin"].pk]
    assert 'href="?kind=briefing&amp;page=2"' in first.content.decode()
    second = client.get(reverse("reports:list"), {"kind": "briefing", "page": "2"})
    assert shown(second) == [shelf["wuxi"].pk, shelf["province"].pk]


def test_a_leader_reads_the_published_province_report_and_no_drafts(client, people, shelf):
    client = logged_in(client, people["leader"])
    listed = shown(client.get(reverse("reports:list")))
    assert shelf["province"].pk in listed
    assert not {shelf["province_draft"].pk, shelf["wuxi_draft"].pk} & set(listed)
    assert client.get(detail(shelf["province"])).status_code == 200
    assert client.get(detail(shelf["province_draft"])).status_code == 404
    assert client.get(file_of(shelf["province_draft"])).status_code == 404


def test_a_county_office_sees_what_is_sent_to_it_and_its_own_drafts(client, people, shelf):
    # 无锡's briefing goes to its counties; the province's to the cities, not to 江阴
    client = logged_in(client, people["county_office"])
    response = client.get(reverse("reports:list"))
    listed = shown(response)
    assert {shelf[n].pk for n in ("wuxi", "jiangyin", "jiangyin_draft")} <= set(listed)
    assert "草稿与任务" in response.content.decode()
    for hidden in ("wuxi_draft", "province_draft", "shuyang", "province", "province_old"):
        assert shelf[hidden].pk not in listed
    assert client.get(detail(shelf["wuxi_draft"])).status_code == 404
    assert client.get(detail(shelf["jiangyin_draft"])).status_code == 200


def test_a_city_office_sees_its_own_drafts_only(client, people, shelf):
    listed = shown(logged_in(client, people["city_office"]).get(reverse("reports:list")))
    assert shelf["wuxi_draft"].pk in listed
    # drafts and jobs are the issuing office's alone, not the regions' above or below
    assert not {shelf["province_draft"].pk, shelf["jiangyin_draft"].pk} & set(listed)


def test_another_county_does_not_find_jiangyins_report(client, people, shelf):
    client = logged_in(client, people["county_filer2"])  # 沭阳
    for url in (
        detail(shelf["jiangyin"]),
        file_of(shelf["jiangyin"]),
        reverse("reports:status", args=[shelf["jiangyin"].pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.get(detail(shelf["shuyang"])).status_code == 200


def test_an_enterprise_sees_no_documents(client, people, shelf):
    client = logged_in(client, people["enterprise"])
    response = client.get(reverse("reports:list"))
    assert shown(response) == []
    assert "暂无已印发的文档" in response.content.decode()
    assert client.get(detail(shelf["jiangyin"])).status_code == 404
    assert client.get(file_of(shelf["jiangyin"])).status_code == 404


def test_pages_ask_for_a_login(client, shelf):
    response = client.get(detail(shelf["province"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_costs_the_same_for_many_documents(
    client, people, shelf, django_assert_max_num_queries
):
    client = logged_in(client, people["city_office"])
    client.get(reverse("reports:list"))  # session and user warmed up like any later page
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("reports:list"))
    for number in range(3, 13):
        document(
            "320200",
            period=f"2025-{number:02d}",
            number=number,
            published=datetime.date(2026, 1, number),
        )
    document("320281", period="2026-10", number=3, corrects=shelf["jiangyin"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("reports:list"))
    # 无锡's 11 and its draft, 江阴's published one, the province's 2 sent to the cities (not
    # 江阴's draft correcting it: a draft is the issuing office's alone)
    assert len(shown(response)) == 15


# --- generating, following, publishing ---------------------------------------------------------


def test_office_staff_generate_a_document_and_follow_it(client, people):
    client = logged_in(client, people["county_office"])
    response = client.post(
        reverse("reports:request"), {"kind": "handbook", "period": "2026-11"}, follow=True
    )
    report = Report.objects.get()
    assert response.redirect_chain[-1][0] == detail(report)
    page = response.content.decode()
    assert "已提交生成" in page and "生成进度" in page and "job-progress.js" in page
    assert report.unit == people["county_office"].unit and report.status == Status.QUEUED

    status_url = reverse("reports:status", args=[report.pk])
    status = client.get(status_url).json()
    assert status["status"] == "queued" and not status["finished"]
    assert (status["status_label"], status["badge"]) == ("排队中", "queued")
    assert status["file_url"] is None
    # every status badge of the page (beside the title, in the facts, in the job box) follows
    # the poll of that address
    assert page.count(f'data-job-badge="{status_url}"') == 2
    assert page.count(f'data-job-status="{status_url}"') == 1

    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, progress=60)
    status = client.get(status_url).json()
    assert (status["status_label"], status["badge"], status["percent"]) == ("生成中", "running", 60)

    Report.objects.filter(pk=report.pk).update(status=Status.QUEUED, progress=0)
    services.report_run(report.pk)
    status = client.get(status_url).json()
    assert status["finished"] and status["progress"] == 100
    assert (status["status_label"], status["badge"]) == ("待印发", "done")
    assert status["file_url"] == file_of(report)
    page = client.get(detail(report)).content.decode()
    assert "待印发" in page and "生成进度" not in page
    assert f'href="{file_of(report)}?download=1"' in page
    assert "印发后文档即存档" in page  # the publish button and its warning


def test_a_refused_request_is_shown_on_the_form(client, people):
    client = logged_in(client, people["county_office"])
    response = client.post(
        reverse("reports:request"), {"kind": "weekly_agenda", "period": "2026-11"}
    )
    assert response.status_code == 400
    assert "周期应为“年-W周”，如 2026-W48。" in response.content.decode()
    response = client.post(reverse("reports:request"), {"kind": "briefing", "period": "2027-01"})
    assert "不能为尚未开始的月份生成文档。" in response.content.decode()
    assert not Report.objects.exists()


def test_only_office_staff_may_generate(client, people):
    client = logged_in(client, people["leader"])
    response = client.post(reverse("reports:request"), {"kind": "handbook", "period": "2026-11"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_publish_makes_the_document_final(client, people, shelf):
    draft = shelf["jiangyin_draft"]
    client = logged_in(client, people["county_office"])
    refused = client.post(reverse("reports:publish", args=[draft.pk]))  # not confirmed
    assert refused.status_code == 400 and "请先勾选确认" in refused.content.decode()

    response = client.post(
        reverse("reports:publish", args=[draft.pk]), {"confirm": "on"}, follow=True
    )
    assert "已印发" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_published and draft.published_by == people["county_office"]
    assert draft.pk in shown(logged_in(Client(), people["leader"]).get(reverse("reports:list")))

    again = client.post(reverse("reports:publish", args=[draft.pk]), {"confirm": "on"})
    assert again.status_code == 400
    assert "该文档已印发，不能再次印发。" in again.content.decode()
    page = client.get(detail(draft)).content.decode()
    assert "印发后文档即存档" not in page and "重新生成</button>" not in page


def test_only_the_issuing_region_publishes(client, people, shelf):
    # 无锡's office does not even find 江阴's draft; a leader of 江阴 reads but does not issue
    client = logged_in(client, people["city_office"])
    assert client.get(detail(shelf["jiangyin_draft"])).status_code == 404
    response = client.post(
        reverse("reports:publish", args=[shelf["jiangyin_draft"].pk]), {"confirm": "on"}
    )
    assert response.status_code == 404
    county_filer = logged_in(Client(), people["county_filer"])
    page = county_filer.get(detail(shelf["jiangyin"])).content.decode()
    assert "印发后文档即存档" not in page
    shelf["jiangyin_draft"].refresh_from_db()
    assert not shelf["jiangyin_draft"].is_published


def test_a_failure_is_shown_and_retried(client, people, monkeypatch):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )

    def broken(*args, **kwargs):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr("reports.documents.build", broken)
    services.report_run(report.pk)
    client = logged_in(client, people["county_office"])
    listed = client.get(reverse("reports:list")).content.decode()
    assert "生成失败" in listed and "字体缺失" in listed
    page = client.get(detail(report)).content.decode()
    assert "字体缺失" in page and "重试</button>" in page

    response = client.post(reverse("reports:retry", args=[report.pk]), follow=True)
    assert "已重新提交生成" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.QUEUED and report.error == "" and report.number == 1

    again = client.post(reverse("reports:retry", args=[report.pk]))
    assert again.status_code == 400
    assert "只有生成失败或长时间没有完成的文档可以重试。" in again.content.decode()


def test_a_finished_draft_is_regenerated_under_its_number(client, people, shelf):
    draft = shelf["jiangyin_draft"]
    client = logged_in(client, people["county_office"])
    response = client.post(reverse("reports:regenerate", args=[draft.pk]))
    assert response.status_code == 302 and response["Location"] == detail(draft)
    draft.refresh_from_db()
    assert draft.status == Status.QUEUED and draft.number == 2
    assert Report.objects.filter(unit=draft.unit, kind=draft.kind).count() == 2

    published = client.post(reverse("reports:regenerate", args=[shelf["jiangyin"].pk]))
    assert published.status_code == 400
    assert not Report.objects.filter(corrects=shelf["jiangyin"]).exists()


def test_a_correction_names_the_issue_it_corrects(client, people, shelf):
    client = logged_in(client, people["county_office"])
    refused = client.post(reverse("reports:request"), {"kind": "briefing", "period": "2026-10"})
    assert refused.status_code == 400 and "已印发" in refused.content.decode()
    assert not Report.objects.filter(corrects=shelf["jiangyin"]).exists()
    client.post(
        reverse("reports:request"), {"kind": "briefing", "period": "2026-10", "correction": "on"}
    )
    correction = Report.objects.get(corrects=shelf["jiangyin"])
    assert correction.number == 3
    assert "更正第1期" in client.get(detail(correction)).content.decode()


# --- the file ----------------------------------------------------------------------------------


def test_the_file_opens_inline_or_downloads(client, people, library):
    report, _queued = services.report_request(
        kind="briefing", period="2026-11", by=people["province_office"]
    )
    report = services.report_run(report.pk)
    assert report.status == Status.DONE, report.error
    client = logged_in(client, people["province_office"])
    assert '<object class="pdf-viewer"' in client.get(detail(report)).content.decode()

    inline = client.get(file_of(report))
    assert inline.status_code == 200
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline;")
    assert "filename*=utf-8''" in inline["Content-Disposition"].lower()
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["X-Frame-Options"] == "SAMEORIGIN"  # the detail page embeds it
    assert b"".join(inline.streaming_content).startswith(b"%PDF")

    download = client.get(file_of(report), {"download": "1"})
    assert download["Content-Disposition"].startswith("attachment;")


def test_the_handbook_downloads_as_a_workbook(client, people):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )
    services.report_run(report.pk)
    response = logged_in(client, people["county_office"]).get(file_of(report), {"download": "1"})
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")


def test_no_file_yet_is_not_found(client, people):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )
    assert logged_in(client, people["county_office"]).get(file_of(report)).status_code == 404


# --- CSRF --------------------------------------------------------------------------------------


def test_posts_without_the_csrf_token_are_refused(people, shelf):
    client = logged_in(Client(enforce_csrf_checks=True), people["county_office"])
    assert (
        client.post(
            reverse("reports:request"), {"kind": "handbook", "period": "2026-11"}
        ).status_code
        == 403
    )
    publish = client.post(
        reverse("reports:publish", args=[shelf["jiangyin_draft"].pk]), {"confirm": "on"}
    )
    assert publish.status_code == 403
    shelf["jiangyin_draft"].refresh_from_db()
    assert not shelf["jiangyin_draft"].is_published
    assert not Report.objects.filter(kind=Kind.HANDBOOK).exists()


# --- in a browser ------------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no chromium at {CHROMIUM}")
def test_a_phone_follows_the_job_and_publishes(
    transactional_db,
    people,
    live_server,
    browser,  # noqa: F811
):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["county_office"]
    )
    page = phone_page(browser, live_server, people["county_office"])
    page.goto(live_server.url + detail(report))
    bar = "#progress progress"
    badges = ".pagehead .report-status, #facts .report-status, #progress .report-status"
    assert page.eval_on_selector(bar, "bar => bar.value") == 0
    assert page.eval_on_selector_all(badges, "all => all.map(b => b.textContent)") == ["排队中"] * 3
    Report.objects.filter(pk=report.pk).update(status=Status.RUNNING, progress=60, step="汇总")
    wait_until(page, f"document.querySelector('{bar}').value === 60")
    # the badges follow the same poll as the bar: none says 排队中 beside a bar at 60 %
    assert (
        page.eval_on_selector_all(
            badges, "all => all.map(b => [b.textContent, b.classList.contains('status-running')])"
        )
        == [["生成中", True]] * 3
    )
    Report.objects.filter(pk=report.pk).update(progress=70, step="正在写入工作簿")
    wait_until(page, f"document.querySelector('{bar}').value === 70")
    assert "正在写入工作簿" in page.inner_text("#progress")

    # the pretended run hands the report back, and a real one (a worker's) finishes it: the
    # page reloads itself and offers the file
    Report.objects.filter(pk=report.pk).update(status=Status.QUEUED)
    services.report_run(report.pk)
    page.wait_for_selector("#publish", timeout=8000)
    assert page.locator("#progress").count() == 0
    assert scroll_width(page) <= PHONE["width"]
    page.get_by_label("我已核对文档内容，确认印发").check()
    page.get_by_role("button", name="印发", exact=True).click()
    page.wait_for_load_state()
    assert "已印发" in page.inner_text(".messages")
    report.refresh_from_db()
    assert report.is_published
    page.goto(live_server.url + reverse("reports:list"))
    assert scroll_width(page) <= PHONE["width"]
    assert page.locator(f"#report-{report.pk}").is_visible()
    page.context.close()


def test_files_are_never_served_from_media(client, people):
    report, _queued = services.report_request(
        kind="handbook", period="2026-11", by=people["city_office"]
    )
    report = services.report_run(report.pk)
    path = f"/media/{report.file.name}"
    assert client.get(path).status_code == 404
    assert logged_in(client, people["county_filer2"]).get(path).status_code == 404
    # only through the scoped view
    assert logged_in(client, people["city_office"]).get(file_of(report)).status_code == 200
    assert "/media/" not in report.file.name and str(report.unit_id) in report.file.name
