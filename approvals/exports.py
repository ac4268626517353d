"""The department performance table as an .xlsx workbook (openpyxl, write-only), with the same
rows, filters and order as the page."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .selectors import PerformanceRow


def _number(value):
    """Decimals as numbers Excel formats (a blank where nothing was decided)."""
    return None if value is None else float(value)


def _columns():
    return (
        (_("办理单位"), lambda r: r.unit_name, None),
        (_("审批类型"), lambda r: r.kind_name, None),
        (_("事项数"), lambda r: r.count, None),
        (_("已办结"), lambda r: r.decided, None),
        (_("办理中"), lambda r: r.running, None),
        (_("用时中位数（工作日）"), lambda r: _number(r.median_days), "0.0"),
        (_("平均用时（工作日）"), lambda r: _number(r.mean_days), "0.0"),
        (_("承诺时限内办结率"), lambda r: _number(r.within_promise), "0%"),
        (_("目标时限内办结率"), lambda r: _number(r.within_target), "0%"),
        (_("超时事项"), lambda r: r.overdue, None),
    )


def performance_workbook(rows: list[PerformanceRow]) -> bytes:
    columns = _columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审批部门效能"))
    sheet.freeze_panes = "C2"
    header = []
    for title, _getter, _format in columns:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for _title, getter, number_format in columns:
            cell = WriteOnlyCell(sheet, value=getter(row))
            if number_format:
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
