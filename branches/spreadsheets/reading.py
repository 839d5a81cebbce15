"""Reading uploaded spreadsheets (.xlsx, .xls, .csv) into rows of cells: the one
reader of every import (the roster and the organisation tree).

python-calamine builds the whole rectangle from A1 to the farthest cell
before Python sees a row, and a Rust allocation that fails aborts the
process: a 1.7 KB xlsx with one cell at XFD1048576 asks for 512 GiB and takes
the web server down, and nothing in Python can catch it. Hence two defences:

1. Before calamine is called, the sheet's real extent is read from the file
   itself – the cells' references in the sheet XML (never the <dimension>
   element, which can lie), the cell and dimension records of an .xls – and a
   sheet wider than MAX_COLUMNS or longer than the caller's row limit is
   refused, naming the far cell.
2. The file is read in a short-lived child process (``python -m
   branches.spreadsheets.reading``) with a memory and a time limit, so what
   gets past (1) – XML written in unusual ways, parser bugs – kills the
   child, never the web server or the worker.

CSV is read in the child as well: streamed, and refused as soon as it passes
the row limit, so a file of blank lines never piles up in memory.

This module must not import Django: the child starts from it alone.
"""

from __future__ import annotations

import csv
import datetime
import gc
import io
import json
import logging
import pickle
import re
import resource
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

logger = logging.getLogger(__name__)

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_COLUMNS = 200
# The biggest roster accepted (100,000 rows, 24 columns) peaks at about 380 MB
# in the child; a file that needs more is not a roster.
READ_MEMORY_BYTES = 512 * 1024 * 1024
READ_SECONDS = 120
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SpreadsheetError(Exception):
    """The file cannot be read: unsupported, damaged, too big, or hostile."""


