"""Writing workbooks people open in Excel or WPS."""

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


def write_only_value(sheet, value):
    """A value for ``append`` on a write-only sheet, wrapped as a text cell when needed."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        from openpyxl.cell import WriteOnlyCell

        return as_text(WriteOnlyCell(sheet, value=value))
    return value
