"""Monthly forms by Excel (SPEC §8): the prefilled template, the checks an uploaded workbook
passes before anything reads it, the reading of its rows, and the completion handbook.

An upload is refused, quickly and with a Chinese message, when it is too large; not a zip
(a renamed ``.csv``, an old ``.xls``); a zip but not a workbook (a renamed ``.docx``); a zip
whose entries would unpack to more than the cap (a "zip bomb": the sizes in the zip directory
are checked before anything is unpacked, and every entry is read with a bound, so a directory
that lies cannot get further); an XML part with a DTD or entities (``defusedxml``); or a
sheet whose header row is not the template's (missing, extra or reordered columns).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.exceptions import DomainError
from core.xlsx import as_text, rows_as_text
from issues.models import Category as IssueCategory
from projects.models import Project, Stage

from .models import (
    REPORTABLE_STAGES,
    MonthlyReport,
    ReportStatus,
    active_projects,
    deadline_of,
    previous_period,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "月度进展"
META_SHEET = "_meta"
KIND = "monthly-progress"
VERSION = "1"
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: the most entries a workbook of ours has is about a dozen; a few hundred is already odd
MAX_ENTRIES = 300
#: an XML part that compresses better than this is treated as a bomb when it is large
MAX_RATIO = 200
#: blank rows tolerated in a sheet beyond the row limit before it is refused
BLANK_ROWS_ALLOWED = 1000


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    locked: bool = True


COLUMNS = (
    Column("project_id", "平台编号", 10),
    Column("code", "项目代码", 24),
    Column("name", "项目名称", 36),
    Column("region", "县区", 12),
    Column("total", "总投资（万元）", 14),
    Column("last_ytd", "上月本年累计（万元）", 16),
    Column("last_progress", "上月形象进度", 28),
    Column("investment_this_month", "本月完成投资（万元）", 16, locked=False),
    Column("physical_progress", "形象进度", 36, locked=False),
    Column("percent_complete", "工程完成百分比（%）", 14, locked=False),
    Column("new_stage", "本月进入阶段", 12, locked=False),
    Column("stage_date", "阶段日期", 13, locked=False),
    Column("problems", "存在问题", 36, locked=False),
    Column("problem_category", "问题类别", 14, locked=False),
)
HEADERS = tuple(column.header for column in COLUMNS)
INPUT_COLUMNS = tuple(column for column in COLUMNS if not column.locked)
COLUMN_OF = {column.key: column for column in COLUMNS}
STAGE_BY_LABEL = {str(Stage(stage).label): str(stage) for stage in REPORTABLE_STAGES}
CATEGORY_BY_LABEL = {str(label): value for value, label in IssueCategory.choices}
#: service fields whose errors belong to another column (a refused project: its 平台编号)
FIELD_COLUMN = {"project": "project_id"}


class UploadRefused(DomainError):
    """The file is refused as a whole, before any row is read."""

    def __init__(self, message):
        super().__init__(message, code="file_refused", field="file")


# --- the template ---------------------------------------------------------------------------


def _projects_for(user, region=None):
    projects = active_projects().filter(pk__in=Project.objects.for_user(user).values("pk"))
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    return projects.select_related("region").order_by("region_id", "code", "pk")


def template_rows(user, period: str, region=None) -> list[dict]:
    """One dict per active project in scope: its keys, last month's figures and, when a form
    exists for the month already, its values (so a template downloaded again shows them)."""
    last = previous_period(period)
    projects = _projects_for(user, region).prefetch_related(
        Prefetch(
            "monthly_reports",
            queryset=MonthlyReport.objects.filter(period__in=[period, last]),
            to_attr="near_reports",
        )
    )
    rows = []
    for project in projects:
        by_period = {report.period: report for report in project.near_reports}
        current, previous = by_period.get(period), by_period.get(last)
        rows.append(
            {
                "project": project,
                "report": current,
                "project_id": project.pk,
                "code": project.code or "",
                "name": project.name,
                "region": project.region.name,
                "total": project.total_investment,
                "last_ytd": (
                    previous.investment_ytd if previous and last[:4] == period[:4] else None
                ),
                "last_progress": previous.physical_progress if previous else "",
                "investment_this_month": current.investment_this_month if current else None,
                "physical_progress": current.physical_progress if current else "",
                "percent_complete": current.percent_complete if current else None,
                "new_stage": (
                    str(Stage(current.new_stage).label) if current and current.new_stage else ""
                ),
                "stage_date": current.stage_date if current else None,
                "problems": current.problems if current else "",
                "problem_category": (
                    current.get_problem_category_display()
                    if current and current.problem_category
                    else ""
                ),
            }
        )
    return rows


def build_template(user, period: str, region=None) -> bytes:
    """The workbook a county fills offline: key columns locked, inputs open with validation
    lists, the month and region written in the sheet and in a hidden meta sheet."""
    rows = template_rows(user, period, region)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    place = region.name if region is not None else (user.region.name if user.region else "")
    sheet["A1"] = _("%(period)s %(place)s 重大项目月度进展填报表") % {
        "period": period,
        "place": place,
    }
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet["A2"], sheet["B2"] = _("填报月份"), period
    sheet["C2"], sheet["D2"] = _("报送截止"), deadline_of(period).isoformat()
    sheet["E2"] = _("灰色列为平台数据，请勿修改；金额单位：万元；不要增删或调换列。")
    sheet["E2"].font = Font(color="996600")

    head_fill = PatternFill("solid", fgColor="DDDDDD")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for offset, row in enumerate(rows):
        number = FIRST_ROW + offset
        for index, column in enumerate(COLUMNS, start=1):
            cell = as_text(sheet.cell(row=number, column=index, value=_cell_value(row[column.key])))
            if column.locked:
                cell.fill = locked_fill
            else:
                cell.protection = Protection(locked=False)
            if column.key == "stage_date":
                cell.number_format = "yyyy-mm-dd"
    last_row = max(FIRST_ROW + len(rows) - 1, FIRST_ROW)
    _validations(sheet, last_row)
    sheet.freeze_panes = sheet.cell(row=FIRST_ROW, column=4)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widths may change, content of locked cells not
    sheet.protection.autoFilter = False

    meta = workbook.create_sheet(META_SHEET)
    for key, value in (
        ("kind", KIND),
        ("version", VERSION),
        ("period", period),
        ("region", region.code if region is not None else (user.region_id or "")),
    ):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell_value(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _letter(key: str) -> str:
    return get_column_letter(COLUMNS.index(COLUMN_OF[key]) + 1)


def _validations(sheet, last_row: int) -> None:
    def span(key: str) -> str:
        return f"{_letter(key)}{FIRST_ROW}:{_letter(key)}{last_row}"

    money = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
    money.error, money.errorTitle = _("本月完成投资应为不小于0的数字（万元）。"), _("输入有误")
    money.add(span("investment_this_month"))
    percent = DataValidation(type="decimal", operator="between", formula1="0", formula2="100")
    percent.error, percent.errorTitle = _("工程完成百分比应在0到100之间。"), _("输入有误")
    percent.add(span("percent_complete"))
    stages = DataValidation(type="list", formula1='"' + ",".join(STAGE_BY_LABEL) + '"')
    stages.error, stages.errorTitle = _("请从下拉列表中选择阶段。"), _("输入有误")
    stages.add(span("new_stage"))
    dates = DataValidation(type="date", operator="greaterThan", formula1="36526")  # 2000-01-01
    dates.error, dates.errorTitle = _("请填写日期，例如 2026-11-05。"), _("输入有误")
    dates.add(span("stage_date"))
    categories = DataValidation(type="list", formula1='"' + ",".join(CATEGORY_BY_LABEL) + '"')
    categories.error, categories.errorTitle = _("请从下拉列表中选择问题类别。"), _("输入有误")
    categories.add(span("problem_category"))
    for validation in (money, percent, stages, dates, categories):
        validation.showErrorMessage = True
        validation.allow_blank = True
        sheet.add_data_validation(validation)


# --- checking an upload ---------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def check_upload(data: bytes) -> None:
    """Refuse a file that is not a safe, sane ``.xlsx`` — before openpyxl sees it."""
    limit = settings.PROGRESS_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise UploadRefused(
            _("文件大小为%(size)sMB，超过上限%(limit)sMB，请分县区或分批导入。")
            % {"size": _mb(len(data)), "limit": _mb(limit)}
        )
    if not data:
        raise UploadRefused(_("文件是空的，请选择填好的模板。"))
    if data.startswith(OLE2_MAGIC):
        raise UploadRefused(
            _("这是旧版 Excel（.xls）或其他 Office 文件，请使用平台模板并另存为 .xlsx 后上传。")
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UploadRefused(
            _(
                "文件不是有效的 Excel（.xlsx）文件（可能是改了扩展名的其他文件），"
                "请使用平台下载的模板。"
            )
        ) from error
    names = {entry.filename for entry in entries}
    if len(entries) > MAX_ENTRIES:
        raise UploadRefused(_("文件结构异常（包含%(n)s个部件），已拒绝。") % {"n": len(entries)})
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRefused(
            _("文件不是 Excel 工作簿（可能是改了扩展名的 Word 或其他文件），请使用平台下载的模板。")
        )
    cap = settings.PROGRESS_IMPORT_MAX_UNZIPPED_BYTES
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > cap:
        raise UploadRefused(
            _("文件解压后达%(size)sMB，超过上限%(limit)sMB，疑似异常文件，已拒绝。")
            % {"size": _mb(unpacked), "limit": _mb(cap)}
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > MAX_RATIO and entry.file_size > 1024 * 1024:
            raise UploadRefused(_("文件压缩比异常，疑似压缩炸弹，已拒绝。"))
    budget = cap
    for entry in entries:
        if entry.is_dir():
            continue
        try:
            with archive.open(entry) as handle:
                content = handle.read(budget + 1)  # a directory that lies stops here
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
            raise UploadRefused(_("文件已损坏，无法读取，请重新保存后上传。")) from error
        budget -= len(content)
        if budget < 0:
            raise UploadRefused(
                _("文件解压后超过上限%(limit)sMB，疑似异常文件，已拒绝。") % {"limit": _mb(cap)}
            )
        if entry.filename.endswith((".xml", ".rels")):
            try:
                # streamed and cleared as it goes: checking a large sheet keeps no tree
                for _event, element in safe_iterparse(io.BytesIO(content), forbid_dtd=True):
                    element.clear()
            except DefusedXmlException as error:
                raise UploadRefused(
                    _("文件含有不安全的 XML 内容（DTD 或实体声明），已拒绝。")
                ) from error
            except ParseError as error:
                raise UploadRefused(_("文件中的 XML 内容已损坏，请重新保存后上传。")) from error


# --- reading rows ---------------------------------------------------------------------------


@dataclass
class Row:
    number: int  # the row number in Excel
    project_id: int | None
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Parsed:
    period: str
    region_code: str
    rows: list[Row]


def read_workbook(data: bytes) -> Parsed:
    """The month and the rows of a checked upload. Refuses a workbook whose sheet or header
    row is not the template's; row-level problems are kept on each row for the import."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on broken parts
        raise UploadRefused(_("无法读取该 Excel 文件，请使用平台下载的模板重新填写。")) from error
    try:
        if SHEET not in workbook.sheetnames:
            raise UploadRefused(
                _("找不到工作表“%(sheet)s”，请使用平台下载的模板。") % {"sheet": SHEET}
            )
        sheet = workbook[SHEET]
        # The file's own <dimension> is not trusted: it could claim a million rows (slow) or
        # fewer rows than there are (rows silently dropped). Read what is there, no wider
        # than the template (plus one column, to notice an extra one in the header).
        sheet.reset_dimensions()
        lines = sheet.iter_rows(max_col=len(COLUMNS) + 1, values_only=True)
        top = [list(next(lines, ()) or ()) for _n in range(HEADER_ROW)]
        period = _text(top[1][1] if len(top[1]) > 1 else "")
        _check_header(top[2])
        meta = _meta(workbook)
        limit = settings.PROGRESS_IMPORT_MAX_ROWS
        rows = []
        for offset, values in enumerate(lines):
            if offset > limit + BLANK_ROWS_ALLOWED:
                raise UploadRefused(
                    _("表格超过%(limit)s行（含空行），请删除多余的行或分批导入。")
                    % {"limit": limit + BLANK_ROWS_ALLOWED}
                )
            values = values[: len(COLUMNS)]
            if all(_text(value) == "" for value in values):
                continue
            if len(rows) >= limit:
                raise UploadRefused(_("数据超过%(limit)s行，请分批导入。") % {"limit": limit})
            rows.append(_row(FIRST_ROW + offset, values))
    finally:
        workbook.close()
    if meta.get("kind", KIND) != KIND:
        raise UploadRefused(_("该文件不是月度进展填报模板。"))
    return Parsed(period=period, region_code=meta.get("region", ""), rows=rows)


