"""Writing workbooks people open in Excel or WPS.

Every one-sheet export (projects, issues' close-out list, funding records, department
performance) is written by :func:`workbook`: write-only, row by row, so memory does not grow with
the rows, a bold header, and text that a spreadsheet would read as a formula kept as text.
"""

from collections.abc import Callable, Iterable, Sequence
from io import BytesIO
from typing import Any

#: a column: (title, value of a row) or (title, value of a row, Excel number format)
Column = tuple[str, Callable[[Any], Any]] | tuple[str, Callable[[Any], Any], str | None]

#: text starting with these is read by spreadsheet programs as a formula (formula injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell):
    """Keep typed text text: openpyxl stores a string starting with "=" as a formula, so a
    project name or 形象进度 of ``=HYPERLINK(…)`` would become a live formula in a download."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
    return cell


def rows_as_text(sheet, first_row: int = 1) -> None:
    """``as_text`` on every cell of a (normal, not write-only) sheet from ``first_row``."""
    for row in sheet.iter_rows(min_row=first_row):
        for cell in row:
            as_text(cell)


def workbook(title: str, columns: Sequence[Column], rows: Iterable, *, freeze: str = "A2") -> bytes:
    """One sheet named ``title``: a bold header of the columns' titles, then a row per item of
    ``rows`` (a queryset is read in chunks), panes frozen at ``freeze``."""
    from django.db.models import QuerySet
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = freeze
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column[0])
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=500)
    for row in rows:
        cells = []
        for column in columns:
            cell = as_text(WriteOnlyCell(sheet, value=column[1](row)))
            if len(column) > 2 and column[2]:
                cell.number_format = column[2]
            cells.append(cell)
        sheet.append(cells)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
