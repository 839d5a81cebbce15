"""The one member import engine: read, find the header, normalise, validate, check
duplicates, compare with the registry, and write in bulk in one transaction.

Used by the import page, ``manage.py import_members`` and the admin's import
button. Everything is scoped to the importing user: rows resolve only to
branches the user may see, and an ID number on the roster outside that scope
is refused without saying where it is.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import CharField
from django.utils import timezone

from branches.audit import acting_as
from branches.models import Organization, OrgKind
from branches.paths import path_prefixes
from branches.spreadsheet_reader import SpreadsheetError, read_rows
from members import roster_values as v
from members.choices import MembershipReason, RosterStatus
from members.idcard import IdCheckError, IdNumberError, parse_id_number
from members.models import Member, Membership
from members.roster_columns import HEADER_LOOKUP, REQUIRED, normalise_header

MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 20
FILLER = re.compile(
    r"^(填报单位|填表单位|制表人|填表人|审核人|联系电话|填报日期|单位（盖章）|说明)"
)
TOTALS = {"合计", "总计", "小计", "共计"}

PARSERS = {
    "sex": v.parse_sex,
    "ethnicity": v.parse_ethnicity,
    "education": v.parse_education,
    "category": v.parse_category,
    "occupation": v.parse_occupation,
    "party_status": v.parse_party_status,
    "mobile_phone": v.parse_phone,
    "landline": v.parse_phone,
    "address": v.text,
    "mobile_destination": v.text,
    "employer": v.text,
    "native_place": v.text,
    "monthly_dues": v.parse_decimal,
    "lost_contact": v.parse_bool,
    "is_mobile": v.parse_bool,
}
DATE_FIELDS = {"joined_on", "full_member_on", "lost_contact_on", "dues_paid_until", "birth_date"}
MONTH_FIELDS = {"birth_date", "dues_paid_until"}


class RosterFileError(SpreadsheetError):
    """The file cannot be imported at all (unreadable, no header, a required column missing)."""


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行「{self.column}」：{self.message}"


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    cells: list
    values: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    existing: Member | None = None
    action: str = ""  # new | changed | unchanged | rejected
    changes: dict = field(default_factory=dict)
    check_error: str = ""  # a wrong check character, allowed only where the record overrides it
    file_problems: int | None = None  # how many problems the file itself had


@dataclass
class Plan:
    headers: list[str]
    fields: list[str]
    rows: list[Row]
    unknown_columns: list[str]
    column_headers: dict = field(default_factory=dict)  # field -> header as written
    fingerprint: str = ""

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("new", "changed", "unchanged", "rejected")}

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]


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


# -- resolving organisations --------------------------------------------------


class BranchIndex:
    """The live branches (and their groups) the user may import into, by name and by path."""

    def __init__(self, user) -> None:
        visible = Organization.objects.visible_to(user).live()
        nodes = list(
            visible.filter(kind__in=(OrgKind.BRANCH, OrgKind.GROUP)).only(
                "pk", "kind", "name", "short_name", "path", "parent_id"
            )
        )
        # Only the ancestors of the user's own branches: their names make the
        # full paths written and read in the 所在党支部 column.
        prefixes = {p for n in nodes for p in path_prefixes(n.path)}
        ancestors = Organization.objects.filter(path__in=prefixes).only(
            "path", "name", "short_name"
        )
        self.names_by_path = {a.path: {a.name, a.short_name} - {""} for a in ancestors}
        self.branches = [n for n in nodes if n.kind == OrgKind.BRANCH]
        self.by_name: dict[str, list[Organization]] = {}
        for branch in self.branches:
            self.by_name.setdefault(normalise_header(branch.name), []).append(branch)
        self._resolved: dict[str, Organization | ValueError] = {}
        self.groups: dict[tuple[int, str], Organization] = {
            (n.parent_id, normalise_header(n.name)): n for n in nodes if n.kind == OrgKind.GROUP
        }

    def label(self, branch: Organization) -> str:
        """The full path as exports write it: 县委/乡镇党委/…/支部."""
        parts = [
            sorted(self.names_by_path.get(p, {"?"}), key=len)[-1]
            for p in path_prefixes(branch.path)
        ]
        return "/".join([*parts, branch.name])

    def branch(self, value: str) -> Organization:
        # A roster names the same few hundred branches over and over.
        if value not in self._resolved:
            try:
                self._resolved[value] = self._branch(value)
            except ValueError as exc:
                self._resolved[value] = exc
        found = self._resolved[value]
        if isinstance(found, ValueError):
            raise found
        return found

    def _branch(self, value: str) -> Organization:
        parts = [normalise_header(p) for p in re.split(r"[/／>＞]", value) if p.strip()]
        if not parts:
            raise ValueError("未填写所在党支部。")
        candidates = self.by_name.get(parts[-1], [])
        if len(parts) > 1:
            candidates = [b for b in candidates if self._path_matches(b, parts[:-1])]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ValueError(f"在你管辖的范围内找不到未撤销的党支部「{value}」。")
        names = "、".join(self.label(b) for b in candidates)
        raise ValueError(f"「{value}」有 {len(candidates)} 个同名党支部：{names}；请写成完整路径。")

    def _path_matches(self, branch, given: list[str]) -> bool:
        chain = [
            {normalise_header(n) for n in self.names_by_path.get(p, ())}
            for p in path_prefixes(branch.path)
        ]
        if len(given) > len(chain):
            return False
        return all(g in names for g, names in zip(given, chain[-len(given) :], strict=True))

    def group(self, branch: Organization, value: str) -> Organization | None:
        if not value:
            return None
        group = self.groups.get((branch.pk, normalise_header(value)))
        if group is None:
            raise ValueError(f"党支部「{branch.name}」下没有党小组「{value}」。")
        return group


# -- the plan -----------------------------------------------------------------


def plan_import(
    *, data: bytes, filename: str, user, cells: list[list] | None = None, progress=None
) -> Plan:
    """Check a roster file against the rules and the registry; writes nothing."""
    if cells is None:
        cells = read_cells(data, filename)
    header_index, mapping, unknown = find_header(cells)
    body = cells[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise RosterFileError(
            f"文件有 {len(body)} 行，超过每次最多 {MAX_ROWS} 行的限制，请分批导入。"
        )
    headers = {field: v.text(cells[header_index][col]) for col, field in mapping.items()}
    index = BranchIndex(user)
    rows = []
    for offset, raw in enumerate(body):
        if progress is not None and offset % 2000 == 0:
            progress(offset, len(body))
        if is_skippable(raw):
            continue
        row = Row(number=header_index + offset + 2, cells=list(raw))
        _parse(row, mapping, headers, index)
        rows.append(row)
    _reject_duplicates(rows, headers)
    plan = Plan(
        headers=[v.text(c) for c in cells[header_index]],
        fields=list(mapping.values()),
        rows=rows,
        unknown_columns=unknown,
        column_headers=headers,
    )
    compare_with_registry(plan, user)
    return plan


def _cell(raw, col):
    return raw[col] if col < len(raw) else None


def _parse(row: Row, mapping, headers, index: BranchIndex) -> None:
    def problem(field_name, message):
        row.problems.append(Problem(row.number, headers.get(field_name, field_name), message))

    values = row.values
    by_field = {f: _cell(row.cells, col) for col, f in mapping.items()}
    for name, cell in by_field.items():
        if message := v.control_character_problem(cell):
            problem(name, message)
    if row.problems:
        return  # a cell's text is not what it shows; the rest waits until it is fixed
    values["name"] = v.parse_name(by_field.get("name"))
    if not values["name"]:
        problem("name", "姓名不能为空。")
    month_precision = {}
    for name, cell in by_field.items():
        try:
            if name in PARSERS:
                values[name] = PARSERS[name](cell)
            elif name == "birth_date" and re.fullmatch(r"\d{4}年?", v.text(cell)):
                # The year alone, as masked exports show it: checked against the
                # ID number, which gives the whole date.
                values[name] = datetime.date(int(v.text(cell)[:4]), 1, 1)
                month_precision[name] = "year"
            elif name in DATE_FIELDS:
                parsed = v.parse_date(cell, month_ok=name in MONTH_FIELDS)
                values[name] = parsed[0] if parsed else None
                month_precision[name] = parsed is not None and not parsed[1]
        except ValueError as exc:
            problem(name, str(exc))
    _id_number(row, by_field.get("id_number"), month_precision, problem)
    try:
        branch = index.branch(v.text(by_field.get("branch")))
        values["branch"] = branch
        # Without a 所在党小组 column the group is left as it is (see ``_changes``).
        if "group" in by_field:
            values["group"] = index.group(branch, v.text(by_field.get("group")))
    except ValueError as exc:
        problem("group" if "branch" in values else "branch", str(exc))
    _cross_checks(values, problem)
    _model_limits(values, problem)


def _id_number(row, cell, month_precision, problem) -> None:
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
    elif month_precision.get("birth_date") == "year":
        if birth.year != info.birth_date.year:
            problem(
                "birth_date",
                f"出生年份 {birth.year} 与身份证号中的 {info.birth_date.year} 不一致。",
            )
        values["birth_date"] = info.birth_date
    elif month_precision.get("birth_date"):
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


def _cross_checks(values, problem) -> None:
    if values.get("category") == "probationary" and values.get("full_member_on"):
        problem("full_member_on", "预备党员不应有转为正式党员日期。")
    joined, birth = values.get("joined_on"), values.get("birth_date")
    if joined and birth and joined < birth:
        problem("joined_on", "加入党组织日期早于出生日期。")
    full, joined = values.get("full_member_on"), values.get("joined_on")
    if full and joined and full < joined:
        problem("full_member_on", "转为正式党员日期早于加入党组织日期。")
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
    for name, value in values.items():
        if isinstance(value, str) and len(value) > MAX_LENGTHS.get(name, len(value)):
            problem(name, f"最多 {MAX_LENGTHS[name]} 个字符，这里有 {len(value)} 个。")
        elif isinstance(value, Decimal):
            field = Member._meta.get_field(name)
            try:
                field.run_validators(value)
            except ValidationError:
                places = field.decimal_places
                problem(
                    name,
                    f"「{value}」超出范围：最多 {field.max_digits - places} 位整数、{places} 位小数。",
                )


def _reject_duplicates(rows: list[Row], headers) -> None:
    seen: dict[str, list[Row]] = {}
    for row in rows:
        if "id_number" in row.values:
            seen.setdefault(row.values["id_number"], []).append(row)
    column = headers.get("id_number", "公民身份证号")
    for number, same in seen.items():
        if len(same) < 2:
            continue
        for row in same:
            others = "、".join(f"第{o.number}行" for o in same if o is not row)
            row.problems.append(
                Problem(row.number, column, f"身份证号 {number} 在文件中重复（另见{others}）。")
            )


# Blank cells do not clear these: they hold a default the form always fills.
KEEP_WHEN_BLANK = {"ethnicity", "category", "party_status"}


def _chunks(items: list, size: int = 2000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def compare_with_registry(plan: Plan, user) -> None:
    """Sort rows into new / changed / unchanged / rejected against the registry.

    Repeatable: a plan checked a while ago is compared afresh before it is
    written, without reading the file again.
    """
    headers = plan.column_headers
    for row in plan.rows:
        if row.file_problems is None:
            row.file_problems = len(row.problems)
        del row.problems[row.file_problems :]
        row.existing, row.changes = None, {}
    numbers = sorted({r.values["id_number"] for r in plan.rows if "id_number" in r.values})
    existing: dict[str, Member] = {}
    elsewhere: set[str] = set()
    for chunk in _chunks(numbers):
        found = Member.objects.active().filter(id_number__in=chunk)
        existing.update((m.id_number, m) for m in found.visible_to(user))
        elsewhere |= set(found.values_list("id_number", flat=True)) - existing.keys()
    fingerprint = hashlib.sha256()
    column = headers.get("id_number", "公民身份证号")
    for row in plan.rows:
        number = row.values.get("id_number")
        if row.check_error and not getattr(existing.get(number), "id_check_override", False):
            row.problems.append(Problem(row.number, column, row.check_error))
        if number in elsewhere:
            row.problems.append(
                Problem(
                    row.number,
                    column,
                    "该身份证号已登记在你管辖范围以外的组织，请联系上级组织部门办理组织关系转接。",
                )
            )
        if row.problems:
            row.action = "rejected"
            continue
        row.existing = member = existing.get(number)
        if member is None:
            row.action = "new"
            continue
        fingerprint.update(f"{member.pk}:{member.updated_at.isoformat()};".encode())
        row.changes = _changes(member, row.values)
        row.action = "changed" if row.changes else "unchanged"
    plan.fingerprint = fingerprint.hexdigest()


def _changes(member: Member, values: dict) -> dict:
    changes = {}
    for name, new in values.items():
        if name == "id_number" or (name in KEEP_WHEN_BLANK and new == ""):
            continue
        if name in ("branch", "group"):
            old, new = getattr(member, f"{name}_id"), new.pk if new is not None else None
        else:
            old = getattr(member, name)
        if name in ("mobile_phone", "landline") and v.parse_phone(old) == new:
            continue  # "0351-1234567" as entered is the number the file reads as 03511234567
        if old != new and not (old in ("", None) and new in ("", None)):
            changes[name] = (old, new)
    if "branch" in changes and "group" not in values and member.group_id:
        changes["group"] = (member.group_id, None)  # the old group stays in the old branch
    return changes


# -- writing ------------------------------------------------------------------


class StalePreview(Exception):
    """The registry changed between the preview and the confirmation."""


@transaction.atomic
def commit_import(
    *,
    plan: Plan,
    user,
    skip_invalid: bool,
    expected_fingerprint: str | None = None,
    reason: str = "",
) -> dict:
    """Write the plan's new and changed rows in bulk, all or nothing.

    Rejected rows stop everything unless *skip_invalid*. With
    *expected_fingerprint* (from the preview) any change to the matched
    members since then aborts the write.
    """
    if plan.count("rejected") and not skip_invalid:
        raise ValueError("有被拒绝的行；修改文件后重新导入，或明确选择只导入有效行。")
    if expected_fingerprint is not None and expected_fingerprint != plan.fingerprint:
        raise StalePreview("预览之后这些党员的数据已被修改，请重新上传并预览。")
    today = timezone.localdate()
    with acting_as(user, reason):
        new_rows = [r for r in plan.rows if r.action == "new"]
        members = [_new_member(r.values) for r in new_rows]
        Member.objects.bulk_create(members, batch_size=1000)
        Membership.objects.open_for_new_members(
            [m.pk for m in members], since=today, reason=MembershipReason.JOINED, note="花名册导入"
        )
        _apply_changes([r for r in plan.rows if r.action == "changed"], today)
    return plan.counts


def _new_member(values: dict) -> Member:
    fields = {
        k: val
        for k, val in values.items()
        if (val is not None or k == "group") and not (k in KEEP_WHEN_BLANK and val == "")
    }
    for flag in ("lost_contact", "is_mobile"):
        fields.setdefault(flag, False)
    return Member(roster_status=RosterStatus.ACTIVE, **fields)


def _apply_changes(rows: list[Row], today: datetime.date) -> None:
    changed_fields: set[str] = set()
    moved = []
    for row in rows:
        member = row.existing
        for name, (_, new) in row.changes.items():
            if name in ("branch", "group"):
                setattr(member, f"{name}_id", new)
            else:
                setattr(member, name, new)
            changed_fields.add(name)
        member.updated_at = timezone.now()
        if {"branch", "group"} & row.changes.keys():
            moved.append(member)
    if rows:
        Member.objects.bulk_update(
            [r.existing for r in rows], [*changed_fields, "updated_at"], batch_size=1000
        )
    if moved:
        open_rows = {m.member_id: m for m in Membership.objects.open().filter(member__in=moved)}
        for m in open_rows.values():
            m.ended_on, m.end_reason = today, MembershipReason.TRANSFER
        Membership.objects.bulk_update(list(open_rows.values()), ["ended_on", "end_reason"])
        Membership.objects.bulk_create(
            [
                Membership(
                    member=m,
                    branch_id=m.branch_id,
                    group_id=m.group_id,
                    started_on=today,
                    start_reason=MembershipReason.TRANSFER,
                    note="花名册导入",
                )
                for m in moved
            ]
        )


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rejected_workbook(plan: Plan):
    """The rejected rows as they were, plus a column saying what is wrong with each."""
    from openpyxl import Workbook

    from branches.spreadsheets import safe_row

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("被拒绝的行")
    sheet.append(safe_row([*plan.headers, "错误说明"]))
    for row in plan.rows:
        if row.action == "rejected":
            problems = "；".join(f"「{p.column}」{p.message}" for p in row.problems)
            cells = [*row.cells, *[""] * (len(plan.headers) - len(row.cells))]
            sheet.append(safe_row([*cells[: len(plan.headers)], f"原第{row.number}行：{problems}"]))
    return workbook