def read_rows(data: bytes, filename: str, *, max_rows: int) -> list[list]:
    """The first sheet's rows from A1 (blank rows kept, so row numbers match the sheet).

    Refuses files whose sheet holds a cell beyond *max_rows* rows or
    MAX_COLUMNS columns, and files the child could not read within its limits.
    """
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise SpreadsheetError(
            f"不支持的文件类型「{suffix or filename}」：请上传 .xlsx、.xls 或 .csv 文件。"
        )
    request = {
        "name": filename,
        "suffix": suffix,
        "max_rows": max_rows,
        "max_columns": MAX_COLUMNS,
        "memory_bytes": READ_MEMORY_BYTES,
        "seconds": READ_SECONDS,
    }
    output = _run_child(json.dumps(request).encode() + b"\n" + data, filename)
    # A million new lists and strings would set off the cycle collector again
    # and again; none of them can form a cycle.
    gc.disable()
    try:
        kind, payload = _RowsUnpickler(io.BytesIO(output)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
        logger.warning("reading %r: the child's output is not a result", filename)
        raise SpreadsheetError(_unreadable(filename)) from None
    finally:
        gc.enable()
    if kind == "refused":
        raise SpreadsheetError(payload)
    return payload


def _unreadable(filename: str) -> str:
    return (
        f"文件「{filename}」无法读取：读取它所需的内存或时间超出了限制，"
        "它可能已损坏，或是为攻击而构造的文件。请在 Excel 或 WPS 中打开、另存为 .xlsx 后重新上传。"
    )


def _run_child(stdin: bytes, filename: str) -> bytes:
    try:
        done = subprocess.run(
            [sys.executable, "-s", "-m", __name__],
            input=stdin,
            capture_output=True,
            timeout=READ_SECONDS,
            cwd=PROJECT_ROOT,
            env={},  # nothing of the server's environment for a process reading hostile input
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.warning(
            "reading %r took longer than %s s; the child was killed", filename, READ_SECONDS
        )
        raise SpreadsheetError(_unreadable(filename)) from None
    if done.returncode != 0:
        logger.warning(
            "reading %r: the child exited with %s: %s",
            filename,
            done.returncode,
            done.stderr[-2000:].decode(errors="replace"),
        )
        raise SpreadsheetError(_unreadable(filename))
    return done.stdout


class _RowsUnpickler(pickle.Unpickler):
    """Cell values only: the child parsed a file from outside, its output is not trusted."""

    ALLOWED = {"date", "datetime", "time", "timedelta"}

    def find_class(self, module, name):
        if module == "datetime" and name in self.ALLOWED:
            return getattr(datetime, name)
        raise pickle.UnpicklingError(f"unexpected {module}.{name} from the spreadsheet reader")


# -- the child --------------------------------------------------------------------------------


class Refused(Exception):
    """Raised in the child: a message for the user, the file is not read."""


def main() -> None:
    request = json.loads(sys.stdin.buffer.readline())
    memory, seconds = request["memory_bytes"], max(1, int(request["seconds"]))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    data = sys.stdin.buffer.read()
    try:
        result = ("rows", read_file(data, request))
    except Refused as exc:
        result = ("refused", str(exc))
    pickler = pickle.Pickler(sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # No memo: a 70,000-row roster is 1.3 million distinct strings, none shared,
    # and memoising them doubles the time of the transfer.
    pickler.fast = True
    pickler.dump(result)


def read_file(data: bytes, request: dict) -> list[list]:
    name, suffix = request["name"], request["suffix"]
    limits = (request["max_rows"], request["max_columns"])
    if suffix == ".csv":
        return read_csv(data, name, limits)
    if suffix == ".xls":
        check_xls_extent(data, name, limits)
        return _calamine_rows(data, name)
    check_xlsx_extent(data, name, limits)
    rows = _calamine_rows(data, name)
    _show_months(rows, month_cells(_open_zip(data, name), name))
    return rows


# -- dates shown to the month ----------------------------------------------------------------
#
# A roster may hold whole dates in cells formatted to show the year and month
# alone (2017年3月): what the clerk meant is the month. Such cells are handed
# on as the text "2017年03月", which the import reads as a date known to the
# month. Built-in formats: 17 is mmm-yy, 57 is yyyy"年"m"月" in Chinese Excel.
MONTH_BUILTINS = {"17", "57"}


def month_format(code: str) -> bool:
    """Whether an Excel number format shows a year and a month but no day (nor time)."""
    code = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code).lower()
    return "y" in code and "m" in code and not re.search(r"[dhs]", code)


def _month_styles(archive: zipfile.ZipFile) -> set[str]:
    """The s="" indices of the cell formats that show a date to the month."""
    custom = {
        attrib.get("numFmtId"): attrib.get("formatCode", "")
        for tag, attrib in _xml_elements(archive, "xl/styles.xml")
        if tag == "numFmt"
    }
    months = {i for i, code in custom.items() if month_format(code)} | MONTH_BUILTINS
    return {
        str(index) for index, xf in enumerate(_cell_xfs(archive)) if xf.get("numFmtId") in months
    }


def _cell_xfs(archive: zipfile.ZipFile):
    """The attributes of the <xf> of <cellXfs>, in order (a cell's s="" is the position)."""
    from defusedxml.ElementTree import iterparse

    entries = [i for i in archive.infolist() if _normal(i.filename) == "xl/styles.xml"]
    if not entries:
        return
    inside = False
    with archive.open(entries[-1]) as stream:
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if tag == "cellXfs":
                inside = event == "start"
            elif tag == "xf" and inside and event == "end":
                yield dict(element.attrib)
            if event == "end":
                element.clear()


CELL_STYLE = re.compile(rb'<c r="([A-Z]+)(\d+)" s="(\d+)"')


def month_cells(archive: zipfile.ZipFile, name: str) -> set[tuple[int, int]]:
    """(row, column) from 0 of the first sheet's cells in a format showing the month alone."""
    styles = _month_styles(archive)
    if not styles:
        return set()
    wanted = {s.encode() for s in styles}
    found = set()
    for part in _first_sheet_parts(archive, name):
        with archive.open(part) as stream:
            content = stream.read()
        for letters, number, style in CELL_STYLE.findall(content):
            if style in wanted:
                found.add((int(number) - 1, _column_number(letters.decode()) - 1))
    return found


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _show_months(rows: list[list], cells: set[tuple[int, int]]) -> None:
    for row, column in cells:
        if row < len(rows) and column < len(rows[row]):
            value = rows[row][column]
            if isinstance(value, datetime.date):
                rows[row][column] = f"{value.year}年{value.month:02d}月"


def _calamine_rows(data: bytes, name: str) -> list[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件（{exc}）。") from None


def column_letters(number: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _too_far(name: str, where: str, limits) -> Refused:
    max_rows, max_columns = limits
    return Refused(
        f"文件「{name}」的表格在 {where} 处还有内容，超出了可读取的范围"
        f"（最多 {max_columns} 列、{max_rows} 行），未读取：请删除表格以外的内容，"
        "或只把要导入的区域复制到一个新文件后重新上传。"
    )


# -- csv --------------------------------------------------------------------------------------


def read_csv(data: bytes, name: str, limits) -> list[list]:
    """Streamed: stops at the row limit; blank lines keep their number but no cells."""
    max_rows, max_columns = limits
    text = io.TextIOWrapper(io.BytesIO(data), encoding=_csv_encoding(data), newline="")
    rows: list[list] = []
    reader = csv.reader(text)
    try:
        for number, row in enumerate(reader, start=1):
            if number > max_rows:
                raise Refused(
                    f"文件「{name}」超过 {max_rows} 行（空行也计算在内），未读取：请分批导入。"
                )
            if len(row) > max_columns and any(row[max_columns:]):
                raise _too_far(name, f"第{number}行第{max_columns + 1}列之后", limits)
            rows.append(row[:max_columns] if any(row) else [])
    except csv.Error as exc:
        raise Refused(f"文件「{name}」第{reader.line_num}行无法读取（{exc}）。") from None
    return rows


def _csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, which covers the GBK files Excel writes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)  # only whether it decodes; the text is read streaming
        except UnicodeDecodeError:
            continue
        return encoding
    raise Refused("无法识别 CSV 文件的编码：请另存为 UTF-8 或 GBK 编码。")


# -- xlsx -------------------------------------------------------------------------------------

# An xlsx is a zip of XML. Real rosters expand 5–20 times; a "zip bomb" expands
# thousands of times to exhaust memory while it is parsed.
MAX_EXPANSION = 100
MAX_UNCOMPRESSED = 400 * 1024 * 1024
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 4 * 1024 * 1024


def check_xlsx_extent(data: bytes, name: str, limits) -> None:
    from xml.etree.ElementTree import ParseError

    archive = _open_zip(data, name)
    try:
        for part in _first_sheet_parts(archive, name):
            far = far_cell(archive, part, limits)
            if far:
                raise _too_far(name, f"单元格 {far}", limits)
    except (ParseError, ValueError, zipfile.BadZipFile):  # defusedxml's refusals are ValueErrors
        raise Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件。") from None


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    not_excel = Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件。")
    # calamine recognises a file by its content, trying .xls first and .xlsb and
    # .ods after .xlsx: refuse anything it could read as a format not checked here.
    if data.startswith(CFB_MAGIC):
        raise not_excel
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise not_excel from None
    names = {_normal(info.filename) for info in archive.infolist()}
    if names & {"content.xml", "xl/workbook.bin"}:
        raise not_excel
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNCOMPRESSED or unpacked > MAX_EXPANSION * max(len(data), 1):
        raise Refused(
            f"文件「{name}」解压后有 {unpacked / 1024 / 1024:.0f} MB，与文件大小极不相称，"
            "可能已损坏或是恶意文件，未读取。"
        )
    return archive


def _normal(path: str) -> str:
    """How calamine looks zip entries up: case-insensitive, either slash."""
    return path.replace("\\", "/").lower()


def _first_sheet_parts(archive: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    """The zip entries of the sheet calamine reads: the first <sheet> of workbook.xml."""
    not_excel = Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件。")
    package = _relationships(archive, "_rels/.rels")
    documents = [t for t, kind in package.values() if kind.endswith("/officeDocument")]
    if not documents:
        raise not_excel
    base = documents[-1].rpartition("/")[0].lstrip("/")
    base = f"{base}/" if base else ""
    targets = _relationships(archive, f"{base}_rels/workbook.xml.rels")
    sheet = targets.get(_first_sheet_id(archive, f"{base}workbook.xml"))
    if sheet is None:
        raise not_excel
    path = sheet[0][1:] if sheet[0].startswith("/") else base + sheet[0]
    parts = [info for info in archive.infolist() if _normal(info.filename) == _normal(path)]
    if not parts:
        raise not_excel
    return parts  # several only in a crafted file; all are checked


def _xml_elements(archive: zipfile.ZipFile, path: str):
    from defusedxml.ElementTree import iterparse

    entries = [info for info in archive.infolist() if _normal(info.filename) == _normal(path)]
    if not entries:
        return
    with archive.open(entries[-1]) as stream:
        for _event, element in iterparse(stream):
            yield element.tag.rpartition("}")[2], element.attrib
            element.clear()


def _relationships(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    return {
        attrib.get("Id"): (attrib.get("Target", ""), attrib.get("Type", ""))
        for tag, attrib in _xml_elements(archive, path)
        if tag == "Relationship"
    }


def _first_sheet_id(archive: zipfile.ZipFile, path: str) -> str | None:
    for tag, attrib in _xml_elements(archive, path):
        if tag == "sheet":
            ids = [v for k, v in attrib.items() if k.rpartition("}")[2] == "id"]
            return ids[-1] if ids else None
    return None


def far_cell(archive: zipfile.ZipFile, part: zipfile.ZipInfo, limits) -> str | None:
    """The reference of the first non-empty cell beyond *limits* (e.g. "XFD1048576"), or None.

    Reads the references as spreadsheet programs write them (``<c r="B7"``),
    streaming; cells that only carry formatting (``<c r="C9" s="1"/>``) do
    not count, as calamine skips them too. Only references of two letters or
    more, or of more digits than the row limit has, are looked at closely.
    """
    max_rows, _ = limits
    candidate = re.compile(rb'c r="([A-Za-z]{2,}\d+|[A-Za-z]*\d{%d,})"' % len(str(max_rows)))
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            buffer = carry + chunk
            # Tags cannot hold "<": scanning up to the last one never cuts a tag.
            cut = buffer.rfind(b"<")
            end = cut if cut >= 0 and len(buffer) - cut < CHUNK else len(buffer)
            for match in candidate.finditer(buffer, 0, end):
                if _beyond(match.group(1), limits) and not _empty_cell(buffer, match.end()):
                    return match.group(1).decode().upper()
            carry = buffer[end:]
    return None


def _beyond(reference: bytes, limits) -> bool:
    max_rows, max_columns = limits
    letters = reference.rstrip(b"0123456789").upper()
    column = 0
    for letter in letters:
        column = column * 26 + letter - ord("A") + 1
    return column > max_columns or int(reference[len(letters) :]) > max_rows


def _empty_cell(buffer: bytes, position: int) -> bool:
    """A cell tag that closes itself or is closed at once has no value."""
    end = buffer.find(b">", position)
    return end > 0 and (buffer[end - 1 : end] == b"/" or buffer.startswith(b"</", end + 1))


# -- xls --------------------------------------------------------------------------------------

XLS_CELLS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}  # row, column first
XLS_MULRK, XLS_DIMENSIONS, XLS_BOUNDSHEET, XLS_EOF = 0x00BD, 0x0200, 0x0085, 0x000A


def check_xls_extent(data: bytes, name: str, limits) -> None:
    """Every sheet's cells and declared dimensions: calamine reads all sheets of an .xls."""
    stream = _xls_workbook_stream(data, name)
    offsets = [
        struct.unpack_from("<I", stream, start)[0]
        for kind, start, size in _xls_records(stream, 0)
        if kind == XLS_BOUNDSHEET and size >= 4
    ]
    for offset in offsets:
        if offset >= len(stream):
            raise Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件。")
        far = _xls_far_cell(stream, offset, limits)
        if far:
            raise _too_far(name, f"单元格 {far}", limits)


def _xls_workbook_stream(data: bytes, name: str) -> bytes:
    import olefile

    not_excel = Refused(f"无法读取文件「{name}」：它不是有效的 Excel 文件。")
    if zipfile.is_zipfile(io.BytesIO(data)):  # calamine would read it as an xlsx, unchecked
        raise not_excel
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = [
            e[0] for e in ole.listdir() if len(e) == 1 and e[0].lower() in ("workbook", "book")
        ]
        if len(streams) != 1:  # calamine and olefile might pick different ones
            raise not_excel
        return ole.openstream(streams[0]).read()
    except OSError:
        raise not_excel from None


def _xls_records(stream: bytes, position: int):
    """(type, data start, data size) of each BIFF record up to the EOF record."""
    while position + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, position)
        if kind == XLS_EOF:
            return
        yield kind, position + 4, size
        position += 4 + size


def _xls_far_cell(stream: bytes, offset: int, limits) -> str | None:
    max_rows, max_columns = limits
    for kind, start, size in _xls_records(stream, offset):
        if kind == XLS_DIMENSIONS and size in (10, 14):
            rows, columns = _xls_dimensions(stream, start, size)
            if not (0 < rows <= max_rows and 0 < columns <= max_columns):
                return f"{column_letters(max(columns, 1))}{max(rows, 1)}（表格声明的范围）"
            continue
        if kind == XLS_MULRK and size >= 6:
            row, _ = struct.unpack_from("<HH", stream, start)
            column = struct.unpack_from("<H", stream, start + size - 2)[0]
        elif kind in XLS_CELLS and size >= 4:
            row, column = struct.unpack_from("<HH", stream, start)
        else:
            continue
        if row + 1 > max_rows or column + 1 > max_columns:
            return f"{column_letters(column + 1)}{row + 1}"
    return None


def _xls_dimensions(stream: bytes, start: int, size: int) -> tuple[int, int]:
    """Rows and columns calamine reserves room for, computed as it does (MS-XLS 2.4.90)."""
    if size == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", stream, start)
    else:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", stream, start)
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row < 1 or last_col < 1:
        return 1, 1
    return last_row - 1 - first_row + 1, last_col - 1 - first_col + 1


if __name__ == "__main__":
    main()
