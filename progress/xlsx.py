"""Monthly forms by Excel (SPEC §8): the prefilled template and the reading of an uploaded
workbook's rows, once the file has passed the checks of :mod:`progress.upload`. The
completion handbook is written by :mod:`progress.handbook`.

A workbook is refused when its sheet is not the template's, or its header row is not
(missing, extra or reordered columns), or it has more rows than an import takes.
"""

from __future__ import annotations

import datetime
import io
import json
import tempfile
from array import array
from collections import namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import File
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.xlsx import as_text, printable
from issues.models import Category as IssueCategory
from projects.models import Project, Stage

# handbook, check_upload, OLE2_MAGIC and _mb are imported for the callers that reach them
# through this module (the pages, the API, the import and the tests).
from .models import (
    REPORTABLE_STAGES,
    MonthlyReport,
    active_projects,
    deadline_of,
    previous_period,
)
from .services.rules import INPUT_FIELDS
from .upload import UploadRefused

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "月度进展"
META_SHEET = "_meta"
KIND = "monthly-progress"
VERSION = "1"
HEADER_ROW = 3
FIRST_ROW = HEADER_ROW + 1
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


# --- the template ---------------------------------------------------------------------------


def _projects_for(user, region=None):
    projects = active_projects().filter(pk__in=Project.objects.for_user(user).values("pk"))
    if region is not None:
        projects = projects.filter(region__code__startswith=region.scope_prefix)
    return projects.order_by("region_id", "code", "pk")


#: the fields of a form the template shows (this month's inputs, last month's figures)
FORM_FIELDS = (
    "project_id",
    "period",
    "investment_ytd",
    "investment_this_month",
    "physical_progress",
    "percent_complete",
    "new_stage",
    "stage_date",
    "problems",
    "problem_category",
)
CATEGORY_LABELS = {value: label for value, label in IssueCategory.choices}


def _form_values(period: str, current, previous) -> dict:
    """The template's columns that come from forms: last month's figures and, when a form
    exists for the month already, its values. ``current`` and ``previous`` are forms (model
    instances or rows of :data:`FORM_FIELDS`) or None."""
    last = previous_period(period)
    return {
        "last_ytd": previous.investment_ytd if previous and last[:4] == period[:4] else None,
        "last_progress": previous.physical_progress if previous else "",
        "investment_this_month": current.investment_this_month if current else None,
        "physical_progress": current.physical_progress if current else "",
        "percent_complete": current.percent_complete if current else None,
        "new_stage": str(Stage(current.new_stage).label) if current and current.new_stage else "",
        "stage_date": current.stage_date if current else None,
        "problems": current.problems if current else "",
        "problem_category": (
            str(CATEGORY_LABELS.get(current.problem_category, current.problem_category))
            if current and current.problem_category
            else ""
        ),
    }


def template_rows(user, period: str, region=None) -> list[dict]:
    """One dict per active project in scope: its keys, last month's figures and, when a form
    exists for the month already, its values (so a template downloaded again shows them)."""
    last = previous_period(period)
    projects = (
        _projects_for(user, region)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "monthly_reports",
                # with the month that must be approved first (the sheet's review column)
                queryset=MonthlyReport.objects.filter(
                    period__in=[period, last]
                ).with_earlier_pending(),
                to_attr="near_reports",
            )
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
                **_form_values(period, current, previous),
            }
        )
    return rows


_Form = namedtuple("_Form", FORM_FIELDS)


def _template_lines(user, period: str, region=None) -> Iterator[tuple]:
    """The template's rows as tuples in :data:`COLUMNS` order, read as plain values (one query
    for the projects, streamed, and one for the forms of the two months): the download of a
    large county's template holds no model instance per project."""
    projects = _projects_for(user, region)
    forms = {
        (form.project_id, form.period): form
        for form in map(
            _Form._make,
            MonthlyReport.objects.filter(
                project__in=projects.values("pk"), period__in=[period, previous_period(period)]
            ).values_list(*FORM_FIELDS),
        )
    }
    last = previous_period(period)
    keys = tuple(column.key for column in COLUMNS)
    rows = projects.values_list("pk", "code", "name", "region__name", "total_investment")
    for pk, code, name, place, total in rows.iterator(chunk_size=2000):
        values = _form_values(period, forms.get((pk, period)), forms.get((pk, last)))
        values.update(project_id=pk, code=code or "", name=name, region=place, total=total)
        yield tuple(_cell_value(values[key]) for key in keys)


