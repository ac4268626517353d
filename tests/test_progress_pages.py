"""The monthly progress pages (SPEC §8): where each county stands, the county's month as one
sheet (cards on a phone) with its review, the Excel template and upload with the progress of a
large import, and the completion handbook — as the people of the scope matrix see them.

Today is pinned to Monday 23 November 2026: November's deadline (the 20th) has passed.
"""

import datetime
import io
import os
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from progress import imports, services
from progress.models import FilingReminder, MonthlyReport, ProgressImport, ReportStatus
from projects.models import Admission, Stage

from . import factories
from .browser import wait_until
from .conftest import clock_at
from .test_browser_progress import (
    CHROMIUM,
    browser,  # noqa: F401  (the fixture)
    phone_page,
)

TODAY = datetime.date(2026, 11, 23)
PERIOD = "2026-11"


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield TODAY


def active(region, by, name, **fields):
    values = {
        "stage": Stage.STARTED,
        "admission": Admission.ADMITTED,
        "started_on": datetime.date(2026, 5, 1),
        "planned_investment_year": Decimal("1000"),
        "name": name,
    }
    values.update(fields)
    return factories.project(region, by=by, **values)


@pytest.fixture
def world(people):
    """江阴: two active projects and one still being planned (no form); 宜兴 and 沭阳: one
    active project each. 江阴一号 filed 80万元 in October."""
    by = people["province_office"]
    jy1 = active("320281", by, "江阴一号")
    jy2 = active(
        "320281",
        by,
        "江阴二号",
        stage=Stage.FILED,
        started_on=None,
        filed_on=datetime.date(2026, 3, 1),
    )
    planning = factories.project("320281", by=by, name="江阴谋划项目")
    yixing = active("320282", by, "宜兴项目")
    shuyang = active("321322", by, "沭阳项目")
    october, _ = services.report_save(
        project=jy1,
        period="2026-10",
        by=people["county_filer"],
        investment_this_month="80",
        physical_progress="基础施工",
        percent_complete="30",
    )
    services.report_submit(report=october, by=people["county_filer"])
    services.report_approve(report=october, by=people["city_office"])
    return {
        **people,
        "jy1": jy1,
        "jy2": jy2,
        "planning": planning,
        "yixing": yixing,
        "shuyang": shuyang,
    }


def login(client, person):
    assert client.login(username=person.username, password=factories.PASSWORD)
    return client


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row_html(html: str, project) -> str:
    match = re.search(rf'<tr id="p{project.pk}"(.*?)</tr>', html, re.S)
    assert match, project.name
    return match.group(0)


def sheet_url(region="320281", period=PERIOD):
    return reverse("progress:form", kwargs={"region": region, "period": period})


def sheet_post(project, **values) -> dict:
    return {f"p{project.pk}-{name}": value for name, value in values.items()}


def filled(world, action="save", **extra):
    data = {
        "action": action,
        **sheet_post(
            world["jy1"],
            investment_this_month="120",
            physical_progress="主体结构施工",
            percent_complete="45",
        ),
        **sheet_post(world["jy2"], investment_this_month="60", physical_progress="场地平整"),
    }
    data.update(extra)
    return data


# --- landing and scope ------------------------------------------------------------------------


def test_county_filer_lands_on_the_county_month(client, world):
    response = login(client, world["county_filer"]).get(reverse("progress:index"))
    assert response.status_code == 302
    assert response["Location"] == sheet_url()


def test_sheet_lists_every_active_project_with_last_month_beside_it(client, world):
    html = login(client, world["county_filer"]).get(sheet_url()).content.decode()
    assert "江阴一号" in html and "江阴二号" in html
    assert "江阴谋划项目" not in html  # not yet filing
    assert "宜兴项目" not in html and "沭阳项目" not in html
    first = text(row_html(html, world["jy1"]))
    assert "未填报" in first
    assert "上月 80.00 · 上月本年累计 80.00" in first
    assert "总投资 50,000.00 万元" in first  # the money rule: 万元 with separators
    assert "上月：基础施工" in first and "上月 30%" in first
    assert f'name="p{world["jy1"].pk}-investment_this_month"' in html
    assert "报送截止 2026-11-20" in text(html) and "已过截止日" in html
    assert "保存草稿" in html and "全部报送" in html and "下载填报模板" in html