def _meta(workbook) -> dict:
    if META_SHEET not in workbook.sheetnames:
        return {}
    return {
        _text(key): _text(value)
        for key, value, *_rest in (
            (list(line) + ["", ""])[:2] for line in workbook[META_SHEET].iter_rows(values_only=True)
        )
    }


def _check_header(found) -> None:
    found = [_text(value) for value in found]
    while found and found[-1] == "":
        found.pop()
    if found == list(HEADERS):
        return
    for index, expected in enumerate(HEADERS):
        actual = found[index] if index < len(found) else ""
        if actual != expected:
            letter = get_column_letter(index + 1)
            if expected in found:
                problem = _(
                    "第%(row)s行第%(col)s列应为“%(expected)s”，实际为“%(actual)s”（列的顺序被调换）。"
                )
            elif actual == "":
                problem = _("第%(row)s行缺少“%(expected)s”列（第%(col)s列）。")
            else:
                problem = _("第%(row)s行第%(col)s列应为“%(expected)s”，实际为“%(actual)s”。")
            raise UploadRefused(
                problem % {"row": HEADER_ROW, "col": letter, "expected": expected, "actual": actual}
                + _("请使用平台下载的模板，不要增删或调换列。")
            )
    extra = found[len(HEADERS)]
    raise UploadRefused(
        _("第%(row)s行多出“%(extra)s”列。请使用平台下载的模板，不要增删或调换列。")
        % {"row": HEADER_ROW, "extra": extra}
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _row(number: int, values) -> Row:
    padded = (list(values) + [None] * len(COLUMNS))[: len(COLUMNS)]
    cells = dict(zip((column.key for column in COLUMNS), padded, strict=True))
    errors: dict[str, list[str]] = {}
    project_id = None
    raw_id = _text(cells["project_id"])
    if not raw_id.isdigit():
        errors["project_id"] = [_("平台编号缺失或有误，请勿修改灰色列。")]
    else:
        project_id = int(raw_id)
    out = {
        "investment_this_month": cells["investment_this_month"],
        "physical_progress": _text(cells["physical_progress"]),
        "percent_complete": cells["percent_complete"],
        "problems": _text(cells["problems"]),
    }
    stage = _text(cells["new_stage"])
    if stage and stage not in STAGE_BY_LABEL and stage not in STAGE_BY_LABEL.values():
        errors["new_stage"] = [
            _("“%(value)s”不是可选的阶段（%(choices)s）。")
            % {"value": stage, "choices": "、".join(STAGE_BY_LABEL)}
        ]
    out["new_stage"] = STAGE_BY_LABEL.get(stage, stage)
    category = _text(cells["problem_category"])
    if (
        category
        and category not in CATEGORY_BY_LABEL
        and category not in CATEGORY_BY_LABEL.values()
    ):
        errors["problem_category"] = [_("“%(value)s”不是可选的问题类别。") % {"value": category}]
    out["problem_category"] = CATEGORY_BY_LABEL.get(category, category)
    date = cells["stage_date"]
    if isinstance(date, datetime.datetime):
        date = date.date()
    elif date not in (None, "") and not isinstance(date, datetime.date):
        text = _text(date).replace("/", "-").replace(".", "-")
        try:
            date = datetime.date.fromisoformat(text)
        except ValueError:
            errors["stage_date"] = [
                _("阶段日期“%(value)s”无法识别，请写成 2026-11-05。")
                % {"value": _text(cells["stage_date"])}
            ]
            date = None
    out["stage_date"] = date or None
    return Row(number=number, project_id=project_id, values=out, errors=errors)


def column_header(key: str) -> str:
    """The column a service field is written in (for error messages by row and column)."""
    column = COLUMN_OF.get(FIELD_COLUMN.get(key, key))
    return column.header if column else str(_("整行"))


# --- the completion handbook ----------------------------------------------------------------


def handbook(user, period: str, region=None) -> bytes:
    """完成情况手册: every project in scope with each month's approved investment up to
    ``period``, the year to date against the annual plan and the latest progress, grouped by
    region with a subtotal per region and a total."""
    from django.db.models import Q

    year = period[:4]
    months = [f"{year}-{month:02d}" for month in range(1, int(period[5:]) + 1)]
    projects = Project.objects.for_user(user).filter(
        Q(pk__in=active_projects().values("pk"))
        | Q(monthly_reports__period__in=months, monthly_reports__status=ReportStatus.APPROVED)
    )
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    projects = (
        projects.distinct()
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "monthly_reports",
                queryset=MonthlyReport.objects.filter(
                    period__in=months, status=ReportStatus.APPROVED
                ).order_by("period"),
                to_attr="approved_reports",
            )
        )
        .order_by("region_id", "-total_investment", "pk")
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("完成情况手册")
    sheet["A1"] = _("%(period)s 重大项目完成情况手册（已审核数据，金额单位：万元）") % {
        "period": period
    }
    sheet["A1"].font = Font(bold=True, size=14)
    headers = [
        _("序号"),
        _("地区"),
        _("项目代码"),
        _("项目名称"),
        _("当前阶段"),
        _("总投资"),
        _("年度计划投资"),
        *[_("%(m)s月") % {"m": int(m[5:])} for m in months],
        _("本年累计"),
        _("年度计划完成率（%）"),
        _("最新形象进度"),
        _("工程完成百分比（%）"),
    ]
    sheet.append([])
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    bold = Font(bold=True)
    serial = 0
    totals = {"total": Decimal(0), "plan": Decimal(0), "ytd": Decimal(0)}
    month_totals = [Decimal(0)] * len(months)

    def subtotal(label, sums, per_month):
        rate = (
            (sums["ytd"] * 100 / sums["plan"]).quantize(Decimal("0.01")) if sums["plan"] else None
        )
        sheet.append(
            [
                "",
                label,
                "",
                "",
                "",
                float(sums["total"]),
                float(sums["plan"]),
                *[float(v) for v in per_month],
                float(sums["ytd"]),
                float(rate) if rate is not None else None,
                "",
                None,
            ]
        )
        for cell in sheet[sheet.max_row]:
            cell.font = bold

    current_region, region_sums, region_months = None, None, None
    for project in projects:
        if project.region_id != (current_region.code if current_region else None):
            if current_region is not None:
                subtotal(
                    _("%(region)s小计") % {"region": current_region.name},
                    region_sums,
                    region_months,
                )
            current_region = project.region
            region_sums = {"total": Decimal(0), "plan": Decimal(0), "ytd": Decimal(0)}
            region_months = [Decimal(0)] * len(months)
        by_month = {r.period: r for r in project.approved_reports}
        amounts = [
            by_month[m].investment_this_month if m in by_month else Decimal(0) for m in months
        ]
        ytd = sum(amounts, Decimal(0))
        latest = project.approved_reports[-1] if project.approved_reports else None
        plan = project.planned_investment_year
        serial += 1
        sheet.append(
            [
                serial,
                project.region.name,
                project.code or "",
                project.name,
                project.get_stage_display(),
                float(project.total_investment),
                float(plan),
                *[float(v) for v in amounts],
                float(ytd),
                float((ytd * 100 / plan).quantize(Decimal("0.01"))) if plan else None,
                latest.physical_progress if latest else "",
                float(latest.percent_complete)
                if latest and latest.percent_complete is not None
                else None,
            ]
        )
        for sums in (region_sums, totals):
            sums["total"] += project.total_investment
            sums["plan"] += plan
            sums["ytd"] += ytd
        for index, amount in enumerate(amounts):
            region_months[index] += amount
            month_totals[index] += amount
    if current_region is not None:
        subtotal(_("%(region)s小计") % {"region": current_region.name}, region_sums, region_months)
    subtotal(_("合计"), totals, month_totals)
    rows_as_text(sheet, first_row=4)
    sheet.freeze_panes = "E4"
    for index, width in enumerate([6, 12, 22, 36, 8, 12, 12], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