def build_template(user, period: str, region=None) -> bytes:
    """The workbook a county fills offline: key columns locked, inputs open with validation
    lists, the month and region written in the sheet and in a hidden meta sheet. Written in
    openpyxl's write-only mode, row by row: styles, widths, the frozen panes, the protection,
    the merged title and the validation lists are all set up before or after the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = f"D{FIRST_ROW}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widths may change, content of locked cells not
    sheet.protection.autoFilter = False
    sheet.merged_cells.add(f"A1:{get_column_letter(len(COLUMNS))}1")

    def styled(value, **style):
        cell = WriteOnlyCell(sheet, value=value)
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    place = region.name if region is not None else (user.region.name if user.region else "")
    title = _("%(period)s %(place)s 重大项目月度进展填报表") % {"period": period, "place": place}
    sheet.append([styled(title, font=Font(bold=True, size=14))])
    sheet.append(
        [
            _("填报月份"),
            period,
            _("报送截止"),
            deadline_of(period).isoformat(),
            styled(
                _("灰色列为平台数据，请勿修改；金额单位：万元；不要增删或调换列。"),
                font=Font(color="996600"),
            ),
        ]
    )
    head = {
        "font": Font(bold=True),
        "fill": PatternFill("solid", fgColor="DDDDDD"),
        "alignment": Alignment(wrap_text=True, vertical="center"),
    }
    sheet.append([styled(column.header, **head) for column in COLUMNS])

    # One styled cell per column, reused row after row: a write-only sheet writes each row as
    # it is appended, so the cells are free again for the next one. Making a cell and looking
    # its style up again for each of 20,000 × 14 cells would be most of what the sheet costs.
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    cells = []
    for column in COLUMNS:
        style = {"fill": locked_fill} if column.locked else {"protection": Protection(locked=False)}
        if column.key == "stage_date":
            style["number_format"] = "yyyy-mm-dd"
        cells.append(styled(None, **style))
    count = 0
    for count, line in enumerate(_template_lines(user, period, region), start=1):  # noqa: B007
        for cell, value in zip(cells, line, strict=True):
            cell.value = printable(value)
            as_text(cell)
        sheet.append(cells)
    _validations(sheet, max(FIRST_ROW + count - 1, FIRST_ROW))

    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    for key, value in (
        ("kind", KIND),
        ("version", VERSION),
        ("period", period),
        ("region", region.code if region is not None else (user.region_id or "")),
    ):
        meta.append([key, value])

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
        sheet.data_validations.append(validation)


# --- reading rows ---------------------------------------------------------------------------


class Row(NamedTuple):
    """One row read: its number in Excel, its project, what it says (the inputs, as the
    services take them) and what is wrong with it already (``{field: [messages]}``, None when
    nothing). A tuple, not a dict: it is spooled as a JSON array (:class:`Parsed`)."""

    number: int
    project_id: int | None
    errors: dict[str, list[str]] | None
    investment_this_month: object
    physical_progress: str
    percent_complete: object
    new_stage: str
    stage_date: datetime.date | None
    problems: str
    problem_category: str

    @property
    def values(self) -> dict:
        """The inputs, by name (what ``progress.services`` take)."""
        return dict(zip(INPUT_FIELDS, self[3:], strict=True))


class Parsed:
    """The month and the rows of an upload, read once (:func:`read_workbook`), as the import
    checks and writes them and as the background job is handed them (:meth:`stored`,
    :meth:`load`). The rows are JSON lines in a local temporary file — the first line the month
    and region, then one line a row, its values as read (a date as ``{"__date__": …}``, a value
    JSON has no type for as its text) — and in memory only each row's project id, Excel row
    number and place in the file, in arrays of machine integers (20 bytes a row): an import of
    50,000 rows holds no Python object per row, a row is read back when it is checked or written.
    Close it (or use it in a ``with``) to drop the file."""

    def __init__(self, period: str, region_code: str):
        self.period = period
        self.region_code = region_code
        self._file = tempfile.TemporaryFile()
        #: each row's project (0: none read, its 平台编号 missing or wrong) and Excel row number
        self.project_ids = array("q")
        self.numbers = array("i")
        #: the rows with errors already (``Row.errors``), by their place in the sheet
        self.flawed = array("i")
        self._offsets = array("q")
        self._end = 0
        self._append(_line({"period": period, "region_code": region_code}))

    def __len__(self) -> int:
        return len(self.numbers)

    def __enter__(self) -> Parsed:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def add(self, row: Row) -> None:
        """Spool a row read (the next in the sheet)."""
        self._index(row, self._append(_line(row)))

    def _append(self, line: bytes) -> int:
        """Write a line at the end of the file; answers where it starts."""
        start = self._end
        self._file.write(line)
        self._end += len(line)
        return start

    def _index(self, row: Row, offset: int) -> None:
        if row.errors:
            self.flawed.append(len(self))
        self.project_ids.append(row.project_id or 0)
        self.numbers.append(row.number)
        self._offsets.append(offset)

    def rows(self, indexes: Iterable[int]) -> Iterator[Row]:
        """The rows at ``indexes`` (their places in the sheet, from 0), each read from the file
        as it is wanted."""
        last = len(self) - 1
        for index in indexes:
            start = self._offsets[index]
            end = self._offsets[index + 1] if index < last else self._end
            self._file.seek(start)
            yield _stored_row(*json.loads(self._file.read(end - start)))

    def in_project_order(self) -> array:
        """The places of the rows sorted by project (the rows without one first), a project's
        rows in the order of the sheet: duplicates side by side, the first one met first."""
        return array("i", sorted(range(len(self)), key=self.project_ids.__getitem__))

    def stored(self) -> File:
        """The file from its start, for the storage the background job reads it from
        (:meth:`load`)."""
        self._file.seek(0)
        return File(self._file, name="rows.json")

    @classmethod
    def load(cls, handle) -> Parsed:
        """What :meth:`stored` kept, read from ``handle`` (a file in the storage) a line at a
        time into a local temporary file. Rows stored by an earlier version as one JSON
        document (a job queued before an upgrade) are read whole and spooled the same way."""
        head = json.loads(handle.readline())
        parsed = cls(head["period"], head["region_code"])
        try:
            if "rows" in head:
                for stored in head["rows"]:
                    parsed.add(_stored_row(*stored))
                return parsed
            for line in iter(handle.readline, b""):
                parsed._index(_stored_row(*json.loads(line)), parsed._append(line))
        except BaseException:
            parsed.close()
            raise
        return parsed


def read_workbook(data: bytes) -> Parsed:
    """The month and the rows of a checked upload, the rows spooled as they are read (see
    :class:`Parsed`). Refuses a workbook whose sheet or header row is not the template's;
    row-level problems are kept on each row for the import."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on broken parts
        raise UploadRefused(_("无法读取该 Excel 文件，请使用平台下载的模板重新填写。")) from error
    parsed = None
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
        parsed = Parsed(period=period, region_code=meta.get("region", ""))
        limit = settings.PROGRESS_IMPORT_MAX_ROWS
        for offset, values in enumerate(lines):
            if offset > limit + BLANK_ROWS_ALLOWED:
                raise UploadRefused(
                    _("表格超过%(limit)s行（含空行），请删除多余的行或分批导入。")
                    % {"limit": limit + BLANK_ROWS_ALLOWED}
                )
            values = values[: len(COLUMNS)]
            if all(_text(value) == "" for value in values):
                continue
            if len(parsed) >= limit:
                raise UploadRefused(_("数据超过%(limit)s行，请分批导入。") % {"limit": limit})
            parsed.add(_row(FIRST_ROW + offset, values))
        if meta.get("kind", KIND) != KIND:
            raise UploadRefused(_("该文件不是月度进展填报模板。"))
    except BaseException:
        if parsed is not None:
            parsed.close()
        raise
    finally:
        workbook.close()
    return parsed


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


