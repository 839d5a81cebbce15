"""Importing a 党费收缴表: payments already made, one row per member and month.

``plan_dues_import`` reads the file's cells into payments and checks every
cell, naming each problem by row and column (``第5行「金额（元）」：…``): the
member by ID number among the active members the user may see (one outside
them is not found, whichever township holds them), the name as the roster
has it, the month and the amount by the ledger's own rules
(``services.payment_problems``), a member's month once in the file and not
settled in the ledger already. It reads the registry in a fixed number of
queries and writes nothing; ``services.dues_payments_import`` writes a plan
without problems, all rows or none.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from branches.spreadsheets.cells import EXCEL_EPOCH, Problem, grouped, header_row, normalise_header
from branches.spreadsheets.reading import SpreadsheetError, read_rows
from members import pii
from members import roster_values as v
from members.dues.rules import month_label, month_start
from members.dues.services import DuesPayment, payment_problems, settled_message
from members.idcard import IdCheckError, IdNumberError, parse_id_number
from members.models import DuesLine, Member
from members.roster_columns import BY_FIELD as ROSTER_COLUMNS
from members.roster_columns import Column
from members.roster_parse import is_skippable

MAX_ROWS = 5_000
HEADER_SEARCH_ROWS = 20
NOTE_LENGTH = 200  # DuesEntry.note

COLUMNS: list[Column] = [
    ROSTER_COLUMNS["name"],
    ROSTER_COLUMNS["id_number"],
    Column(
        "month",
        "所属月份",
        (
            "月份",
            "所属年月",
            "党费所属月份",
            "交纳月份",
            "缴纳月份",
            "缴费月份",
            "交费月份",
            "所属期",
        ),
        required=True,
    ),
    # "金额（元）" is read as "金额": the words in brackets are a hint (normalise_header).
    Column(
        "amount",
        "金额（元）",
        (
            "党费金额",
            "实缴金额",
            "实缴党费",
            "实缴",
            "实交金额",
            "交纳金额",
            "缴纳金额",
            "缴费金额",
            "交纳党费",
            "缴纳党费",
        ),
        required=True,
    ),
    Column(
        "paid_on",
        "交纳日期",
        ("缴纳日期", "缴费日期", "交费日期", "交纳时间", "缴纳时间", "缴费时间", "收缴日期"),
    ),
    Column("note", "说明", ("备注",)),
]
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = [c for c in COLUMNS if c.required]
HEADER_LOOKUP: dict[str, str] = {
    normalise_header(name): column.field
    for column in COLUMNS
    for name in (column.header, *column.aliases)
}
# A month written as the ledger's pages write it, or a whole date (its month is meant).
MONTH_FORMS = (
    re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月份?)?"),
    re.compile(r"(\d{4})(\d{2})"),
    re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
MONEY_MARKS = re.compile(r"[\s,，元¥￥]")


class DuesFileError(SpreadsheetError):
    """The file cannot be imported at all: unreadable, too long, no header, a column missing."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    name: str = ""
    id_number: str = ""
    month: datetime.date | None = None
    amount: Decimal | None = None
    paid_on: datetime.date | None = None
    note: str = ""
    member: Member | None = None
    problems: list[Problem] = field(default_factory=list)
    # A check character that does not add up: said when no member has the number.
    id_problem: str = ""

    @property
    def id_number_masked(self) -> str:
        return pii.masked("id_number", self.id_number)

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def payment(self) -> DuesPayment:
        return DuesPayment(
            member=self.member,
            month=self.month,
            amount=self.amount,
            paid_on=self.paid_on,
            note=self.note,
        )


@dataclass
class Plan:
    rows: list[Row]
    unknown_columns: list[str]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def problem_lines(self) -> list[str]:
        return grouped(self.problems)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.problems)

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if not r.problems]

    @property
    def members(self) -> int:
        return len({r.member.pk for r in self.good})

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.good), Decimal("0.00"))

    @property
    def payments(self) -> list[DuesPayment]:
        return [r.payment for r in self.rows]

    @property
    def importable(self) -> bool:
        return bool(self.rows) and not self.rejected


# -- reading ------------------------------------------------------------------


def read_cells(data: bytes, file_name: str) -> list[list]:
    """The first sheet's cells, by the one bounded reader of every import."""
    try:
        return read_rows(data, file_name, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS)
    except SpreadsheetError as exc:
        raise DuesFileError(str(exc)) from None


