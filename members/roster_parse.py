"""Reading a roster file into rows of field values: the header found under title rows,
filler and total lines skipped, every cell parsed and checked (``roster_values``; each
column's repeated cells once, ``ColumnMemo``), and each problem named by row and column
as ``第{行}行「{列}」：{说明}``. Reads nothing from the registry but the user's branches
(through the index ``roster_plan`` passes in)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import CharField

from branches.missing import MissingOrganisation
from branches.spreadsheets.cells import Problem, normalise_header
from branches.spreadsheets.reading import SpreadsheetError, read_rows
from members import roster_values as v
from members.choices import DatePrecision
from members.dates import MONTH_PRECISION_FIELDS, date_problems, stored
from members.development.columns import is_pipeline_header
from members.idcard import IdCheckError, IdNumberError, parse_id_number
from members.models import Member
from members.roster_columns import HEADER_LOOKUP, REQUIRED

MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 20
FILLER = re.compile(
    r"^(填报单位|填表单位|制表人|填表人|审核人|联系电话|填报日期|单位（盖章）|说明)"
)
TOTALS = {"合计", "总计", "小计", "共计"}

# Columns whose value a row cannot do without: a value they cannot hold refuses the row.
PARSERS = {
    "sex": v.parse_sex,
    "category": v.parse_category,
    "party_status": v.parse_party_status,
    "mobile_phone": v.parse_phone,
    "landline": v.parse_phone,
    "address": v.text,
    "mobile_destination": v.text,
    "employer": v.text,
    "native_place": v.text,
}
# Optional columns: a value they cannot read is left out with a warning; the row imports.
OPTIONAL_PARSERS = {
    "monthly_dues": v.parse_decimal,
    "lost_contact": v.parse_bool,
    "is_mobile": v.parse_bool,
}
# Descriptive coded columns: words no code fits are kept as written (待规范), with a warning.
DESCRIBERS = {
    "occupation": (v.describe_occupation, "工作岗位"),
    "education": (v.describe_education, "学历"),
    "ethnicity": (v.describe_ethnicity, "民族"),
}
DATE_FIELDS = {"joined_on", "full_member_on", "lost_contact_on", "dues_paid_until", "birth_date"}


# What one cell does to its row: values to set, the precision of a date ("year", or
# whether it was given to the day; None: none noted), and a message (refused?,
# message, kind) or None.
Effect = tuple[dict, object, tuple[bool, str, str] | None]
READ = {*PARSERS, *DESCRIBERS, *OPTIONAL_PARSERS, *DATE_FIELDS}


class ColumnMemo:
    """What each column's cells do to a row, worked out once per distinct cell, for one file.

    A roster repeats a handful of values down a column (性别, 人员类别, 学历,
    是/否) and a few thousand dates: reading each distinct cell once, and
    looking the rest up, is most of the work of checking 70,000 rows. A cell's
    effect (``_effect``) depends on the cell alone, so this changes no result.
    Columns of values unique to a row (phones, addresses) are not kept: they
    would only fill memory.
    """

    KEPT = {"sex", "category", "party_status", *DESCRIBERS, *OPTIONAL_PARSERS, *DATE_FIELDS}

    def __init__(self) -> None:
        self._seen: dict[str, dict] = {name: {} for name in self.KEPT}

    def effect(self, name: str, cell) -> Effect:
        seen = self._seen.get(name)
        if seen is None:
            return _effect(name, cell)
        key = (cell.__class__, cell)  # 1, 1.0 and True are equal keys, not equal cells
        found = seen.get(key)
        if found is None:
            found = seen[key] = _effect(name, cell)
        return found


class RosterFileError(SpreadsheetError):
    """The file cannot be imported at all (unreadable, no header, a required column missing)."""


class PipelineRosterFile(RosterFileError):
    """The file is a 积极分子花名册, not a member roster: its people are not members.

    Carries the cells read, so the upload page hands them to the 发展党员 import
    (``members.development.imports``) without reading the file again.
    """

    def __init__(self, cells: list[list]) -> None:
        super().__init__(
            "这是入党积极分子花名册（有“递交入党申请书日期”等发展党员的列，没有“加入党组织日期”），"
            "不能作为党员花名册导入：请在“发展党员”的“导入积极分子花名册”页面上传。"
        )
        self.cells = cells


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    cells: list
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # noted; the row still imports
    existing: Member | None = None
    action: str = ""  # new | changed | unchanged | rejected
    changes: dict = field(default_factory=dict)
    check_error: str = ""  # a wrong check character, allowed only where the record overrides it
    file_problems: int | None = None  # how many problems the file itself had
    missing: MissingOrganisation | None = None  # a branch or group the tree lacks


# -- reading ------------------------------------------------------------------


def read_cells(data: bytes, filename: str) -> list[list]:
    """The first sheet's cells, read by the one safe reader of every import."""
    try:
        return read_rows(data, filename, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS)
    except SpreadsheetError as exc:
        raise RosterFileError(str(exc)) from None