def test_other_county_and_outsiders_do_not_find_the_sheet(client, world):
    login(client, world["county_filer2"])
    assert client.get(sheet_url()).status_code == 404
    assert client.post(sheet_url(), filled(world)).status_code == 404
    assert client.get(reverse("progress:template", args=["320281", PERIOD])).status_code == 404
    assert client.post(reverse("progress:approve-all", args=["320281", PERIOD])).status_code == 404
    assert client.get(sheet_url("321322")).status_code == 200
    assert not MonthlyReport.objects.filter(period=PERIOD).exists()

    login(client, world["nobody"])
    assert client.get(sheet_url()).status_code == 404


def test_enterprise_sees_only_its_own_projects_read_only(client, world):
    own = active(
        "320281", world["province_office"], "澄新在建项目", unit_obj=world["enterprise"].unit
    )
    login(client, world["enterprise"])
    assert client.get(reverse("progress:index")).status_code == 302
    html = client.get(sheet_url()).content.decode()
    assert "澄新在建项目" in html
    assert "江阴一号" not in html and "江阴二号" not in html
    assert f'name="p{own.pk}-investment_this_month"' not in html  # not a filer
    assert "保存草稿" not in html and "下载填报模板" not in html
    assert client.post(sheet_url(), sheet_post(own, investment_this_month="1")).status_code == 403
    assert client.get(sheet_url("321322")).status_code == 404


def test_future_month_is_refused_with_a_message(client, world):
    response = login(client, world["county_filer"]).get(sheet_url(period="2026-12"))
    assert response.status_code == 404
    assert "不能填报未来月份（2026-12）的进展。" in response.content.decode()
    assert login(client, world["city_office"]).get(sheet_url(period="2026-13")).status_code == 404


# --- saving and submitting ---------------------------------------------------------------------


def test_save_draft_keeps_the_values(client, world):
    login(client, world["county_filer"])
    response = client.post(sheet_url(), filled(world), follow=True)
    assert "草稿已保存：新增2个，修改0个，未变化0个。尚未报送。" in response.content.decode()
    report = MonthlyReport.objects.get(project=world["jy1"], period=PERIOD)
    assert report.status == ReportStatus.DRAFT
    assert report.investment_this_month == Decimal("120")
    assert report.investment_ytd == Decimal("200")  # October's 80 before it
    row = row_html(response.content.decode(), world["jy1"])
    assert 'value="120.00"' in row and "主体结构施工" in row and 'value="45.00"' in row
    assert "草稿" in text(row) and "本年累计 200.00" in text(row)


