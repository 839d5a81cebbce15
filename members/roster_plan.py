"""The plan of a roster import: the parsed rows checked against each other (duplicate
ID numbers) and against the registry (new / changed / unchanged / rejected), scoped
to the importing user. Writes nothing; ``members.services.roster_commit`` writes a
confirmed plan.

Used by the import page, ``manage.py import_members`` and the admin's import
button. Rows resolve only to branches the user may see, and an ID number on the
roster outside that scope is refused without saying where it is."""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from branches.missing import MissingOrganisation, written_names
from branches.models import Organization, OrgKind
from branches.paths import path_prefixes
from branches.spreadsheets.cells import normalise_header
from members import roster_values as v
from members.models import Member
from members.roster_parse import (
    MAX_ROWS,
    ColumnMemo,
    Problem,
    RosterFileError,
    Row,
    _parse,
    find_header,
    is_skippable,
    read_cells,
)


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

    @property
    def warnings(self) -> list[Problem]:
        """Noted on rows that import all the same (待规范 words, unreadable optional values)."""
        return [p for r in self.rows if r.action != "rejected" for p in r.warnings]

    @property
    def missing(self) -> list[dict]:
        """The organisations rows name that the tree lacks, most rows first, once each."""
        counts = Counter(r.missing.key for r in self.rows if r.missing is not None)
        return [
            {"names": list(names), "leaf": leaf, "parent": parent, "rows": rows}
            for (names, leaf, parent), rows in counts.most_common()
        ]


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
        written = written_names(value)
        parts = [normalise_header(p) for p in written]
        if not parts:
            raise ValueError("未填写所在党支部。")
        candidates = self.by_name.get(parts[-1], [])
        if len(parts) > 1:
            candidates = [b for b in candidates if self._path_matches(b, parts[:-1])]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise MissingOrganisation(
                f"在你管辖的范围内找不到未撤销的党支部「{value}」。", names=written, leaf="branch"
            )
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
            raise MissingOrganisation(
                f"党支部「{branch.name}」下没有党小组「{value}」。",
                names=[" ".join(value.split())],
                leaf="group",
                parent=branch.pk,
            )
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
    index, memo = BranchIndex(user), ColumnMemo()
    rows = []
    with cycle_collector_paused():
        for offset, raw in enumerate(body):
            if progress is not None and offset % 2000 == 0:
                progress(offset, len(body))
            if is_skippable(raw):
                continue
            row = Row(number=header_index + offset + 2, cells=list(raw))
            _parse(row, mapping, headers, index, memo)
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


@contextmanager
def cycle_collector_paused():
    """Checking or writing 70,000 rows makes a few million objects, none in a cycle; left
    on, the cycle collector would walk all of them again and again (10–20 % of the check)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        on_roster = set(found.values_list("id_number", flat=True))
        if on_roster:  # a new county's roster finds none: no second query
            existing.update((m.id_number, m) for m in found.visible_to(user))
        elsewhere |= on_roster - existing.keys()
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


def left_as_is(values: dict, name: str) -> bool:
    """A blank cell of a column that holds a default: the record keeps its value.

    Not so for words no code fits: the code is emptied and the words kept (待规范).
    """
    return name in KEEP_WHEN_BLANK and values[name] == "" and not values.get(f"{name}_as_written")


def _changes(member: Member, values: dict) -> dict:
    changes = {}
    for name, new in values.items():
        if name == "id_number" or left_as_is(values, name):
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


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