def find_header(cells: list[list]) -> tuple[int, dict[int, str], list[str]]:
    """The header row's index, its columns' fields, and the headers not recognised."""
    best = None
    for index, row in enumerate(cells[:HEADER_SEARCH_ROWS]):
        mapping = {}
        for col, cell in enumerate(row):
            key = normalise_header(cell)
            if key in HEADER_LOOKUP and HEADER_LOOKUP[key] not in mapping.values():
                mapping[col] = HEADER_LOOKUP[key]
        if len(mapping) >= 2 and (best is None or len(mapping) > len(best[1])):
            best = (index, mapping)
    if best is None:
        raise RosterFileError(
            "在前20行中找不到表头：表头应包含“姓名”“公民身份证号”“所在党支部”等列名。"
        )
    index, mapping = best
    if is_pipeline_header(cells[index]):
        raise PipelineRosterFile(cells)
    missing = [c.header for c in REQUIRED if c.field not in mapping.values()]
    if missing:
        raise RosterFileError(
            f"缺少必填列：{'、'.join(f'「{m}」' for m in missing)}，未读取任何数据行。"
        )
    unknown = [
        v.text(cell)
        for col, cell in enumerate(cells[index])
        if col not in mapping and not v.is_blank(cell)
    ]
    return index, mapping, unknown


def is_skippable(row: list) -> bool:
    """Blank rows, filler lines (填报单位：…) and total rows (合计)."""
    values = [t for t in (v.text(c) for c in row[:4]) if t]
    if not values and any(c not in (None, "") for c in row):
        values = [t for t in (v.text(c) for c in row) if t]
    if not values:
        return True
    if FILLER.match(values[0]):
        return True
    return any(value.replace(" ", "") in TOTALS for value in values[:3])


def _cell(raw, col):
    return raw[col] if col < len(raw) else None


def _parse(row: Row, mapping, headers, index, memo: ColumnMemo | None = None) -> None:
    """Parse *row*'s cells into values; *index* resolves the branch and group names.

    *memo* (one per file) keeps the parsed values of repeated cells.
    """
    if memo is None:
        memo = ColumnMemo()

    def problem(field_name, message, kind=""):
        column = headers.get(field_name, field_name)
        row.problems.append(Problem(row.number, column, message, kind))

    def warning(field_name, message, kind=""):
        column = headers.get(field_name, field_name)
        row.warnings.append(Problem(row.number, column, message, kind))

    values, cells = row.values, row.cells
    width = len(cells)
    by_field = {f: cells[col] if col < width else None for col, f in mapping.items()}
    # One test of the row's text first: nearly every row has no invisible character.
    if not "".join([c for c in cells if c.__class__ is str]).isprintable():
        for name, cell in by_field.items():
            if message := v.control_character_problem(cell):
                problem(name, message)
        if row.problems:
            return  # a cell's text is not what it shows; the rest waits until it is fixed
    values["name"] = v.parse_name(by_field.get("name"))
    if not values["name"]:
        problem("name", "姓名不能为空。")
    precision = {}
    for name, cell in by_field.items():
        if name not in READ:
            continue
        updates, exact, said = memo.effect(name, cell)
        values.update(updates)
        if exact is not None:
            precision[name] = exact
        if said is not None:
            refused, message, kind = said
            (problem if refused else warning)(name, message, kind)
    _id_number(row, by_field.get("id_number"), precision, problem)
    try:
        branch = index.branch(v.text(by_field.get("branch")))
        values["branch"] = branch
        # Without a 所在党小组 column the group is left as it is (see ``_changes``).
        if "group" in by_field:
            values["group"] = index.group(branch, v.text(by_field.get("group")))
    except MissingOrganisation as exc:
        group = v.text(by_field.get("group"))
        row.missing = exc.under(group) if "branch" not in values and group else exc
        problem("group" if "branch" in values else "branch", str(exc), "missing")
    except ValueError as exc:
        problem("group" if "branch" in values else "branch", str(exc))
    _cross_checks(values, problem, warning)
    _model_limits(values, problem)


def _effect(name: str, cell) -> Effect:
    """The effect of the cell of column *name*, one of ``READ``."""
    if name in PARSERS:
        try:
            return {name: PARSERS[name](cell)}, None, None
        except ValueError as exc:
            return {}, None, (True, str(exc), "")
    try:
        if name in DESCRIBERS:
            return _described(name, cell)
    except ValueError as exc:
        return {}, None, (True, str(exc), "")
    try:
        return _optional(name, cell)
    except ValueError as exc:
        # An optional value it cannot read: left out (an existing record keeps its value).
        return {}, None, (False, f"{exc}此项未导入。", "")


