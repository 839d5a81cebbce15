"""Cells of uploaded spreadsheets into text and dates, header names compared loosely, and
problems named by row and column (``第{行}行「{列}」：{说明}``): what every import reads
with, the roster's and the organisation tree's alike."""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str
    # What kind of problem, where a page groups them (e.g. "missing": an
    # organisation the tree does not have, said once for all its rows).
    kind: str = ""

    def __str__(self) -> str:
        return f"第{self.row}行「{self.column}」：{self.message}"


def grouped(problems: list[Problem], *, kinds=("missing",), shown: int = 5) -> list[str]:
    """The problems as lines, those of *kinds* said once for every row they share.

    An unknown branch named by 300 rows is one line, ``第5、6、7、8、9行等「所在党支部」：…
    （共 300 行）``, where the first of them stood; every other problem keeps its line.
    """
    lines: list[str | list[Problem]] = []
    same: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if p.kind not in kinds:
            lines.append(str(p))
        elif (p.column, p.message) in same:
            same[p.column, p.message].append(p)
        else:
            lines.append(same.setdefault((p.column, p.message), [p]))
    return [line if isinstance(line, str) else _one_line(line, shown) for line in lines]


def _one_line(problems: list[Problem], shown: int) -> str:
    if len(problems) == 1:
        return str(problems[0])
    rows = "、".join(str(p.row) for p in problems[:shown])
    more = "等" if len(problems) > shown else ""
    first = problems[0]
    return f"第{rows}行{more}「{first.column}」：{first.message}（共 {len(problems)} 行）"


def normalise_header(text) -> str:
    """Full-width to half-width, no spaces, no hint text in brackets, no asterisks."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"[(\[（【][^)\]）】]*[)\]）】]", "", text)
    return re.sub(r"[\s*:：]", "", text)


EXCEL_EPOCH = datetime.date(1899, 12, 30)


def text(cell) -> str:
    if cell is None or cell == "":
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return unicodedata.normalize("NFKC", str(cell)).strip()


def is_blank(cell) -> bool:
    return text(cell) == ""


# Invisible control characters: no record may hold them (PostgreSQL refuses NUL
# outright, spreadsheets cannot hold the others). Tab and line breaks are text.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(cell) -> str:
    """A message naming the first control character of a text cell, or ""."""
    if not isinstance(cell, str) or cell.isprintable():
        return ""
    found = CONTROL.search(cell)
    if not found:
        return ""
    return f"含有不可见的控制字符（U+{ord(found.group()):04X}），请删除后重新导入。"


def parse_date(cell, *, month_ok: bool = False) -> tuple[datetime.date, bool] | None:
    """A date and whether it was given to the day (False: only year and month)."""
    if cell is None or is_blank(cell):
        return None
    if isinstance(cell, datetime.datetime):
        return cell.date(), True
    if isinstance(cell, datetime.date):
        return cell, True
    if isinstance(cell, int | float):
        if 1 <= cell < 100000:  # an Excel serial day number
            return EXCEL_EPOCH + datetime.timedelta(days=int(cell)), True
        cell = str(int(cell))
    value = text(cell)
    patterns = [
        (r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", True),
        (r"(\d{4})(\d{2})(\d{2})", True),
        (r"(\d{4})[-/.年](\d{1,2})月?", False),
        (r"(\d{4})(\d{2})", False),
    ]
    for pattern, to_day in patterns:
        match = re.fullmatch(pattern, value)
        if not match:
            continue
        if not to_day and not month_ok:
            raise ValueError(f"日期「{value}」只有年月，这一列需要写到日，如 2018-07-01。")
        parts = [int(p) for p in match.groups()] + ([] if to_day else [1])
        try:
            return datetime.date(*parts), to_day
        except ValueError:
            raise ValueError(f"日期「{value}」不存在。") from None
    raise ValueError(f"无法识别的日期「{value}」，请写成 2018-07-01 或 2018年7月1日。")


def header_row(
    cells: list[list], lookup: dict[str, str], *, rows: int
) -> tuple[int, dict[int, str]] | None:
    """Among the first *rows* rows, the one naming the most known columns (two at least):
    its index and {column: field}, by *lookup* of the normalised header; else None.

    A title line or a note above the header is passed over; a column named twice
    counts once, at its first place.
    """
    best = None
    for index, row in enumerate(cells[:rows]):
        mapping: dict[int, str] = {}
        for col, cell in enumerate(row):
            name = lookup.get(normalise_header(cell))
            if name and name not in mapping.values():
                mapping[col] = name
        if len(mapping) >= 2 and (best is None or len(mapping) > len(best[1])):
            best = (index, mapping)
    return best
