"""The monthly progress API (SPEC §8, §12): filing, editing and the workflow actions with their
refusals, scope, filters, the Excel template and import (at once and as a background job),
the filing status of a month, and the cost of a list.

Today is pinned to Monday 23 November 2026: November's deadline (the 20th) has passed."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from issues.models import Issue
from progress import services, xlsx
from progress.models import MonthlyReport, ProgressImport, ReportStatus
from projects.models import Admission, Stage

from . import factories
from .conftest import clock_at
from .test_api_projects import assert_error, has_chinese

PROGRESS = "/api/v1/progress/"
TEMPLATE = f"{PROGRESS}template/"
HANDBOOK = f"{PROGRESS}handbook/"
IMPORT = f"{PROGRESS}import/"
IMPORTS = f"{PROGRESS}imports/"
FILING = f"{PROGRESS}filing-status/"
MISSING = f"{PROGRESS}missing/"
TODAY = datetime.date(2026, 11, 23)
MONTH = "2026-11"
JY1, JY2, SY1 = "2026-320281-26-03-000001", "2026-320281-26-03-000002", "2026-321322-26-03-000003"


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # uploaded workbooks are kept with their import job


def active(region: str, by, stage=Stage.FILED, **fields):
    dates = {
        Stage.FILED: {
            "signed_on": datetime.date(2026, 2, 1),
            "filed_on": datetime.date(2026, 3, 1),
        },
        Stage.STARTED: {
            "signed_on": datetime.date(2026, 2, 1),
            "filed_on": datetime.date(2026, 3, 1),
            "started_on": datetime.date(2026, 5, 1),
        },
    }[stage]
    return factories.project(
        region, by=by, stage=stage, admission=Admission.ADMITTED, **{**dates, **fields}
    )


@pytest.fixture
def works(people):
    """Two active projects in 江阴, one in 沭阳, and one in 江阴 still being planned."""
    by = people["province_office"]
    return {
        "jy1": active("320281", by, name="江阴一号", code=JY1),
        "jy2": active("320281", by, Stage.STARTED, name="江阴二号", code=JY2),
        "sy": active("321322", by, name="沭阳一号", code=SY1),
        "planning": factories.project("320281", by=by, name="江阴谋划项目"),
    }


def detail(report) -> str:
    return f"{PROGRESS}{report.pk}/"


def act(report, action: str) -> str:
    return f"{PROGRESS}{report.pk}/{action}/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def fill(people, project, by="county_filer", period=MONTH, **values) -> MonthlyReport:
    values = {"investment_this_month": "100", "physical_progress": "主体施工", **values}
    report, _outcome = services.report_save(project=project, period=period, by=people[by], **values)
    return report


def submitted(people, project, by="county_filer", **values) -> MonthlyReport:
    return services.report_submit(report=fill(people, project, by, **values), by=people[by])


# --- filling in and editing -----------------------------------------------------------------


def test_a_filer_fills_in_a_form_and_reads_it_back(people, works, api):
    client = api.as_user(people["county_filer"])
    project = works["jy1"]

    response = client.post(
        PROGRESS,
        {
            "project": project.pk,
            "period": MONTH,
            "investment_this_month": "120.5",
            "physical_progress": "主体结构施工",
            "percent_complete": "35",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["project_code"] == JY1 and body["project_name"] == "江阴一号"
    assert body["region"] == "320281" and body["region_name"] == "江阴市"
    assert body["period"] == MONTH
    assert body["investment_this_month"] == "120.50" and body["investment_ytd"] == "120.50"
    assert body["percent_complete"] == "35.00"
    assert body["status"] == "draft" and body["status_display"] == "草稿"
    assert body["editable"] is True and body["late"] is False
    assert body["deadline"] == "2026-11-20"
    assert body["issue"] is None
    assert body["allowed_actions"] == ["submit"]
    assert [event["action"] for event in body["events"]] == ["create"]
    assert body["events"][0]["actor_name"] == "county_filer"

    again = client.get(detail(MonthlyReport.objects.get(pk=body["id"])))
    assert again.status_code == 200 and again.json() == body


def test_sending_the_same_month_again_updates_the_draft(people, works, api):
    client = api.as_user(people["county_filer"])
    sent = {"project": works["jy1"].pk, "period": MONTH, "investment_this_month": "10"}
    first = client.post(PROGRESS, sent)
    assert first.status_code == 201, first.content

    same = client.post(PROGRESS, sent)
    changed = client.post(PROGRESS, {**sent, "investment_this_month": "12"})

    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]
    assert changed.status_code == 200 and changed.json()["investment_this_month"] == "12.00"
    assert MonthlyReport.objects.count() == 1
    assert [e["action"] for e in changed.json()["events"]] == ["create", "update"]


def test_this_years_cumulative_is_derived_and_cannot_be_written(people, works, api):
    project = works["jy1"]
    fill(people, project, period="2026-09", investment_this_month="100")
    fill(people, project, period="2025-12", investment_this_month="999")  # another year
    client = api.as_user(people["county_filer"])

    created = client.post(
        PROGRESS, {"project": project.pk, "period": "2026-10", "investment_this_month": "20"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["investment_ytd"] == "120.00"
    report = MonthlyReport.objects.get(pk=created.json()["id"])

    refused = client.patch(detail(report), {"investment_ytd": "5000"})
    assert_error(refused, 400, "validation_error", "investment_ytd")
    refused = client.patch(detail(report), {"status": "approved"})
    assert_error(refused, 400, "validation_error", "status")

    # sending back what was read is fine
    body = client.get(detail(report)).json()
    echoed = client.patch(
        detail(report),
        {
            "status": body["status"],
            "investment_ytd": body["investment_ytd"],
            "investment_this_month": "30",
        },
    )
    assert echoed.status_code == 200, echoed.content
    assert echoed.json()["investment_ytd"] == "130.00"
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_edit_keeps_the_project_and_month(people, works, api):
    report = fill(people, works["jy1"])
    client = api.as_user(people["county_filer"])

    response = client.patch(
        detail(report), {"project": works["jy2"].pk, "period": "2026-10", "problems": ""}
    )

    assert response.status_code == 200, response.content
    assert response.json()["project"] == works["jy1"].pk and response.json()["period"] == MONTH


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"investment_this_month": "-5"}, "investment_this_month", "不能为负数"),
        ({"investment_this_month": "60000"}, "investment_this_month", "不能超过项目总投资"),
        ({"percent_complete": "150"}, "percent_complete", "0到100"),
        ({"new_stage": "started"}, "stage_date", "日期"),
        ({"new_stage": "planning", "stage_date": "2026-11-02"}, "new_stage", "开工、竣工"),
        ({"problem_category": "weather"}, "problem_category", "问题类别"),
    ],
)
def test_bad_figures_are_refused_field_by_field_in_chinese(people, works, api, values, field, text):
    client = api.as_user(people["county_filer"])

    response = client.post(PROGRESS, {"project": works["jy1"].pk, "period": MONTH, **values})

    body = assert_error(response, 400, "validation_error", field)
    assert any(text in message for message in body["errors"][field]), body
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize(
    ("period", "code"),
    [("2026-12", "future_period"), ("2026-13", "invalid_period"), ("11/2026", "invalid_period")],
)
def test_a_future_or_malformed_month_is_refused(people, works, api, period, code):
    client = api.as_user(people["county_filer"])

    response = client.post(PROGRESS, {"project": works["jy1"].pk, "period": period})

    body = assert_error(response, 400, code, "period")
    assert has_chinese(body["message"])


def test_a_project_not_in_the_monthly_round_is_refused(people, works, api):
    client = api.as_user(people["county_filer"])

    response = client.post(PROGRESS, {"project": works["planning"].pk, "period": MONTH})

    body = assert_error(response, 400, "project_not_active", "project")
    assert has_chinese(body["message"])


# --- scope ------------------------------------------------------------------------------------


def test_a_county_filer_neither_sees_nor_files_another_countys_forms(people, works, api):
    jiangyin = fill(people, works["jy1"])
    shuyang = fill(people, works["sy"], by="county_filer2")
    client = api.as_user(people["county_filer2"])

    assert ids(client.get(PROGRESS)) == {shuyang.pk}
    assert_error(client.get(detail(jiangyin)), 404, "not_found")
    assert_error(client.patch(detail(jiangyin), {"problems": "x"}), 404, "not_found")
    assert_error(client.post(act(jiangyin, "submit")), 404, "not_found")
    refused = client.post(PROGRESS, {"project": works["jy2"].pk, "period": MONTH})
    body = assert_error(refused, 400, "validation_error", "project")
    assert body["errors"]["project"] == ["所选项目不存在或不在您的管辖范围内。"]
    assert not MonthlyReport.objects.filter(project=works["jy2"]).exists()

    assert ids(api.as_user(people["county_filer"]).get(PROGRESS)) == {jiangyin.pk}
    assert ids(api.as_user(people["city_office"]).get(PROGRESS)) == {jiangyin.pk}
    assert ids(api.as_user(people["province_office"]).get(PROGRESS)) == {
        jiangyin.pk,
        shuyang.pk,
    }


def test_readers_who_do_not_file_cannot_write(people, works, api):
    report = fill(people, works["jy1"])
    client = api.as_user(people["leader"])

    assert client.get(detail(report)).json()["allowed_actions"] == []
    assert_error(
        client.post(PROGRESS, {"project": works["jy2"].pk, "period": MONTH}),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch(detail(report), {"investment_this_month": "1"}), 403, "permission_denied"
    )
    assert_error(client.post(act(report, "submit")), 403, "not_permitted")
    assert_error(client.delete(detail(report)), 405, "method_not_allowed")


# --- the workflow -----------------------------------------------------------------------------


def test_submit_then_approve_locks_the_form(people, works, api):
    report = fill(people, works["jy1"])
    filer = api.as_user(people["county_filer"])

    response = filer.post(act(report, "submit"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["submitted_by_name"] == "county_filer"
    assert body["late"] is True  # after the 20th
    assert body["allowed_actions"] == []

    office = api.as_user(people["city_office"])
    assert office.get(detail(report)).json()["allowed_actions"] == ["approve", "return"]
    response = office.post(act(report, "approve"), {"comment": "数据属实"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved" and body["approved_by_name"] == "city_office"
    assert body["review_comment"] == "数据属实" and body["editable"] is False
    assert body["allowed_actions"] == ["reopen"]
    assert [e["action"] for e in body["events"]] == ["create", "submit", "approve"]

    filer = api.as_user(people["county_filer"])
    locked = filer.patch(detail(report), {"investment_this_month": "200"})
    body = assert_error(locked, 400, "report_locked")
    assert has_chinese(body["message"])
    assert_error(filer.post(act(report, "submit")), 400, "invalid_transition")
    again = api.as_user(people["city_office"]).post(act(report, "approve"))
    assert_error(again, 400, "invalid_transition")
    report.refresh_from_db()
    assert report.investment_this_month == Decimal("100")


def test_only_the_office_above_the_county_reviews(people, works, api):
    report = submitted(people, works["jy1"])

    for who in ("county_filer", "county_office", "leader"):
        refused = api.as_user(people[who]).post(act(report, "approve"))
        assert_error(refused, 403, "not_permitted")
        refused = api.as_user(people[who]).post(act(report, "return"), {"comment": "重填"})
        assert_error(refused, 403, "not_permitted")
    # out of scope: not found rather than refused
    assert_error(
        api.as_user(people["county_filer2"]).post(act(report, "approve")), 404, "not_found"
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_nobody_approves_their_own_submission(people, works, api):
    report = submitted(people, works["jy1"], by="city_office")

    refused = api.as_user(people["city_office"]).post(act(report, "approve"))

    assert_error(refused, 403, "own_report")
    approved = api.as_user(people["province_office"]).post(act(report, "approve"))
    assert approved.status_code == 200, approved.content


def test_return_needs_a_comment_and_opens_the_form_again(people, works, api):
    draft = fill(people, works["jy2"])
    report = submitted(people, works["jy1"])
    office = api.as_user(people["city_office"])

    assert_error(office.post(act(draft, "return"), {"comment": "x"}), 400, "invalid_transition")
    body = assert_error(office.post(act(report, "return")), 400, "comment_required", "comment")
    assert has_chinese(body["message"])

    response = office.post(act(report, "return"), {"comment": "本月投资偏低，请核实"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned"
    assert response.json()["review_comment"] == "本月投资偏低，请核实"
    assert response.json()["returned_by_name"] == "city_office"

    filer = api.as_user(people["county_filer"])
    assert filer.get(detail(report)).json()["allowed_actions"] == ["submit"]
    edited = filer.patch(detail(report), {"investment_this_month": "150"})
    assert edited.status_code == 200, edited.content
    resent = filer.post(act(report, "submit"))
    assert resent.status_code == 200 and resent.json()["status"] == "submitted"


def test_reopening_an_approved_form_needs_a_reason_on_the_record(people, works, api):
    report = submitted(people, works["jy1"])
    services.report_approve(report=report, by=people["city_office"])
    office = api.as_user(people["province_office"])

    assert_error(office.post(act(report, "reopen")), 400, "reason_required", "reason")
    assert_error(
        api.as_user(people["county_filer"]).post(act(report, "reopen"), {"reason": "x"}),
        403,
        "not_permitted",
    )

    office = api.as_user(people["province_office"])
    response = office.post(act(report, "reopen"), {"reason": "统计口径调整，需重报"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "returned"
    assert body["events"][-1]["action"] == "reopen"
    assert body["events"][-1]["comment"] == "统计口径调整，需重报"
    assert body["events"][-1]["actor_name"] == "province_office"
    edited = api.as_user(people["county_filer"]).patch(detail(report), {"percent_complete": "40"})
    assert edited.status_code == 200, edited.content
    office = api.as_user(people["province_office"])
    assert_error(office.post(act(report, "reopen"), {"reason": "x"}), 400, "invalid_transition")


def test_problems_on_a_submitted_form_become_an_issue_ticket(people, works, api):
    report = fill(people, works["jy1"], problems="电力接入进度慢\n需协调供电公司")
    filer = api.as_user(people["county_filer"])

    response = filer.post(act(report, "submit"))

    assert response.status_code == 200, response.content
    issue = Issue.objects.get(pk=response.json()["issue"])
    assert issue.project_id == works["jy1"].pk
    assert "电力接入进度慢" in issue.title
    assert response.json()["problem_category"] == "other"


def test_submitting_without_physical_progress_names_the_field(people, works, api):
    report = fill(people, works["jy1"], physical_progress="")

    response = api.as_user(people["county_filer"]).post(act(report, "submit"))

    assert_error(response, 400, "validation_error", "physical_progress")


# --- filters and cost -------------------------------------------------------------------------


def test_filters(people, works, api):
    october = fill(people, works["jy1"], period="2026-10")
    november = submitted(people, works["jy1"])
    other = fill(people, works["jy2"])
    shuyang = fill(people, works["sy"], by="county_filer2")
    client = api.as_user(people["province_office"])

    assert ids(client.get(PROGRESS, {"period": MONTH})) == {november.pk, other.pk, shuyang.pk}
    assert ids(client.get(PROGRESS, {"year": 2026})) == {
        october.pk,
        november.pk,
        other.pk,
        shuyang.pk,
    }
    assert ids(client.get(PROGRESS, {"status": "submitted"})) == {november.pk}
    assert ids(client.get(PROGRESS, {"project": works["jy1"].pk})) == {october.pk, november.pk}
    assert ids(client.get(PROGRESS, {"region": "321300"})) == {shuyang.pk}
    assert ids(client.get(PROGRESS, {"region": "320200", "period": "2026-10"})) == {october.pk}
    assert_error(client.get(PROGRESS, {"region": "999999"}), 400, "validation_error", "region")
    rows = client.get(PROGRESS).json()["results"]
    assert [row["period"] for row in rows][:1] == [MONTH]  # newest month first


def test_a_list_costs_the_same_for_many_forms(people, works, api, django_assert_max_num_queries):
    by = people["province_office"]
    for _ in range(6):
        project = active("320281", by)
        submitted(people, project)
    client = api.as_user(people["province_office"])

    with django_assert_max_num_queries(5):
        response = client.get(PROGRESS)

    assert response.status_code == 200 and response.json()["count"] == 6


# --- the Excel template and import ------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == xlsx.XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(response.content))


def upload(data: bytes, name="进展.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=xlsx.XLSX)


def filled(client, rows: dict[int, dict], period=MONTH) -> bytes:
    """Download the template and fill the given data rows (by project id) as a filer would."""
    book = workbook(client.get(TEMPLATE, {"period": period}))
    sheet = book[xlsx.SHEET]
    for number in range(xlsx.FIRST_ROW, sheet.max_row + 1):
        values = rows.get(sheet.cell(row=number, column=1).value, {})
        for letter, value in values.items():
            sheet[f"{letter}{number}"] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_template_lists_the_callers_active_projects(people, works, api):
    client = api.as_user(people["county_filer"])

    book = workbook(client.get(TEMPLATE, {"period": MONTH}))

    sheet = book[xlsx.SHEET]
    assert sheet["B2"].value == MONTH
    header = [cell.value for cell in sheet[xlsx.HEADER_ROW]]
    assert header == list(xlsx.HEADERS)
    rows = list(sheet.iter_rows(min_row=xlsx.FIRST_ROW, values_only=True))
    assert {row[0] for row in rows} == {works["jy1"].pk, works["jy2"].pk}
    assert {row[2] for row in rows} == {"江阴一号", "江阴二号"}

    province = workbook(api.as_user(people["province_office"]).get(TEMPLATE, {"region": "321322"}))
    rows = list(province[xlsx.SHEET].iter_rows(min_row=xlsx.FIRST_ROW, values_only=True))
    assert [row[0] for row in rows] == [works["sy"].pk]
    assert province[xlsx.SHEET]["B2"].value == MONTH  # this month by default


def test_the_template_refuses_a_bad_month_or_a_region_out_of_scope(people, works, api):
    client = api.as_user(people["county_filer"])

    assert_error(client.get(TEMPLATE, {"region": "321322"}), 404, "not_found")
    body = assert_error(client.get(TEMPLATE, {"period": "2026-12"}), 400, "future_period")
    assert has_chinese(body["message"])
    assert_error(client.get(TEMPLATE, {"period": "2026/11"}), 400, "invalid_period", "period")
    assert_error(client.get(TEMPLATE, {"region": "999999"}), 400, "validation_error", "region")


def test_an_import_round_trip(people, works, api):
    client = api.as_user(people["county_filer"])
    data = filled(
        client,
        {
            works["jy1"].pk: {"H": 120, "I": "主体结构施工", "J": 30},
            works["jy2"].pk: {"H": 80.5, "I": "设备安装", "M": "电力接入慢"},
        },
    )

    response = client.post(IMPORT, {"file": upload(data)}, format="multipart")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert body["status"] == "done" and has_chinese(body["message"])
    first = MonthlyReport.objects.get(project=works["jy1"], period=MONTH)
    assert first.investment_this_month == Decimal("120") and first.status == ReportStatus.DRAFT
    assert MonthlyReport.objects.get(project=works["jy2"]).problems == "电力接入慢"

    again = client.post(IMPORT, {"file": upload(data), "period": MONTH}, format="multipart")

    assert again.status_code == 200, again.content
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (
        0,
        0,
        2,
    )
    assert MonthlyReport.objects.count() == 2
    job = client.get(f"{IMPORTS}{again.json()['id']}/")
    assert job.status_code == 200
    assert job.json()["status"] == "done" and job.json()["percent"] == 100
    assert job.json()["unchanged"] == 2 and job.json()["errors"] == []


def test_an_import_with_bad_rows_imports_nothing_and_says_where(people, works, api):
    client = api.as_user(people["county_filer"])
    data = filled(
        client,
        {
            works["jy1"].pk: {"H": -5, "I": "主体施工"},
            works["jy2"].pk: {"H": 10, "I": "设备安装"},
        },
    )

    response = client.post(IMPORT, {"file": upload(data)}, format="multipart")

    body = assert_error(response, 400, "rows_invalid")
    assert has_chinese(body["message"])
    row = next(r for r in body["errors"] if r["column"] == "本月完成投资（万元）")
    assert isinstance(row["row"], int) and row["row"] >= xlsx.FIRST_ROW
    assert has_chinese(row["message"])
    assert not MonthlyReport.objects.exists()
    job = client.get(f"{IMPORTS}{body['id']}/").json()
    assert job["status"] == "failed" and job["errors"] == body["errors"]


def test_a_file_that_is_not_a_workbook_is_refused(people, works, api):
    client = api.as_user(people["county_filer"])

    response = client.post(
        IMPORT, {"file": upload("项目,投资\n1,2\n".encode())}, format="multipart"
    )

    body = assert_error(response, 400, "file_refused", "file")
    assert has_chinese(body["message"])
    assert not ProgressImport.objects.exists()


def test_an_upload_without_a_file_or_with_another_month(people, works, api):
    client = api.as_user(people["county_filer"])
    data = filled(client, {works["jy1"].pk: {"H": 1, "I": "施工"}})

    assert_error(client.post(IMPORT, {}, format="multipart"), 400, "validation_error", "file")
    other = client.post(IMPORT, {"file": upload(data), "period": "2026-10"}, format="multipart")
    assert_error(other, 400, "file_refused", "file")
    future = client.post(IMPORT, {"file": upload(data), "period": "2027-01"}, format="multipart")
    assert_error(future, 400, "future_period", "period")


def test_only_filers_import(people, works, api):
    data = filled(api.as_user(people["leader"]), {})

    response = api.as_user(people["leader"]).post(
        IMPORT, {"file": upload(data)}, format="multipart"
    )

    assert_error(response, 403, "permission_denied")


def test_a_large_import_runs_as_a_job_to_poll(
    people, works, api, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from progress import tasks

    settings.PROGRESS_IMPORT_SYNC_ROWS = 1
    client = api.as_user(people["county_filer"])
    data = filled(
        client,
        {
            works["jy1"].pk: {"H": 10, "I": "施工"},
            works["jy2"].pk: {"H": 20, "I": "安装"},
        },
    )

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(IMPORT, {"file": upload(data)}, format="multipart")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["total_rows"] == 2 and body["percent"] == 0
    assert body["url"].endswith(f"{IMPORTS}{body['id']}/")
    assert response["Location"] == body["url"]
    polled = client.get(f"{IMPORTS}{body['id']}/").json()
    assert polled["status"] == "queued" and polled["finished"] is False
    assert not MonthlyReport.objects.exists()

    # the worker picks it up
    monkeypatch.setattr(tasks.run_import, "delay", lambda *args: tasks.run_import(*args))
    assert len(queued) == 1
    queued[0]()

    polled = client.get(f"{IMPORTS}{body['id']}/").json()
    assert polled["status"] == "done" and polled["finished"] is True
    assert polled["percent"] == 100 and polled["processed_rows"] == 2
    assert polled["created"] == 2
    assert MonthlyReport.objects.count() == 2


def test_imports_are_seen_by_their_uploader_and_the_offices_above(people, works, api):
    client = api.as_user(people["county_filer"])
    data = filled(client, {works["jy1"].pk: {"H": 1, "I": "施工"}})
    job_id = client.post(IMPORT, {"file": upload(data)}, format="multipart").json()["id"]
    url = f"{IMPORTS}{job_id}/"

    assert api.as_user(people["city_office"]).get(url).status_code == 200
    assert_error(api.as_user(people["county_filer2"]).get(url), 404, "not_found")
    assert ids(api.as_user(people["county_filer2"]).get(IMPORTS)) == set()
    assert ids(api.as_user(people["county_filer"]).get(IMPORTS)) == {job_id}


def test_the_handbook_downloads(people, works, api):
    submitted(people, works["jy1"])

    book = workbook(api.as_user(people["city_office"]).get(HANDBOOK, {"period": MONTH}))

    assert book.active.max_row >= 2


# --- who has filed ----------------------------------------------------------------------------


def test_filing_status_per_county_and_the_missing_projects(people, works, api):
    submitted(people, works["jy1"])
    fill(people, works["jy2"])
    client = api.as_user(people["province_office"])

    response = client.get(FILING, {"period": MONTH})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == MONTH and body["deadline"] == "2026-11-20"
    rows = {row["region"]: row for row in body["rows"]}
    assert set(rows) == {"320281", "321322"}
    assert rows["320281"]["region_name"] == "江阴市"
    assert {k: rows["320281"][k] for k in ("active", "draft", "submitted", "filed", "missing")} == {
        "active": 2,
        "draft": 1,
        "submitted": 1,
        "filed": 1,
        "missing": 1,
    }
    assert rows["321322"]["missing"] == 1
    assert body["total"]["active"] == 3 and body["total"]["missing"] == 2

    missing = client.get(MISSING, {"period": MONTH})
    assert [row["id"] for row in missing.json()["results"]] == [works["jy2"].pk, works["sy"].pk]
    city = api.as_user(people["city_office"])
    assert [row["region"] for row in city.get(FILING).json()["rows"]] == ["320281"]
    assert [r["id"] for r in city.get(MISSING).json()["results"]] == [works["jy2"].pk]
    assert_error(city.get(FILING, {"region": "321322"}), 404, "not_found")
    assert_error(city.get(MISSING, {"period": "2030-01"}), 400, "future_period")


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_shows_forms_imports_and_reminders_read_only(people, works, client):
    report = submitted(people, works["jy1"])
    client.force_login(people["admin"])

    for name in ("monthlyreport", "progressimport", "filingreminder"):
        assert client.get(f"/admin/progress/{name}/").status_code == 200, name
        assert client.get(f"/admin/progress/{name}/add/").status_code == 403, name
    page = client.get(f"/admin/progress/monthlyreport/{report.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "江阴一号" in html and "报送" in html  # the events, read only
    assert 'name="investment_this_month"' not in html