def _described(name: str, cell) -> Effect:
    describe, label = DESCRIBERS[name]
    code, as_written = describe(cell)
    updates = {name: code, f"{name}_as_written": as_written}
    if not as_written:
        return updates, None, None
    message = (
        f"「{as_written}」不在{label}的统计分类中，已原样保存并标为“待规范”，"
        f"请在党员名单中按“待规范”筛选后选定{label}。"
    )
    return updates, None, (False, message, "review")


def _optional(name: str, cell) -> Effect:
    if name in OPTIONAL_PARSERS:
        return {name: OPTIONAL_PARSERS[name](cell)}, None, None
    if name == "birth_date" and re.fullmatch(r"\d{4}年?", v.text(cell)):
        # The year alone, as masked exports show it: checked against the ID
        # number, which gives the whole date.
        return {name: datetime.date(int(v.text(cell)[:4]), 1, 1)}, "year", None
    parsed = v.parse_date(cell, month_ok=True)
    if parsed is None:
        if name in MONTH_PRECISION_FIELDS:
            return {name: None, f"{name}_precision": DatePrecision.DAY}, None, None
        return {name: None}, None, None
    day, to_day = parsed
    if name in MONTH_PRECISION_FIELDS:
        exact = DatePrecision.DAY if to_day else DatePrecision.MONTH
        return {name: stored(day, exact), f"{name}_precision": exact}, to_day, None
    return {name: day}, to_day, None


def _id_number(row, cell, precision, problem) -> None:
    values = row.values
    try:
        raw = v.parse_id_cell(cell)
        if not raw:
            raise IdNumberError("身份证号不能为空。")
        info = parse_id_number(raw)
    except IdCheckError as exc:
        info = parse_id_number(raw, allow_bad_check=True)
        row.check_error = str(exc)  # decided by compare_with_registry, against the matched member
    except (ValueError, IdNumberError) as exc:
        problem("id_number", str(exc))
        return
    values["id_number"] = info.number
    birth = values.get("birth_date")
    if birth is None:
        values["birth_date"] = info.birth_date
    elif precision.get("birth_date") == "year":
        if birth.year != info.birth_date.year:
            problem(
                "birth_date",
                f"出生年份 {birth.year} 与身份证号中的 {info.birth_date.year} 不一致。",
            )
        values["birth_date"] = info.birth_date
    elif precision.get("birth_date") is False:  # given to the month
        if (birth.year, birth.month) != (info.birth_date.year, info.birth_date.month):
            problem(
                "birth_date",
                f"出生年月 {birth:%Y-%m} 与身份证号中的 {info.birth_date:%Y-%m} 不一致。",
            )
        values["birth_date"] = info.birth_date
    elif birth != info.birth_date:
        problem(
            "birth_date",
            f"出生日期 {birth:%Y-%m-%d} 与身份证号中的 {info.birth_date:%Y-%m-%d} 不一致。",
        )
    sex = values.get("sex")
    if not sex:
        values["sex"] = info.sex
    elif sex != info.sex:
        problem("sex", "性别与身份证号（第17位奇数为男、偶数为女）不一致。")


def _cross_checks(values, problem, warning) -> None:
    if values.get("category") == "probationary" and values.get("full_member_on"):
        problem("full_member_on", "预备党员不应有转为正式党员日期。")
    for name, message, decided in date_problems(values.get):
        (problem if decided else warning)(name, message)
    if values.get("lost_contact") and not values.get("lost_contact_on"):
        problem("lost_contact_on", "失联党员须填写失去联系日期。")
    if values.get("lost_contact_on") and not values.get("lost_contact", True):
        problem("lost_contact_on", "未失联的党员不填失去联系日期。")
    if values.get("mobile_destination") and not values.get("is_mobile", True):
        problem("mobile_destination", "只有流动党员填写外出流向。")


# Member's own limits, read from the model so the preview refuses exactly what
# the database would (on PostgreSQL a 10,000-character name failed only at the write).
MAX_LENGTHS = {
    f.name: f.max_length for f in Member._meta.concrete_fields if isinstance(f, CharField)
}


def _model_limits(values, problem) -> None:
    # A comprehension first: nearly every row passes, and this runs for each.
    flagged = [
        (name, value)
        for name, value in values.items()
        if (isinstance(value, str) and len(value) > MAX_LENGTHS.get(name, len(value)))
        or isinstance(value, Decimal)
    ]
    for name, value in flagged:
        if isinstance(value, str):
            problem(name, f"最多 {MAX_LENGTHS[name]} 个字符，这里有 {len(value)} 个。")
            continue
        field = Member._meta.get_field(name)
        try:
            field.run_validators(value)
        except ValidationError:
            places = field.decimal_places
            problem(
                name,
                f"「{value}」超出范围：最多 {field.max_digits - places} 位整数、{places} 位小数。",
            )