def find_header(cells: list[list]) -> tuple[int, dict[int, str], list[str]]:
    """The header row's index, its columns' fields, and the headers not recognised."""
    best = header_row(cells, HEADER_LOOKUP, rows=HEADER_SEARCH_ROWS)
    if best is None:
        raise DuesFileError(
            "在前20行中找不到表头：表头应包含“姓名”“公民身份证号”“所属月份”“金额（元）”等列名。"
        )
    index, mapping = best
    missing = [c.header for c in REQUIRED if c.field not in mapping.values()]
    if missing:
        raise DuesFileError(
            f"缺少必填列：{'、'.join(f'「{m}」' for m in missing)}，未读取任何数据行。"
        )
    unknown = [
        v.text(cell)
        for col, cell in enumerate(cells[index])
        if col not in mapping and not v.is_blank(cell)
    ]
    return index, mapping, unknown


def plan_dues_import(*, cells: list[list], user, today: datetime.date) -> Plan:
    """Check a 党费收缴表 against the rules and the ledger; writes nothing."""
    header_index, mapping, unknown = find_header(cells)
    body = cells[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise DuesFileError(
            f"文件有 {len(body)} 行，超过每次最多 {MAX_ROWS} 行的限制，请分批导入。"
        )
    # As written (full-width brackets kept: 「金额（元）」), on one line.
    headers = {
        name: " ".join(str(cells[header_index][col]).split()) for col, name in mapping.items()
    }
    rows = []
    for offset, raw in enumerate(body):
        if is_skippable(raw):
            continue
        by_field = {name: raw[col] if col < len(raw) else None for col, name in mapping.items()}
        row = Row(number=header_index + offset + 2)
        _parse(row, by_field, _Say(row, headers), today)
        rows.append(row)
    _find_members(rows, headers, user)
    for row in rows:
        _rules(row, _Say(row, headers), today)
    _twice_in_file(rows, headers)
    _settled(rows, headers)
    return Plan(rows=rows, unknown_columns=unknown)


class _Say:
    """Problems of one row, each under its column's header as written."""

    def __init__(self, row: Row, headers: dict[str, str]) -> None:
        self.row, self.headers = row, headers

    def __call__(self, name: str, message: str, kind: str = "") -> None:
        column = self.headers.get(name) or BY_FIELD[name].header
        self.row.problems.append(Problem(self.row.number, column, message, kind))


# -- one row's cells ----------------------------------------------------------


def _parse(row: Row, cells: dict, say: _Say, today: datetime.date) -> None:
    for name, cell in cells.items():
        if message := v.control_character_problem(cell):
            say(name, message)
    if row.problems:
        return  # a cell's text is not what it shows; the rest waits until it is fixed
    row.name = v.parse_name(cells.get("name"))
    if not row.name:
        say("name", "姓名不能为空。")
    _id_number(row, cells.get("id_number"), say)
    for name, parse in (("month", parse_month), ("amount", parse_amount)):
        try:
            setattr(row, name, parse(cells.get(name)))
        except ValueError as exc:
            say(name, str(exc))
    try:
        paid_on = v.parse_date(cells.get("paid_on"))
    except ValueError as exc:
        say("paid_on", str(exc))
    else:
        row.paid_on = paid_on[0] if paid_on else today
    row.note = v.text(cells.get("note"))
    if len(row.note) > NOTE_LENGTH:
        say("note", f"最多 {NOTE_LENGTH} 个字符，这里有 {len(row.note)} 个。")


def _id_number(row: Row, cell, say: _Say) -> None:
    try:
        raw = v.parse_id_cell(cell)
        if not raw:
            raise IdNumberError("身份证号不能为空。")
        try:
            row.id_number = parse_id_number(raw).number
        except IdCheckError as exc:
            # The roster may hold such a number on purpose (an override): look it up first.
            row.id_number = parse_id_number(raw, allow_bad_check=True).number
            row.id_problem = str(exc)
    except (ValueError, IdNumberError) as exc:
        say("id_number", str(exc))


def parse_month(cell) -> datetime.date:
    """所属月份: 2026-11, 2026/11, 2026年11月, 202611, or a date (Excel's or written)."""
    if isinstance(cell, datetime.datetime):
        return month_start(cell.date())
    if isinstance(cell, datetime.date):
        return month_start(cell)
    if isinstance(cell, float) and not cell.is_integer():
        raise ValueError(
            f"「{v.text(cell)}」是数字，看不出是哪个月（2026.1 和 2026.10 是同一个数）："
            "请写成 2026-11 或 2026年11月。"
        )
    if isinstance(cell, int | float) and not isinstance(cell, bool) and 1 <= cell < 100000:
        return month_start(EXCEL_EPOCH + datetime.timedelta(days=int(cell)))  # a serial day
    value = v.text(cell)
    if not value:
        raise ValueError("所属月份不能为空。")
    for form in MONTH_FORMS:
        match = form.fullmatch(value)
        if match:
            day = int(match[3]) if form.groups == 3 else 1
            try:
                return month_start(datetime.date(int(match[1]), int(match[2]), day))
            except ValueError:
                raise ValueError(f"月份「{value}」不存在。") from None
    raise ValueError(f"无法识别的月份「{value}」，请写成 2026-11、2026年11月或 202611。")


def parse_amount(cell) -> Decimal:
    """金额（元） as a number; its range and its fen are the ledger's rules."""
    written = v.text(cell)
    if isinstance(cell, float):
        # A formula's result (=0.1*3 is 0.30000000000000004): what the sheet shows.
        written = repr(round(cell, 6))
    elif not isinstance(cell, int) or isinstance(cell, bool):
        written = MONEY_MARKS.sub("", written)
    if not written:
        raise ValueError("金额不能为空。")
    try:
        amount = Decimal(written)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValueError(f"无法识别的金额「{v.text(cell)}」，请填写数字，如 12.50。")
    return amount


# -- the file's rows together, and the ledger -----------------------------------


def _find_members(rows: list[Row], headers: dict, user) -> None:
    """Each ID number among the active members *user* may see (one query); the name
    must be the roster's. A member elsewhere is not found, as an unknown one."""
    numbers = sorted({r.id_number for r in rows if r.id_number})
    found = {
        m.id_number: m
        for m in Member.objects.visible_to(user)
        .active()
        .filter(id_number__in=numbers)
        .only("pk", "name", "id_number", "branch_id", "joined_on")
    }
    for row in rows:
        if not row.id_number:
            continue
        say = _Say(row, headers)
        member = found.get(row.id_number)
        if member is None:
            say("id_number", row.id_problem or "未找到该身份证号的在册党员。")
        elif row.name and row.name != member.name:
            say(
                "name",
                f"姓名「{row.name}」与花名册不一致：该身份证号在花名册中是「{member.name}」。",
            )
        else:
            row.member = member


def _rules(row: Row, say: _Say, today: datetime.date) -> None:
    if row.month is None or row.amount is None or row.paid_on is None:
        return  # a cell could not be read: said already
    joined_on = row.member.joined_on if row.member else None
    found = payment_problems(
        month=row.month, amount=row.amount, paid_on=row.paid_on, today=today, joined_on=joined_on
    )
    for name, message in found.items():
        say(name, message)
    if "amount" not in found:
        row.amount = row.amount.quantize(Decimal("0.01"))


def _twice_in_file(rows: list[Row], headers: dict) -> None:
    first: dict[tuple[str, datetime.date], Row] = {}
    for row in rows:
        if not (row.id_number and row.month):
            continue
        earlier = first.setdefault((row.id_number, row.month), row)
        if earlier is not row:
            _Say(row, headers)(
                "month",
                f"{row.month_label}的党费在第{earlier.number}行已有：同一党员同一月份只能导入一行。",
            )


def _settled(rows: list[Row], headers: dict) -> None:
    """Months the ledger has paid or exempted already (one query)."""
    wanted = [r for r in rows if r.member and r.month]
    if not wanted:
        return
    lines = {
        (line.member_id, line.month): line
        for line in DuesLine.objects.filter(
            member_id__in={r.member.pk for r in wanted}, month__in={r.month for r in wanted}
        ).only("member", "month", "paid", "exempt")
    }
    for row in wanted:
        line = lines.get((row.member.pk, row.month))
        if line is not None and line.settled:
            _Say(row, headers)("month", settled_message(line))
