"""Spreadsheet helpers every download of the project uses.

They live in branches/, the app every other app already depends on. Every
cell an export writes – titles, notes and headers included – goes through
``safe_cell``, and every download's file name through ``attachment``.
"""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters an xlsx cannot hold (XML 1.0 forbids them; openpyxl raises
# IllegalCharacterError on the C0 ones), shown instead as the replacement character.
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MAX_CELL_CHARS = 32_767  # what Excel shows of a cell
MAX_NAME_CHARS = 60


def safe_cell(value):
    """Text that a spreadsheet can hold and will show as text, never run as a formula."""
    if not isinstance(value, str):
        return value
    if not value.isprintable():  # the common case costs no regular expression
        value = UNWRITABLE.sub("\ufffd", value)
    value = value[:MAX_CELL_CHARS]
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]


def attachment(response: HttpResponse, filename: str) -> HttpResponse:
    """Content-Disposition for a download named after user data: short, one line, no path."""
    stem, dot, suffix = re.sub(r"[\x00-\x1f\x7f-\x9f/\\]", "", filename).rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    name = (stem[:MAX_NAME_CHARS].strip() or "download") + (dot + suffix)[:10]
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def xlsx_response(workbook: Workbook, filename: str) -> HttpResponse:
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return attachment(response, filename)


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    cell.font = font
    return cell


def table_xlsx(
    *, title: str, headers: list[str], rows, widths, filename: str, note: str = ""
) -> HttpResponse:
    """One sheet: a bold title line (and a note line), a header row and the rows.

    Written in openpyxl's write-only mode: a county's 70,000 rows stream out
    in a few seconds instead of building every cell object first.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("表1")
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_styled(sheet, title, Font(bold=True, size=14))])
    if note:
        sheet.append([safe_cell(note)])
    sheet.append([_styled(sheet, h, Font(bold=True)) for h in headers])
    for row in rows:
        sheet.append(safe_row(row))
    return xlsx_response(workbook, filename)