def test_an_invalid_row_shows_its_error_and_saves_nothing(client, world):
    login(client, world["county_filer"])
    data = filled(world, **sheet_post(world["jy2"], investment_this_month="-5"))
    data[f"p{world['jy2'].pk}-physical_progress"] = "场地平整"
    response = client.post(sheet_url(), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "1个项目的数据有误，未保存任何数据，请修改后重新提交。" in html
    bad = row_html(html, world["jy2"])
    assert "本月完成投资不能为负数。" in bad and 'class="sheet-field has-error"' in bad
    assert 'value="-5"' in bad  # what was typed stays
    good = row_html(html, world["jy1"])
    assert "本月完成投资不能为负数。" not in good and 'value="120"' in good
    assert not MonthlyReport.objects.filter(period=PERIOD).exists()


def test_submit_all_needs_the_physical_progress(client, world):
    login(client, world["county_filer"])
    data = filled(world, action="submit")
    data[f"p{world['jy2'].pk}-physical_progress"] = ""
    response = client.post(sheet_url(), data)
    assert response.status_code == 400
    assert "报送前请填写形象进度。" in row_html(response.content.decode(), world["jy2"])
    assert not MonthlyReport.objects.filter(period=PERIOD).exists()


def test_submit_all(client, world):
    login(client, world["county_filer"])
    response = client.post(sheet_url(), filled(world, action="submit"), follow=True)
    html = response.content.decode()
    assert "已报送2个项目的本月进展，等待市级或省级重大办审核。" in html
    statuses = set(MonthlyReport.objects.filter(period=PERIOD).values_list("status", flat=True))
    assert statuses == {ReportStatus.SUBMITTED}
    for project in (world["jy1"], world["jy2"]):
        row = row_html(html, project)
        assert "已报送" in text(row)
        assert "investment_this_month" not in row  # read-only once submitted
    assert "保存草稿" not in html  # nothing left to change


def test_submit_all_skips_blank_rows_and_says_so(client, world):
    login(client, world["county_filer"])
    data = {
        "action": "submit",
        **sheet_post(world["jy1"], investment_this_month="10", physical_progress="施工"),
    }
    response = client.post(sheet_url(), data, follow=True)
    assert "已报送1个项目的本月进展" in response.content.decode()
    assert "另有1个项目未填写，未报送。" in response.content.decode()


def test_problems_become_an_issue_on_submit(client, world):
    login(client, world["county_filer"])
    data = filled(world, action="submit")
    data[f"p{world['jy1'].pk}-problems"] = "电力接入慢"
    data[f"p{world['jy1'].pk}-problem_category"] = "utilities"
    html = client.post(sheet_url(), data, follow=True).content.decode()
    report = MonthlyReport.objects.get(project=world["jy1"], period=PERIOD)
    assert report.issue is not None and report.issue.category == "utilities"
    assert "已转困难问题" in row_html(html, world["jy1"])


# --- review ------------------------------------------------------------------------------------


@pytest.fixture
def submitted(client, world):
    login(client, world["county_filer"])
    client.post(sheet_url(), filled(world, action="submit"))
    client.logout()
    return {p: MonthlyReport.objects.get(project=world[p], period=PERIOD) for p in ("jy1", "jy2")}


def action_url(report, action):
    return reverse("progress:report-action", args=[report.pk, action])


def test_filer_cannot_review(client, world, submitted):
    html = login(client, world["county_filer"]).get(sheet_url()).content.decode()
    assert "审核通过" not in html and "全部审核通过" not in html
    client.post(action_url(submitted["jy1"], "approve"))
    submitted["jy1"].refresh_from_db()
    assert submitted["jy1"].status == ReportStatus.SUBMITTED


def test_city_office_approves_and_returns_with_a_comment(client, world, submitted):
    login(client, world["city_office"])
    html = client.get(sheet_url()).content.decode()
    assert "审核通过" in row_html(html, world["jy1"]) and "全部审核通过（2 个）" in html

    response = client.post(action_url(submitted["jy1"], "approve"), follow=True)
    assert "江阴一号：已审核通过。" in response.content.decode()
    no_comment = client.post(action_url(submitted["jy2"], "return"), {"comment": " "}, follow=True)
    assert "退回时请写明需要修改的内容。" in no_comment.content.decode()
    client.post(action_url(submitted["jy2"], "return"), {"comment": "投资额与台账不符"})

    jy1, jy2 = (MonthlyReport.objects.get(pk=submitted[p].pk) for p in ("jy1", "jy2"))
    assert jy1.status == ReportStatus.APPROVED and jy1.approved_by == world["city_office"]
    assert jy2.status == ReportStatus.RETURNED and jy2.review_comment == "投资额与台账不符"

    html = login(client, world["county_filer"]).get(sheet_url()).content.decode()
    returned = row_html(html, world["jy2"])
    assert "退回意见：投资额与台账不符" in text(returned)
    assert f'name="p{world["jy2"].pk}-investment_this_month"' in returned  # to correct
    approved = row_html(html, world["jy1"])
    assert "已审核" in text(approved) and "investment_this_month" not in approved


def test_read_only_after_approval(client, world, submitted):
    login(client, world["city_office"])
    client.post(reverse("progress:approve-all", args=["320281", PERIOD]))
    assert set(MonthlyReport.objects.filter(period=PERIOD).values_list("status", flat=True)) == {
        ReportStatus.APPROVED
    }
    login(client, world["county_filer"])
    html = client.get(sheet_url()).content.decode()
    assert "investment_this_month" not in html and "保存草稿" not in html
    # a post of the old form changes nothing
    client.post(sheet_url(), filled(world, **sheet_post(world["jy1"], investment_this_month="999")))
    assert MonthlyReport.objects.get(pk=submitted["jy1"].pk).investment_this_month == 120


def earlier_month_submitted(world, project="jy2"):
    """The project's October, filed and sent but not yet reviewed."""
    october, _ = services.report_save(
        project=world[project],
        period="2026-10",
        by=world["county_filer"],
        investment_this_month="20",
        physical_progress="场地平整",
    )
    return services.report_submit(report=october, by=world["county_filer"])


def test_a_form_held_back_by_an_earlier_month_shows_that_month_not_a_button(
    client, world, submitted
):
    earlier_month_submitted(world)
    login(client, world["city_office"])
    html = client.get(sheet_url()).content.decode()
    held = row_html(html, world["jy2"])
    assert action_url(submitted["jy2"], "approve") not in html  # no button that would fail
    assert "请先审核通过2026年10月的月报（该月目前为“已报送”），再审核2026年11月的月报。" in (
        text(held)
    )
    assert f'href="{sheet_url(period="2026-10")}#p{world["jy2"].pk}"' in held
    assert "退回" in held  # returning it stays possible
    assert action_url(submitted["jy1"], "approve") in html
    assert "全部审核通过（2 个）" in html
    assert "其中 1 个项目的更早月份已报送、尚未审核" in text(html)


def test_a_single_approve_held_back_names_the_month_and_links_to_it(client, world, submitted):
    earlier_month_submitted(world)
    login(client, world["city_office"])
    response = client.post(action_url(submitted["jy2"], "approve"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == sheet_url() + f"#p{world['jy2'].pk}"
    message = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S).group(1)
    assert "江阴二号：“审核通过”未完成。请先审核通过2026年10月的月报" in text(message)
    link = f'<a href="{sheet_url(period="2026-10")}#p{world["jy2"].pk}">查看2026年10月的月报</a>'
    assert link in message
    assert MonthlyReport.objects.get(pk=submitted["jy2"].pk).status == ReportStatus.SUBMITTED


def test_approve_all_goes_month_by_month_and_lists_what_it_skipped(client, world, submitted):
    earlier_month_submitted(world)  # 江阴二号: October waits, then November
    third = active("320281", world["province_office"], "江阴三号")
    services.report_save(
        project=third,
        period="2026-10",
        by=world["county_filer"],
        investment_this_month="5",
        physical_progress="设计",
    )  # left a draft
    november, _ = services.report_save(
        project=third,
        period=PERIOD,
        by=world["county_filer"],
        investment_this_month="5",
        physical_progress="施工",
    )
    services.report_submit(report=november, by=world["county_filer"])

    login(client, world["city_office"])
    response = client.post(reverse("progress:approve-all", args=["320281", PERIOD]), follow=True)
    html = response.content.decode()
    said = text(re.search(r'<ul class="messages">(.*)</ul>', html, re.S).group(1))
    assert "已审核通过3份月报。其中1份为更早月份的月报，已按月份先后先行审核通过。" in said
    assert (
        "1份月报未审核通过，原因如下： 江阴三号（2026年11月）：请先审核通过2026年10月的月报"
        "（该月目前为“草稿”），再审核2026年11月的月报。 查看2026年10月的月报"
    ) in said
    status = {
        (report.project.name, report.period): report.status
        for report in MonthlyReport.objects.select_related("project")
    }
    assert status[("江阴二号", "2026-10")] == status[("江阴二号", PERIOD)] == ReportStatus.APPROVED
    assert status[("江阴一号", PERIOD)] == ReportStatus.APPROVED
    assert status[("江阴三号", PERIOD)] == ReportStatus.SUBMITTED


def test_approve_all_by_someone_who_does_not_review_approves_nothing(client, world, submitted):
    login(client, world["county_filer"])
    response = client.post(reverse("progress:approve-all", args=["320281", PERIOD]), follow=True)
    assert "月度进展由项目所在地的市级或省级重大办审核。" in response.content.decode()
    assert set(MonthlyReport.objects.filter(period=PERIOD).values_list("status", flat=True)) == {
        ReportStatus.SUBMITTED
    }


def test_reopen_needs_a_reason(client, world, submitted):
    login(client, world["city_office"])
    client.post(reverse("progress:approve-all", args=["320281", PERIOD]))
    html = client.get(sheet_url()).content.decode()
    assert "重新打开原因（必填）" in row_html(html, world["jy1"])
    refused = client.post(action_url(submitted["jy1"], "reopen"), {"comment": ""}, follow=True)
    assert "重新打开已审核的进展必须填写原因。" in refused.content.decode()
    client.post(action_url(submitted["jy1"], "reopen"), {"comment": "统计口径调整"})
    report = MonthlyReport.objects.get(pk=submitted["jy1"].pk)
    assert report.status == ReportStatus.RETURNED
    assert report.events.filter(action="reopen", comment="统计口径调整").exists()


def test_review_of_out_of_scope_report_is_not_found(client, world, submitted):
    login(client, world["county_filer2"])
    assert client.post(action_url(submitted["jy1"], "approve")).status_code == 404
    assert client.post(action_url(submitted["jy1"], "delete")).status_code == 404


# --- the phone ---------------------------------------------------------------------------------


def test_rows_carry_the_card_markup(client, world):
    html = login(client, world["county_filer"]).get(sheet_url()).content.decode()
    row = row_html(html, world["jy1"])
    for label in (
        "项目",
        "本月完成投资（万元）",
        "形象进度",
        "完成百分比（%）",
        "本月进入阶段",
        "存在问题",
    ):
        assert f'data-label="{label}"' in row
    # each input has its own label, shown above it on a phone
    field_id = f"id_p{world['jy1'].pk}-investment_this_month"
    assert f'<label for="{field_id}" class="cell-label">' in row
    assert 'inputmode="decimal"' in row
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


# --- the filing status -------------------------------------------------------------------------


def test_filing_status_lists_counties_and_missing_projects(client, world, submitted):
    # 江阴一号 was filed on the deadline day, 江阴二号 a day late
    for key, day in (("jy1", 20), ("jy2", 21)):
        MonthlyReport.objects.filter(pk=submitted[key].pk).update(
            submitted_at=timezone.make_aware(datetime.datetime(2026, 11, day, 23, 30))
        )
    login(client, world["city_office"])
    response = client.get(reverse("progress:index"), {"period": PERIOD})
    assert response.status_code == 200
    html = response.content.decode()
    jiangyin = text(re.search(r'<tr id="region-320281".*?</tr>', html, re.S).group(0))
    assert "江阴市 2 2 0 0 0 0" in jiangyin and "逾期报送 1 个" in jiangyin
    assert "待审核 2 个" in jiangyin and "逾期未报" not in jiangyin
    yixing = text(re.search(r'<tr id="region-320282".*?</tr>', html, re.S).group(0))
    assert "宜兴市 1 0 0 0 0 1" in yixing and "逾期未报" in yixing
    assert "沭阳" not in html
    missing = re.search(r'id="missing">(.*?)</section>', html, re.S).group(1)
    assert "宜兴项目" in missing and "江阴一号" not in missing
    assert f'href="{sheet_url("320282")}#p{world["yixing"].pk}"' in missing
    assert f'href="{reverse("projects:detail", args=[world["yixing"].pk])}"' in missing
    assert f"{reverse('progress:handbook')}?period={PERIOD}" in html


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (datetime.date(2026, 12, 6), "2026-11"),  # November still being filed and reviewed
        (datetime.date(2026, 12, 20), "2026-11"),  # December's deadline day
        (datetime.date(2026, 12, 21), "2026-12"),  # past it
    ],
)
def test_progress_opens_the_month_being_filed(client, world, day, month):
    with clock_at(day):
        login(client, world["city_office"])
        html = client.get(reverse("progress:index")).content.decode()
        assert f"{month} 月度进展报送情况" in html
        login(client, world["county_filer"])
        assert client.get(reverse("progress:index"))["Location"] == sheet_url(period=month)


