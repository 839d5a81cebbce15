"""Importing a 积极分子花名册: the people already in the 发展党员 procedure, one row each.

``plan_pipeline_import`` reads the file's cells into rows of ``Recruit`` fields and
checks every cell, naming each problem by row and column
(``第5行「确定为入党积极分子日期」：…``): the branch among the user's own (one outside
them is not found), 培养联系人 and 入党介绍人 by name among the full members of
that branch, the stage from 阶段 or from the latest date, the dates in the
procedure's order and the applicant 18 on the day of the application, ID
numbers new to the roster and to the procedure. The time limits of the
procedure (a talk within a month …) are not checked again: an imported record
is what happened. It reads the registry in a fixed number of queries and
writes nothing; ``recruits_import`` writes a plan without problems, all rows
or none.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField
from django.utils import timezone

from branches.audit import acting_as
from branches.missing import MissingOrganisation
from branches.spreadsheets.cells import Problem, grouped, header_row, normalise_header
from branches.spreadsheets.reading import SpreadsheetError, read_rows
from members import pii
from members import roster_values as v
from members.development import rules
from members.development.columns import BY_FIELD, HEADER_LOOKUP, REQUIRED, ROSTER_ONLY
from members.development.services import full_member_check
from members.idcard import IdNumberError, parse_id_number
from members.models import Member, Recruit, Stage
from members.roster_parse import is_skippable
from members.roster_plan import BranchIndex

MAX_ROWS = 5_000
HEADER_SEARCH_ROWS = 20
CHUNK = 2_000  # ID numbers and names asked for per query

STAGE_WORDS = {
    Stage.APPLICANT.label: Stage.APPLICANT,
    "申请人": Stage.APPLICANT,
    "申请入党": Stage.APPLICANT,
    Stage.ACTIVIST.label: Stage.ACTIVIST,
    "积极分子": Stage.ACTIVIST,
    Stage.CANDIDATE.label: Stage.CANDIDATE,
}
NOT_IMPORTED_STAGES = {
    Stage.PROBATIONARY.label: "预备党员已是党员，请在党员花名册中导入。",
    Stage.FULL.label: "正式党员请在党员花名册中导入。",
    Stage.LEFT.label: "已退出发展程序的人不导入。",
}
# The procedure's dates, in the order they must come.
DATES = ("applied_on", "talk_on", "activist_on", "candidate_on")
# Who the people columns name, how many, from which day they must be full members.
PEOPLE = {
    "contacts": ("培养联系人", ("contact_1", "contact_2"), "activist_on"),
    "introducers": ("入党介绍人", ("introducer_1", "introducer_2"), "candidate_on"),
}
STAGES_WITH = {
    "contacts": (Stage.ACTIVIST, Stage.CANDIDATE),
    "introducers": (Stage.CANDIDATE,),
}
NAME_WITH_ID = re.compile(r"(.+?)[(（]\s*([0-9Xx]{4})\s*[)）]")
NAME_SEPARATORS = re.compile(r"[、,，;；/／\n]+")
MAX_LENGTHS = {
    f.name: f.max_length for f in Recruit._meta.concrete_fields if isinstance(f, CharField)
}


class PipelineFileError(SpreadsheetError):
    """The file cannot be imported at all: unreadable, too long, no header, a column missing."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    values: dict = field(default_factory=dict)  # Recruit fields, people resolved
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # noted; the row imports
    names: dict = field(default_factory=dict)  # "contacts" / "introducers" -> names written

    @property
    def id_number_masked(self) -> str:
        return pii.masked("id_number", self.values.get("id_number", ""))

    @property
    def stage_label(self) -> str:
        stage = self.values.get("stage")
        return Stage(stage).label if stage else ""

    def _people(self, kind: str) -> str:
        """The members matched, or the names as written where they were not."""
        matched = [m.name for m in (self.values.get(s) for s in PEOPLE[kind][1]) if m]
        return "、".join(matched or self.names.get(kind, []))

    @property
    def people_contacts(self) -> str:
        return self._people("contacts")

    @property
    def people_introducers(self) -> str:
        return self._people("introducers")