#: the largest project id there can be (a bigint): a 平台编号 beyond it is no project's
MAX_PROJECT_ID = 2**63 - 1
#: where each column is in a row read (values_only), by key
_AT = {column.key: index for index, column in enumerate(COLUMNS)}


def _row(number: int, values: tuple) -> Row:
    """A row of the sheet (at most :data:`COLUMNS` wide) as the import takes it."""
    if len(values) < len(COLUMNS):
        values = (*values, *([None] * (len(COLUMNS) - len(values))))
    errors: dict[str, list[str]] = {}
    project_id = None
    raw_id = _text(values[_AT["project_id"]])
    if not raw_id.isdecimal() or int(raw_id) > MAX_PROJECT_ID:  # not "²", which int() refuses
        errors["project_id"] = [_("平台编号缺失或有误，请勿修改灰色列。")]
    else:
        project_id = int(raw_id)
    stage = _text(values[_AT["new_stage"]])
    if stage and stage not in STAGE_BY_LABEL and stage not in STAGE_BY_LABEL.values():
        errors["new_stage"] = [
            _("“%(value)s”不是可选的阶段（%(choices)s）。")
            % {"value": stage, "choices": "、".join(STAGE_BY_LABEL)}
        ]
    category = _text(values[_AT["problem_category"]])
    if (
        category
        and category not in CATEGORY_BY_LABEL
        and category not in CATEGORY_BY_LABEL.values()
    ):
        errors["problem_category"] = [_("“%(value)s”不是可选的问题类别。") % {"value": category}]
    date = values[_AT["stage_date"]]
    if isinstance(date, datetime.datetime):
        date = date.date()
    elif date not in (None, "") and not isinstance(date, datetime.date):
        text = _text(date).replace("/", "-").replace(".", "-")
        try:
            date = datetime.date.fromisoformat(text)
        except ValueError:
            errors["stage_date"] = [
                _("阶段日期“%(value)s”无法识别，请写成 2026-11-05。") % {"value": _text(date)}
            ]
            date = None
    return Row(
        number,
        project_id,
        errors or None,
        values[_AT["investment_this_month"]],
        _text(values[_AT["physical_progress"]]),
        values[_AT["percent_complete"]],
        STAGE_BY_LABEL.get(stage, stage),
        date or None,
        _text(values[_AT["problems"]]),
        CATEGORY_BY_LABEL.get(category, category),
    )