def test_progress_opens_this_month_once_last_month_is_all_approved(client, world, submitted):
    login(client, world["city_office"])
    client.post(reverse("progress:approve-all", args=["320281", PERIOD]))
    with clock_at(datetime.date(2026, 12, 6)):
        # 江阴 is done with November; 宜兴 (also the city's) is not
        html = client.get(reverse("progress:index")).content.decode()
        assert "2026-11 月度进展报送情况" in html
        jiangyin = client.get(reverse("progress:index"), {"region": "320281"}).content.decode()
        assert "2026-12 月度进展报送情况" in jiangyin
        login(client, world["county_filer"])
        assert client.get(reverse("progress:index"))["Location"] == sheet_url(period="2026-12")
        page = client.get(world["jy1"].get_absolute_url()).content.decode()
        assert f'href="{sheet_url(period="2026-12")}#p{world["jy1"].pk}"' in page


def test_filing_status_month_picker_and_region(client, world):
    login(client, world["province_office"])
    html = client.get(reverse("progress:index"), {"period": "2026-10"}).content.decode()
    assert "2026-10 月度进展报送情况" in html
    assert "江阴市" in html and "沭阳县" in html
    future = client.get(reverse("progress:index"), {"period": "2027-01"}).content.decode()
    assert "不能填报未来月份（2027-01）的进展。" in future
    narrowed = client.get(reverse("progress:index"), {"region": "321300"}).content.decode()
    assert 'id="region-321322"' in narrowed and 'id="region-320281"' not in narrowed
    login(client, world["city_office"])
    assert client.get(reverse("progress:index"), {"region": "321300"}).status_code == 404