@dataclass
class Plan:
    rows: list[Row]
    unknown_columns: list[str]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def problem_lines(self) -> list[str]:
        """The problems as the page lists them: a branch not found said once for its rows."""
        return grouped(self.problems)

    @property
    def warnings(self) -> list[str]:
        return grouped([w for r in self.rows for w in r.warnings], kinds=("review",))

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.problems)

    @property
    def counts(self) -> dict[str, int]:
        """Rows to be written, by stage, in the procedure's order."""
        found = Counter(r.values.get("stage") for r in self.rows if not r.problems)
        return {
            Stage(s).label: found[s] for s in (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE)
        }

    @property
    def importable(self) -> bool:
        return bool(self.rows) and not self.rejected


# -- reading ------------------------------------------------------------------


def read_cells(data: bytes, file_name: str) -> list[list]:
    """The first sheet's cells, by the one bounded reader of every import."""
    try:
        return read_rows(data, file_name, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS)
    except SpreadsheetError as exc:
        raise PipelineFileError(str(exc)) from None


def find_header(cells: list[list]) -> tuple[int, dict[int, str], list[str]]:
    """The header row's index, its columns' fields, and the headers not recognised."""
    best = header_row(cells, HEADER_LOOKUP, rows=HEADER_SEARCH_ROWS)
    if best is None:
        raise PipelineFileError(
            "在前20行中找不到表头：表头应包含“姓名”“公民身份证号”“所在党支部”"
            "“递交入党申请书日期”等列名。"
        )
    index, mapping = best
    if {normalise_header(c) for c in cells[index]} & ROSTER_ONLY:
        raise PipelineFileError(
            "这是党员花名册（有“加入党组织日期”等列），不是入党积极分子花名册："
            "请在“导入党员花名册”页面上传。"
        )
    missing = [c.header for c in REQUIRED if c.field not in mapping.values()]
    if missing:
        raise PipelineFileError(
            f"缺少必填列：{'、'.join(f'「{m}」' for m in missing)}，未读取任何数据行。"
        )
    unknown = [
        v.text(cell)
        for col, cell in enumerate(cells[index])
        if col not in mapping and not v.is_blank(cell)
    ]
    return index, mapping, unknown


