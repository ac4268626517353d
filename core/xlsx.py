"""Writing workbooks people open in Excel or WPS.

Every one-sheet export (projects, issues' close-out list, funding records, department
performance) is written by :func:`workbook`: write-only, row by row, so memory does not grow with
the rows, a bold header, and text that a spreadsheet would read as a formula kept as text.
"""

from collections.abc import Callable, Iterable, Sequence
from io import BytesIO
from itertools import islice
from typing import Any, BinaryIO

#: a column: (title, value of a row) or (title, value of a row, Excel number format)
Column = tuple[str, Callable[[Any], Any]] | tuple[str, Callable[[Any], Any], str | None]

#: text starting with these is read by spreadsheet programs as a formula (formula injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(value):
    """``value`` without the control characters a worksheet cannot hold (openpyxl refuses them:
    a project name typed or sent with one would otherwise fail the whole download)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


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


#: rows read from the database at a time (a server-side cursor on PostgreSQL); the related
#: rows a queryset prefetches, or a :class:`Chunks`' ``each`` adds, are read once per chunk
CHUNK_ROWS = 2000
#: rows between two calls of a writer's ``progress``
PROGRESS_ROWS = 2000


class Chunks:
    """The rows of ``queryset`` (plain values: ``.values_list()``) read from a server-side
    cursor in chunks of :data:`CHUNK_ROWS`, each chunk passed through ``each(rows) -> rows``
    before it is written: what related rows add to a chunk (the tags of 2,000 projects) is
    read in one query per chunk, and no model instance is made per row. Counted by its
    queryset (:func:`core.exports.count`)."""

    def __init__(self, queryset, each: Callable[[list], Iterable]):
        self.queryset = queryset
        self.each = each

    def __iter__(self):
        rows = self.queryset.iterator(chunk_size=CHUNK_ROWS)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            yield from self.each(chunk)


def workbook(title: str, columns: Sequence[Column], rows: Iterable, *, freeze: str = "A2") -> bytes:
    """One sheet named ``title``: a bold header of the columns' titles, then a row per item of
    ``rows`` (a queryset is read in chunks), panes frozen at ``freeze``."""
    buffer = BytesIO()
    write(buffer, title, columns, rows, freeze=freeze)
    return buffer.getvalue()


def write(
    target: BinaryIO,
    title: str,
    columns: Sequence[Column],
    rows: Iterable,
    *,
    freeze: str = "A2",
    progress: Callable[[int], None] | None = None,
) -> int:
    """:func:`workbook` written into the file ``target`` (a temporary file for a large
    export: the rows stream from the database to the file, none held in memory). Calls
    ``progress(rows written)`` every :data:`PROGRESS_ROWS` rows; answers how many rows.

    A row goes to the sheet as plain values: openpyxl makes each cell itself, as it would for
    any list appended. Only what needs more is a cell of its own: a value in a column with a
    number format (one styled cell per column, reused row after row), and text a spreadsheet
    would read as a formula. Empty text is left out like an empty value (the same blank cell,
    without an element written for it), except in the last column, which keeps every row as
    wide as the header."""
    from django.db.models import QuerySet
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
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
        rows = rows.iterator(chunk_size=CHUNK_ROWS)
    # A write-only sheet writes each row as it is appended, so a styled cell is free again for
    # the next row: one per formatted column rather than a new cell, whose style is looked up
    # again, for every row.
    styled = {}
    for index, column in enumerate(columns):
        if len(column) > 2 and column[2]:
            cell = WriteOnlyCell(sheet)
            cell.number_format = column[2]
            styled[index] = cell
    getters = [column[1] for column in columns]
    illegal = ILLEGAL_CHARACTERS_RE.search
    count = 0
    for count, row in enumerate(rows, start=1):  # noqa: B007 (the count is answered)
        values = [getter(row) for getter in getters]
        for index, value in enumerate(values):
            if isinstance(value, str):
                if not value:
                    values[index] = None
                    continue
                if illegal(value):
                    values[index] = value = printable(value)
                if value.startswith(FORMULA_STARTS) and index not in styled:
                    values[index] = as_text(WriteOnlyCell(sheet, value=value))  # not a formula
        for index, cell in styled.items():
            if values[index] is not None:  # a blank stays blank, unformatted
                cell.value = values[index]
                values[index] = as_text(cell)
        if values and values[-1] is None:
            # the last column always gets a (blank) cell: a write-only sheet has no dimension,
            # so a reader in read-only mode sizes each row by its last cell
            values[-1] = ""
        sheet.append(values)
        if progress is not None and count % PROGRESS_ROWS == 0:
            progress(count)
    book.save(target)
    return count