def column_header(key: str) -> str:
    """The column a service field is written in (for error messages by row and column)."""
    column = COLUMN_OF.get(FIELD_COLUMN.get(key, key))
    return column.header if column else str(_("整行"))


# --- the rows read, as JSON ---------------------------------------------------------------


def _jsonable(value):
    """A value JSON has no type for: a date stays a date; anything else becomes its text (a
    time typed in a money column travels as text: the import refuses it all the same)."""
    if type(value) is datetime.date:
        return {"__date__": value.isoformat()}
    return {"__text__": value.isoformat() if hasattr(value, "isoformat") else str(value)}


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_jsonable, separators=(",", ":"))


def _line(value) -> bytes:
    return _ENCODER.encode(value).encode() + b"\n"


def _revived(value):
    if isinstance(value, dict) and len(value) == 1:
        if "__date__" in value:
            return datetime.date.fromisoformat(value["__date__"])
        if "__text__" in value:
            return value["__text__"]
    return value


def _stored_row(number, project_id, *rest) -> Row:
    if len(rest) == 2:  # stored before rows were tuples: values and errors as two objects
        values, errors = rest
        return Row(
            number, project_id, errors or None, *(_revived(values.get(k)) for k in INPUT_FIELDS)
        )
    errors, *values = rest
    return Row(number, project_id, errors, *map(_revived, values))