def plan_pipeline_import(*, cells: list[list], user) -> Plan:
    """Check a 积极分子花名册 against the rules and the registry; writes nothing."""
    header_index, mapping, unknown = find_header(cells)
    body = cells[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise PipelineFileError(
            f"文件有 {len(body)} 行，超过每次最多 {MAX_ROWS} 行的限制，请分批导入。"
        )
    headers = {name: v.text(cells[header_index][col]) for col, name in mapping.items()}
    index, today = BranchIndex(user), timezone.localdate()
    rows = []
    for offset, raw in enumerate(body):
        if is_skippable(raw):
            continue
        by_field = {name: raw[col] if col < len(raw) else None for col, name in mapping.items()}
        row = Row(number=header_index + offset + 2)
        _parse(row, by_field, _Say(row, headers), index, today)
        rows.append(row)
    _resolve_people(rows, headers, user)
    _against_registry(rows, headers)
    return Plan(rows=rows, unknown_columns=unknown)


class _Say:
    """Problems and warnings of one row, each under its column's header as written."""

    def __init__(self, row: Row, headers: dict[str, str]) -> None:
        self.row, self.headers = row, headers

    def column(self, name: str) -> str:
        return self.headers.get(name) or BY_FIELD[name].header

    def problem(self, name: str, message: str, kind: str = "") -> None:
        self.row.problems.append(Problem(self.row.number, self.column(name), message, kind))

    def warning(self, name: str, message: str, kind: str = "") -> None:
        self.row.warnings.append(Problem(self.row.number, self.column(name), message, kind))


# -- one row's cells ----------------------------------------------------------


def _parse(row: Row, cells: dict, say: _Say, index: BranchIndex, today) -> None:
    for name, cell in cells.items():
        if message := v.control_character_problem(cell):
            say.problem(name, message)
    if row.problems:
        return  # a cell's text is not what it shows; the rest waits until it is fixed
    values = row.values
    values["name"] = v.parse_name(cells.get("name"))
    if not values["name"]:
        say.problem("name", "姓名不能为空。")
    _person(values, cells, say)
    _branch(values, cells, say, index)
    for name in DATES:
        _date(values, name, cells.get(name), say, today)
    values["talk_by"] = v.text(cells.get("talk_by"))
    for kind in PEOPLE:
        row.names[kind] = _names(cells.get(kind))
    written = {name for name in DATES if not v.is_blank(cells.get(name))}
    _stage(values, cells.get("stage"), say, row.names, written)
    _order(values, say)
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            say.problem(name, f"最多 {limit} 个字符，这里有 {len(value)} 个。")


def _person(values: dict, cells: dict, say: _Say) -> None:
    """ID number (whole), and the sex and birth date it gives, checked against theirs."""
    try:
        raw = v.parse_id_cell(cells.get("id_number"))
        if not raw:
            raise IdNumberError("身份证号不能为空。")
        info = parse_id_number(raw)
    except (ValueError, IdNumberError) as exc:
        say.problem("id_number", str(exc))
        info = None
    else:
        values.update(id_number=info.number, sex=info.sex, birth_date=info.birth_date)
    if "sex" in cells:
        try:
            sex = v.parse_sex(cells["sex"])
        except ValueError as exc:
            say.problem("sex", str(exc))
        else:
            if sex and info and sex != info.sex:
                say.problem("sex", "性别与身份证号（第17位奇数为男、偶数为女）不一致。")
    if "birth_date" in cells and info:
        _birth_date(cells["birth_date"], info.birth_date, say)
    for name, describe, label in (
        ("ethnicity", v.describe_ethnicity, "民族"),
        ("education", v.describe_education, "学历"),
        ("occupation", v.describe_occupation, "工作岗位"),
    ):
        code, as_written = describe(cells.get(name))
        values[name] = code
        if as_written:
            say.warning(
                name,
                f"「{as_written}」不在{label}的统计分类中，此项未导入，请导入后补填。",
                "review",
            )
    values["mobile_phone"] = v.parse_phone(cells.get("mobile_phone"))


def _birth_date(cell, born: datetime.date, say: _Say) -> None:
    """A birth date given (to the day, the month or the year) agrees with the ID number."""
    written = v.text(cell)
    if not written:
        return
    if re.fullmatch(r"\d{4}年?", written):
        given, shown = (int(written[:4]),), (born.year,)
    else:
        try:
            day, to_day = v.parse_date(cell, month_ok=True)
        except ValueError as exc:
            say.problem("birth_date", str(exc))
            return
        given = (day.year, day.month, day.day) if to_day else (day.year, day.month)
        shown = (born.year, born.month, born.day)[: len(given)]
    if given != shown:
        say.problem("birth_date", f"出生日期与身份证号中的 {born:%Y-%m-%d} 不一致。")


def _branch(values: dict, cells: dict, say: _Say, index: BranchIndex) -> None:
    try:
        values["branch"] = index.branch(v.text(cells.get("branch")))
    except MissingOrganisation as exc:
        say.problem("branch", str(exc), "missing")
        return
    except ValueError as exc:
        say.problem("branch", str(exc))
        return
    try:
        values["group"] = index.group(values["branch"], v.text(cells.get("group")))
    except ValueError as exc:
        say.problem("group", str(exc), "missing")


def _date(values: dict, name: str, cell, say: _Say, today: datetime.date) -> None:
    try:
        parsed = v.parse_date(cell)
    except ValueError as exc:
        say.problem(name, str(exc))
        return
    if parsed is None:
        values[name] = None
        if name == "applied_on":
            say.problem(name, "递交入党申请书日期不能为空。")
        return
    day = parsed[0]
    if day > today:
        say.problem(name, f"{rules.ymd(day)}晚于今天：导入的是已经发生的事。")
        return
    values[name] = day


def _names(cell) -> list[str]:
    return [n for n in (v.parse_name(part) for part in NAME_SEPARATORS.split(v.text(cell))) if n]


def _stage(values: dict, cell, say: _Say, names: dict, written: set[str]) -> None:
    """The stage written, or that of the latest date *written* (read or not: a date
    that could not be read is said once, not again as a stage without it); what each
    stage must and must not have."""
    word = v.text(cell).replace(" ", "")
    if word in NOT_IMPORTED_STAGES:
        say.problem("stage", NOT_IMPORTED_STAGES[word])
        return
    if word and word not in STAGE_WORDS:
        say.problem(
            "stage",
            f"无法识别的阶段「{word}」，可填：入党申请人、入党积极分子、发展对象，"
            "或不填（按所填日期判断）。",
        )
        return
    if word:
        stage = STAGE_WORDS[word]
    elif "candidate_on" in written:
        stage = Stage.CANDIDATE
    elif "activist_on" in written:
        stage = Stage.ACTIVIST
    else:
        stage = Stage.APPLICANT
    values["stage"] = stage
    reached = {
        "activist_on": stage in (Stage.ACTIVIST, Stage.CANDIDATE),
        "candidate_on": stage == Stage.CANDIDATE,
    }
    for name, label in (("activist_on", "确定为入党积极分子"), ("candidate_on", "确定为发展对象")):
        if reached[name] and not values.get(name) and name in values:
            say.problem(name, f"{stage.label}须填写{label}日期。")
        elif not reached[name] and values.get(name):
            say.problem("stage", f"阶段为{stage.label}，却填写了{label}日期：请核对阶段或日期。")
    if reached["activist_on"] and values.get("talk_on") is None and "talk_on" in values:
        say.problem("talk_on", "确定为入党积极分子前须与申请人谈话：请填写谈话日期。")
    _people_counts(stage, reached, names, say)


def _people_counts(stage, reached: dict, names: dict, say: _Say) -> None:
    contacts, introducers = names["contacts"], names["introducers"]
    if reached["activist_on"] and not contacts:
        say.problem("contacts", "入党积极分子须有培养联系人：请填写一至两名本支部正式党员的姓名。")
    elif not reached["activist_on"] and contacts:
        say.problem("contacts", "入党申请人尚未确定为入党积极分子，不填培养联系人。")
    elif len(contacts) > 2:
        say.problem("contacts", f"培养联系人最多两名，这里有 {len(contacts)} 名。")
    if reached["candidate_on"] and len(introducers) != 2:
        say.problem("introducers", f"发展对象须有两名入党介绍人，这里有 {len(introducers)} 名。")
    elif not reached["candidate_on"] and introducers:
        say.problem("introducers", f"{stage.label}尚未确定为发展对象，不填入党介绍人。")
    for kind, label in (("contacts", "培养联系人"), ("introducers", "入党介绍人")):
        if len(names[kind]) == 2 and names[kind][0] == names[kind][1]:
            say.problem(kind, f"两名{label}不能是同一人。")


def _order(values: dict, say: _Say) -> None:
    """申请 ≤ 谈话 ≤ 积极分子 ≤ 发展对象, and 18 years old on the day of the application."""
    labels = {
        "applied_on": "递交入党申请书日期",
        "talk_on": "谈话日期",
        "activist_on": "确定为入党积极分子日期",
        "candidate_on": "确定为发展对象日期",
    }
    earlier = None
    for name in DATES:
        day = values.get(name)
        if day is None:
            continue
        if earlier is not None and day < values[earlier]:
            say.problem(
                name,
                f"{labels[name]}不能早于{labels[earlier]}（{rules.ymd(values[earlier])}）。",
            )
        earlier = name
    if values.get("applied_on") and values.get("birth_date"):
        for _rule, message in rules.age(values["birth_date"], values["applied_on"]):
            say.problem("applied_on", message)


# -- the file's rows together, and the registry ---------------------------------


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _resolve_people(rows: list[Row], headers: dict, user) -> None:
    """培养联系人 and 入党介绍人 by name among the members of the row's branch: one query
    for the whole file (per 2,000 names)."""
    wanted = {
        _split_suffix(name)[0]
        for row in rows
        if "branch" in row.values
        for names in row.names.values()
        for name in names
    }
    branches = {row.values["branch"].pk for row in rows if "branch" in row.values}
    found: dict[tuple[int, str], list[Member]] = {}
    for chunk in _chunks(sorted(wanted)):
        members = (
            Member.objects.visible_to(user)
            .active()
            .filter(branch_id__in=branches, name__in=chunk)
            .only(
                "pk",
                "name",
                "id_number",
                "branch_id",
                "category",
                "full_member_on",
                "roster_status",
                "party_status",
            )
        )
        for member in members:
            found.setdefault((member.branch_id, member.name), []).append(member)
    for row in rows:
        say, stage = _Say(row, headers), row.values.get("stage")
        if "branch" not in row.values or stage is None:
            continue  # said already: the branch or the stage could not be read
        for kind, (role, slots, since) in PEOPLE.items():
            if stage not in STAGES_WITH[kind]:
                continue  # names where the stage has none: said already
            for slot, name in zip(slots, row.names[kind], strict=False):
                member = _one_member(found, row.values["branch"], name, role, kind, say)
                day = row.values.get(since)
                if member is None or day is None:
                    continue
                try:
                    full_member_check(member, day, role)
                except ValidationError as exc:
                    say.problem(kind, exc.messages[0])
                else:
                    row.values[slot] = member


def _split_suffix(written: str) -> tuple[str, str]:
    """A name written "张三（1234）": the name and the last four characters of the ID number
    telling two members of that name apart."""
    match = NAME_WITH_ID.fullmatch(written)
    return (match.group(1), match.group(2).upper()) if match else (written, "")


def _one_member(found, branch, written: str, role: str, kind: str, say: _Say) -> Member | None:
    name, tail = _split_suffix(written)
    same = found.get((branch.pk, name), [])
    if tail:
        same = [m for m in same if m.id_number.endswith(tail)]
    if len(same) == 1:
        return same[0]
    if not same:
        say.problem(kind, f"在{branch.name}的在册党员中找不到{role}「{written}」。")
    else:
        say.problem(
            kind,
            f"{branch.name}有 {len(same)} 名在册党员名叫「{name}」，无法确定是哪一位："
            f"请写成“{name}（身份证号后4位）”。",
        )
    return None


def _against_registry(rows: list[Row], headers: dict) -> None:
    """ID numbers twice in the file, already on the roster, or already in the procedure
    (anywhere: the procedure admits one record per person, and saying so reveals
    no more than the form that registers one applicant does)."""
    by_number: dict[str, list[Row]] = {}
    for row in rows:
        if "id_number" in row.values:
            by_number.setdefault(row.values["id_number"], []).append(row)
    members, recruits = set(), set()
    for chunk in _chunks(sorted(by_number)):
        on_roster = Member.objects.active().filter(id_number__in=chunk)
        members |= set(on_roster.order_by().values_list("id_number", flat=True))
        in_procedure = Recruit.objects.exclude(stage__in=(Stage.LEFT, Stage.FULL))
        in_procedure = in_procedure.filter(id_number__in=chunk).order_by()
        recruits |= set(in_procedure.values_list("id_number", flat=True))
    for number, same in by_number.items():
        for row in same:
            say = _Say(row, headers)
            if len(same) > 1:
                others = "、".join(f"第{o.number}行" for o in same if o is not row)
                say.problem("id_number", f"身份证号 {number} 在文件中重复（另见{others}）。")
            if number in members:
                say.problem("id_number", "该身份证号已是在册党员。")
            if number in recruits:
                say.problem("id_number", "该身份证号已在发展党员程序中。")


# -- writing ------------------------------------------------------------------


# Checked for the whole file at once instead of row by row: the people and branches were
# read from the database by the plan, the unique ID number by the plan's two queries, and
# the database checks both again on insert. Row by row, their queries made a 5,000-row
# file take most of a minute; every field and ``Recruit.clean`` are still checked per row.
CHECKED_BY_THE_PLAN = ["branch", "group", "contact_1", "contact_2", "introducer_1", "introducer_2"]


@transaction.atomic
def recruits_import(*, rows: list[Row], user, reason: str = "积极分子花名册导入") -> list[Recruit]:
    """Write the rows of a checked plan, all or none, each record validated as a form's
    would be; every one must then be in *user*'s part of the tree."""
    refused = [p for row in rows for p in row.problems]
    if refused:
        raise ValidationError([str(p) for p in refused])
    recruits = []
    for row in rows:
        recruit = Recruit(**row.values)
        try:
            recruit.full_clean(exclude=CHECKED_BY_THE_PLAN, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(f"第{row.number}行：{'；'.join(exc.messages)}") from exc
        recruits.append(recruit)
    try:
        with acting_as(user, reason):
            Recruit.objects.bulk_create(recruits)
    except IntegrityError:
        raise ValidationError(
            "写入时有人员与已有记录冲突（可能刚刚有人导入或登记了同一人），未导入任何数据："
            "请重新上传检查。"
        ) from None
    created = [r.pk for r in recruits]
    if Recruit.objects.visible_to(user).filter(pk__in=created).count() != len(created):
        # Rows resolve only to the user's branches; this is the last guard, not a message.
        raise ValidationError("有人员的所在党支部不在你的管辖范围内，未导入任何数据。")
    return recruits