def test_reminders_show_on_the_county_month(client, world):
    FilingReminder.objects.create(
        region_id="320281",
        period=PERIOD,
        sent_on=datetime.date(2026, 11, 18),
        missing=2,
        deadline=datetime.date(2026, 11, 20),
    )
    html = login(client, world["county_filer"]).get(sheet_url()).content.decode()
    assert "2026-11-18 提醒：本月尚有 2 个项目未报送，请于 2026-11-20 前报送。" in html


# --- Excel -------------------------------------------------------------------------------------


def template_from_page(client) -> bytes:
    response = client.get(reverse("progress:template", args=["320281", PERIOD]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return b"".join(response.streaming_content) if response.streaming else response.content


def fill(data: bytes, rows: dict[int, tuple]) -> bytes:
    """Fill columns H (本月完成投资) and I (形象进度) of the template's rows."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["月度进展"]
    for row, (money, progress) in rows.items():
        sheet[f"H{row}"] = money
        sheet[f"I{row}"] = progress
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="进展.xlsx"):
    return client.post(
        reverse("progress:upload", args=["320281", PERIOD]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_upload_a_filled_template(client, world):
    login(client, world["county_filer"])
    content = fill(template_from_page(client), {4: (120, "主体施工"), 5: (60, "场地平整")})
    response = upload(client, content)
    assert response.status_code == 302 and response["Location"] == sheet_url()
    page = client.get(sheet_url()).content.decode()
    assert "导入完成：新增2条，更新0条，未变化0条" in page
    assert MonthlyReport.objects.filter(period=PERIOD, status=ReportStatus.DRAFT).count() == 2
    again = upload(client, content)  # the same file again creates nothing
    assert again.status_code == 302
    assert "新增0条，更新0条，未变化2条" in client.get(sheet_url()).content.decode()


def test_after_an_import_the_page_says_the_rows_are_drafts_until_submitted(client, world):
    login(client, world["county_filer"])
    content = fill(template_from_page(client), {4: (120, "主体施工"), 5: (60, "场地平整")})
    page = client.get(upload(client, content)["Location"]).content.decode()
    note = (
        "导入的进展是草稿，尚未报送，重大办看不到也不能审核：请核对后点击填报页下方的“全部报送”。"
    )
    assert note in page and f'<a href="{sheet_url()}#sheet-submit">去报送</a>' in page
    assert "本月有 2 个项目的进展是草稿（含 Excel 导入的），尚未报送" in text(page)
    assert 'id="sheet-submit"' in page and 'name="action" value="submit"' in page
    assert not MonthlyReport.objects.filter(period=PERIOD).exclude(status="draft").exists()

    # the sheet's 全部报送 sends them as they were imported
    response = client.post(sheet_url(), filled(world, action="submit"), follow=True)
    assert "已报送2个项目的本月进展" in response.content.decode()
    assert "尚未报送，重大办看不到" not in response.content.decode()
    assert set(MonthlyReport.objects.filter(period=PERIOD).values_list("status", flat=True)) == {
        ReportStatus.SUBMITTED
    }


def test_an_office_sees_no_draft_notice_it_cannot_act_on(client, world):
    login(client, world["county_filer"])
    client.post(sheet_url(), filled(world))  # two drafts
    login(client, world["enterprise"])
    assert "尚未报送，重大办看不到" not in client.get(sheet_url()).content.decode()


def test_upload_refused_file_shows_the_message_at_the_field(client, world):
    login(client, world["county_filer"])
    response = upload(client, "项目代码,本月完成投资\n1,2\n".encode(), name="伪装.xlsx")
    assert response.status_code == 400
    html = response.content.decode()
    assert "上传未成功" in html
    form = re.search(r'<form[^>]*class="upload-form".*?</form>', html, re.S).group(0)
    assert 'class="sheet-field has-error"' in form and 'role="alert"' in form
    assert not ProgressImport.objects.exists()
    assert upload(client, b"").status_code == 400


def test_upload_with_bad_rows_lists_them_by_row_and_column(client, world):
    login(client, world["county_filer"])
    content = fill(template_from_page(client), {4: (-3, "主体施工"), 5: ("很多", "场地平整")})
    response = upload(client, content)
    assert response.status_code == 400
    html = response.content.decode()
    errors = text(re.search(r'id="import-errors".*?</section>', html, re.S).group(0))
    assert "未导入任何数据" in errors
    assert "4 本月完成投资（万元） 本月完成投资不能为负数。" in errors
    assert re.search(r"5 本月完成投资（万元） \S*应为数字", errors)
    assert not MonthlyReport.objects.filter(period=PERIOD).exists()


def test_a_large_upload_runs_in_the_background_with_a_progress_page(client, world, settings):
    settings.PROGRESS_IMPORT_SYNC_ROWS = 1
    login(client, world["county_filer"])
    content = fill(template_from_page(client), {4: (120, "主体施工"), 5: (60, "场地平整")})
    response = upload(client, content)
    job = ProgressImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("progress:import", args=[job.pk])

    page = client.get(response["Location"]).content.decode()
    assert '<progress id="job-progress" max="100" value="0"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert reverse("progress:import-status", args=[job.pk]) in page
    status = client.get(reverse("progress:import-status", args=[job.pk])).json()
    assert status["status"] == "queued" and status["finished"] is False
    assert status["total_rows"] == 2 and status["percent"] == 0

    imports.run_import(job.pk)  # what the worker does
    status = client.get(reverse("progress:import-status", args=[job.pk])).json()
    assert status["status"] == "done" and status["finished"] and status["percent"] == 100
    assert status["created"] == 2
    page = client.get(reverse("progress:import", args=[job.pk])).content.decode()
    assert "导入完成：新增2条" in page and "http-equiv" not in page
    assert "job-progress.js" not in page  # finished: nothing polls any more
    assert "导入的进展是草稿，尚未报送" in page
    assert f'<a href="{sheet_url()}#sheet-submit">去报送</a>' in page
    assert f'href="{sheet_url()}"' in page

    login(client, world["county_filer2"])
    assert client.get(reverse("progress:import", args=[job.pk])).status_code == 404
    assert client.get(reverse("progress:import-status", args=[job.pk])).status_code == 404


def test_a_failed_background_import_shows_its_errors(client, world, settings):
    settings.PROGRESS_IMPORT_SYNC_ROWS = 1
    login(client, world["county_filer"])
    upload(client, fill(template_from_page(client), {4: (-3, "主体施工"), 5: (1, "x")}))
    job = ProgressImport.objects.get()
    imports.run_import(job.pk)
    page = client.get(reverse("progress:import", args=[job.pk])).content.decode()
    assert "本月完成投资不能为负数。" in page and "未导入任何数据" in page
    assert client.get(reverse("progress:import-status", args=[job.pk])).json()["errors"][0] == {
        "row": 4,
        "column": "本月完成投资（万元）",
        "message": "本月完成投资不能为负数。",
    }


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no chromium at {CHROMIUM}")
def test_a_phone_follows_a_background_import(
    transactional_db,
    people,
    live_server,
    browser,  # noqa: F811
):
    filer = people["county_filer"]
    job = ProgressImport.objects.create(
        region=filer.region,
        period=PERIOD,
        file_name="江阴11月.xlsx",
        sha256="0" * 64,
        total_rows=4,
        created_by=filer,
    )
    page = phone_page(browser, live_server, filer)
    page.goto(live_server.url + reverse("progress:import", args=[job.pk]))
    bar = "#job-progress"
    assert page.eval_on_selector(bar, "bar => bar.value") == 0
    ProgressImport.objects.filter(pk=job.pk).update(status="running", processed_rows=2)
    wait_until(page, f"document.querySelector('{bar}').value === 40")
    assert page.inner_text("#job-rows") == "已处理 2 / 4 行"
    assert page.inner_text("#job-percent") == "40%"
    assert page.inner_text("#job-status") == "校验中"
    assert page.get_attribute("#job-status", "class") == "import-status status-running"

    ProgressImport.objects.filter(pk=job.pk).update(
        status="done", processed_rows=4, created=4, message="导入完成：新增4条"
    )
    page.wait_for_selector(".result-passed", timeout=8000)  # the page reloads itself
    assert "导入完成：新增4条" in page.inner_text("#job")
    assert page.locator("script[src*=job-progress]").count() == 0
    page.context.close()


def test_handbook_download(client, world, submitted):
    login(client, world["city_office"])
    client.post(reverse("progress:approve-all", args=["320281", PERIOD]))
    response = client.get(reverse("progress:handbook"), {"period": PERIOD})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    labels = [row[1] for row in rows]
    assert "江阴市小计" in labels and "宜兴市小计" in labels and "合计" in labels[-1:]
    jiangyin = rows[labels.index("江阴市小计")]
    assert 260 in jiangyin  # this year: 80 (October) + 120 + 60 (November)
    assert "沭阳县小计" not in labels
    assert client.get(reverse("progress:handbook"), {"region": "321300"}).status_code == 404
    narrowed = client.get(reverse("progress:handbook"), {"region": "320282", "period": PERIOD})
    labels = [row[1].value for row in load_workbook(io.BytesIO(narrowed.content)).active.rows]
    assert "宜兴市小计" in labels and "江阴市小计" not in labels


# --- the project page --------------------------------------------------------------------------


def test_project_page_shows_its_months(client, world):
    html = login(client, world["county_filer"]).get(world["jy1"].get_absolute_url()).content
    section = re.search(r'id="progress">(.*?)</section>', html.decode(), re.S).group(1)
    assert "2026-10" in text(section) and "80.00" in section and "已审核" in section
    assert "本月完成投资（万元）" in section and "本年累计（万元）" in section
    assert f'href="{sheet_url()}#p{world["jy1"].pk}"' in section


# --- queries -----------------------------------------------------------------------------------


def count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_sheet_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world["city_office"])
    client.post(sheet_url(), filled(world))  # two drafts, one of them submitted
    report = MonthlyReport.objects.get(project=world["jy1"], period=PERIOD)
    services.report_submit(report=report, by=world["county_filer"])
    few = count_queries(client, sheet_url())
    by = world["province_office"]
    for number in range(8):
        project = active("320281", by, f"江阴新增{number}")
        report, _ = services.report_save(
            project=project, period=PERIOD, by=by, investment_this_month="1", physical_progress="x"
        )
        if number % 2:
            services.report_submit(report=report, by=world["county_filer"])
    assert count_queries(client, sheet_url()) == few
    with django_assert_max_num_queries(20):
        client.get(sheet_url())


def test_status_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world["province_office"])
    few = count_queries(client, reverse("progress:index"))
    by = world["province_office"]
    for region in ("320282", "321322", "320102", "320205"):
        for number in range(3):
            active(region, by, f"{region}新增{number}")
    assert count_queries(client, reverse("progress:index")) == few
    with django_assert_max_num_queries(12):
        client.get(reverse("progress:index"))
