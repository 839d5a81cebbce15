"""Roster files built inside the tests: xlsx (openpyxl), csv (any encoding) and xls.

``xlwt`` is not installed, so ``xls`` writes a minimal BIFF8 workbook in an
OLE2 compound file itself (the format Excel 97–2003 saves): LABEL records for
text, NUMBER records for numbers, no styles. python-calamine reads it like a
file saved by Excel.
"""

from __future__ import annotations

import csv
import datetime
import io
import struct

from openpyxl import Workbook, load_workbook

from members.idcard import make_id_number
from members.roster_plan import plan_import

HEADER = ["姓名", "公民身份证号", "所在党支部"]


def id_number(birth=datetime.date(1980, 5, 17), sequence=21, area="110105") -> str:
    """A valid 18-character number (sequence odd: male, even: female)."""
    return make_id_number(area, birth, sequence)


def xlsx(rows, *, number_formats: dict[tuple[int, int], str] | None = None) -> bytes:
    """An xlsx with *rows* on its first sheet; cells keep their Python types."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for (row, col), fmt in (number_formats or {}).items():
        sheet.cell(row=row, column=col).number_format = fmt
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["" if c is None else c for c in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list]:
    """The first sheet's values (as openpyxl reads them, no calamine involved)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def plan(user, rows, filename="花名册.xlsx"):
    """``plan_import`` of *rows* written in the format the file name's suffix says."""
    if filename.endswith(".csv"):
        data = csv_bytes(rows)
    elif filename.endswith(".xls"):
        data = xls(rows)
    else:
        data = xlsx(rows)
    return plan_import(data=data, filename=filename, user=user)


def problems(plan_) -> list[str]:
    return [str(p) for p in plan_.problems]


# -- a minimal .xls (BIFF8 in an OLE2 compound file) ----------------------------


def _record(kind: int, payload: bytes) -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def _cell_record(row: int, col: int, value) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"xls() writes text and numbers only, not {value!r}")
    if isinstance(value, str):
        text = value.encode("utf-16-le")
        # LABEL: row, col, XF index, XLUnicodeString (cch, flags: 1 = UTF-16).
        return _record(0x0204, struct.pack("<HHHHB", row, col, 0, len(value), 1) + text)
    return _record(0x0203, struct.pack("<HHHd", row, col, 0, float(value)))  # NUMBER


def _biff8(rows) -> bytes:
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0)
    name = "Sheet1"

    def boundsheet(offset: int) -> bytes:
        # BOUNDSHEET: the sheet's BOF offset, visible worksheet, ShortXLUnicodeString.
        payload = struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name.encode("latin-1")
        return _record(0x0085, payload)

    head = _record(0x0809, bof) + _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE UTF-16
    offset = len(head) + len(boundsheet(0)) + len(_record(0x000A, b""))
    globals_ = head + boundsheet(offset) + _record(0x000A, b"")
    rows = [list(r) for r in rows]
    width = max((len(r) for r in rows), default=0)
    sheet = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0))
    sheet += _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))  # DIMENSIONS
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet += _cell_record(r, c, value)
    sheet += _record(0x000A, b"")
    return globals_ + sheet


def xls(rows) -> bytes:
    """An Excel 97–2003 workbook holding *rows* (text and numbers) on one sheet."""
    stream = _biff8(rows)
    # Streams under 4096 bytes would belong in the mini stream; pad instead.
    stream += b"\0" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))
    sectors = len(stream) // 512
    if sectors > 126:
        raise ValueError("xls() keeps to one FAT sector: at most 126 sectors of data")
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    # Sector 0: the FAT; sector 1: the directory; sectors 2…: the Workbook stream.
    fat = [fat_sector, end] + [2 + i + 1 for i in range(sectors - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", free) * 108
    )

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le") if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1 if kind else 0)
            + struct.pack("<III", no_stream, no_stream, child)
            + b"\0" * 16  # CLSID
            + b"\0" * 4  # state bits
            + b"\0" * 16  # creation and modification times
            + struct.pack("<III", start, size, 0)
        )

    directory = (
        entry("Root Entry", 5, 1, end, 0)
        + entry("Workbook", 2, no_stream, 2, len(stream))
        + entry("", 0, no_stream, 0, 0) * 2
    )
    return header + struct.pack("<128I", *fat) + directory + stream
