"""The organisation tree in and out of spreadsheets, for county staff.

Rows are matched by 组织代码 (the code is unique and survives renames and
moves); the 路径 column gives each node's place, as names from the user's
top node down. Importing the unchanged export does nothing; editing a
name renames, editing the path's parent moves the node with its subtree,
filling 撤销日期 dissolves it, a row with a new code founds a node. All of it
is checked first and written in one transaction through the tree services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook

from branches import services
from branches.audit import acting_as
from branches.models import (
    LEGACY_CATEGORY_LABELS,
    BranchCategory,
    Organization,
    OrgKind,
    Post,
    PostTitle,
)
from branches.paths import PATH_STEP
from branches.spreadsheets import cells as v
from branches.spreadsheets.cells import Problem, normalise_header
from branches.spreadsheets.reading import SpreadsheetError, read_rows
from branches.spreadsheets.writing import safe_row, xlsx_response

HEADERS = ["路径", "类别", "支部类型", "组织代码", "成立日期", "撤销日期", "书记"]
KIND_BY_LABEL = {k.label: k.value for k in OrgKind}
CATEGORY_BY_LABEL = {c.label: c.value for c in BranchCategory}
SEPARATOR = "/"
# A city's whole tree is a few thousand nodes.
MAX_ROWS = 50_000


def relative_paths(nodes: list[Organization]) -> dict[int, tuple[str, ...]]:
    """Each node's names from the user's top node down: the 路径 column, split."""
    names = {n.path: n.name for n in nodes}
    top = min((len(n.path) for n in nodes), default=0)
    return {
        n.pk: tuple(names.get(n.path[:end], "?") for end in range(top, len(n.path) + 1, PATH_STEP))
        for n in nodes
    }


def tree_rows(*, user):
    """The rows of the user's part of the tree, top node first, in tree order."""
    nodes = list(Organization.objects.visible_to(user).order_by("path"))
    paths = relative_paths(nodes)
    secretaries = dict(
        Post.objects.visible_to(user)
        .filter(title=PostTitle.SECRETARY, ended_on__isnull=True)
        .values_list("org_id", "member__name")
    )
    yield HEADERS
    for node in nodes:
        yield [
            SEPARATOR.join(paths[node.pk]),
            node.get_kind_display(),
            node.get_category_display() if node.category else "",
            node.code,
            node.founded_on,
            node.dissolved_on,
            secretaries.get(node.pk, ""),
        ]


def tree_xlsx(*, user):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("组织树")
    for row in tree_rows(user=user):
        sheet.append(safe_row(row))
    return xlsx_response(workbook, "组织树.xlsx")


@dataclass
class TreeRow:
    number: int
    code: str
    names: list[str]
    kind: str = ""
    category: str = ""
    founded_on: datetime.date | None = None
    dissolved_on: datetime.date | None = None
    node: Organization | None = None
    action: str = ""  # new | changed | unchanged | rejected
    changes: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Said on the preview but not stopping the import (an old category label).
    warnings: list[Problem] = field(default_factory=list)
    legacy_category: str = ""  # the old label the sheet gave, e.g. 企事业
    # An existing node's 路径 now, and the live nodes under it that a move or a
    # dissolution takes along (their 路径), read from the rows the plan loaded.
    old_names: tuple[str, ...] = ()
    subtree: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Shown:
    """One cell of the preview: its value now and after the import (equal if unchanged)."""

    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def __str__(self) -> str:
        if self.changed:
            return f"{self.old or '—'} → {self.new or '—'}"
        return self.new or "—"


@dataclass(frozen=True)
class PreviewLine:
    """What the import will do to one node, as the preview lists it before confirmation."""

    number: int
    code: str
    operations: list[str]
    kind: str
    name: Shown
    parent: Shown
    category: Shown
    founded_on: Shown
    dissolved_on: Shown
    subtree: list[str]

    @property
    def subtree_note(self) -> str:
        if not self.subtree:
            return ""
        if "撤销" in self.operations:
            return f"同时撤销 {len(self.subtree)} 个下级组织：{'、'.join(self.subtree)}"
        return f"连同 {len(self.subtree)} 个下级组织一起迁移"


@dataclass
class TreePlan:
    rows: list[TreeRow]

    @property
    def counts(self) -> dict[str, int]:
        return {
            a: sum(r.action == a for r in self.rows)
            for a in ("new", "changed", "unchanged", "rejected")
        }

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def warnings(self) -> list[Problem]:
        return [w for r in self.rows if r.action != "rejected" for w in r.warnings]

    @property
    def lines(self) -> list[PreviewLine]:
        """Every node the import founds or changes, in the sheet's order: no query."""
        return [preview_line(r) for r in self.rows if r.action in ("new", "changed")]


def _date(value: datetime.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _operations(row: TreeRow) -> list[str]:
    if row.action == "new":
        return ["新设"]
    changes, node = row.changes, row.node
    found = ["改名"] if "name" in changes else []
    found += ["迁移"] if "parent" in changes else []
    if "dissolved_on" in changes:
        if node.dissolved_on is None:
            found.append("撤销")
        else:
            found.append("恢复" if changes["dissolved_on"] is None else "改撤销日期")
    found += ["改支部类型"] if "category" in changes else []
    found += ["改成立日期"] if "founded_on" in changes else []
    return found


def preview_line(row: TreeRow) -> PreviewLine:
    """*row* as the preview shows it: for an existing node, each value now and after."""
    new = (
        row.names[-1],
        SEPARATOR.join(row.names[:-1]),
        BranchCategory(row.category).label if row.category else "",
        _date(row.founded_on),
        _date(row.dissolved_on),
    )
    node = row.node
    if row.action == "new" or node is None:
        old = new
    else:
        old = (
            node.name,
            SEPARATOR.join(row.old_names[:-1]),
            node.get_category_display() if node.category else "",
            _date(node.founded_on),
            _date(node.dissolved_on),
        )
    name, parent, category, founded_on, dissolved_on = (
        Shown(o, n) for o, n in zip(old, new, strict=True)
    )
    return PreviewLine(
        number=row.number,
        code=row.code,
        operations=_operations(row),
        kind=OrgKind(row.kind).label,
        name=name,
        parent=parent,
        category=category,
        founded_on=founded_on,
        dissolved_on=dissolved_on,
        subtree=row.subtree,
    )


def plan_tree_import(*, data: bytes, filename: str, user) -> TreePlan:
    cells = read_rows(data, filename, max_rows=MAX_ROWS)
    header = next(
        (i for i, r in enumerate(cells[:20]) if "组织代码" in map(normalise_header, r)), None
    )
    if header is None:
        raise SpreadsheetError("找不到表头：组织树表格应包含“路径”“类别”“组织代码”等列。")
    columns = {normalise_header(c): i for i, c in enumerate(cells[header])}
    missing = [h for h in ("路径", "类别", "组织代码") if h not in columns]
    if missing:
        raise SpreadsheetError(f"缺少必填列：{'、'.join(missing)}。")
    visible = list(Organization.objects.visible_to(user).order_by("path"))
    by_code = {n.code: n for n in visible}
    # Codes outside the user's part of the tree are taken, without saying where.
    outside = Organization.objects.exclude(
        pk__in=Organization.objects.visible_to(user).values("pk")
    )
    taken = set(outside.values_list("code", flat=True))
    path_of = relative_paths(visible)
    rows = []
    for offset, raw in enumerate(cells[header + 1 :]):
        if all(v.is_blank(c) for c in raw):
            continue
        rows.append(_parse_row(header + offset + 2, raw, columns, by_code, taken))
    _compare(rows, path_of, user)
    _attach_subtrees(rows, visible, path_of)
    return TreePlan(rows)


def _attach_subtrees(rows: list[TreeRow], visible: list[Organization], path_of: dict) -> None:
    """Name the live nodes each move or dissolution takes along, from the rows in hand.

    *visible* is in path order, so a node's subtree is the run of rows after it
    whose paths start with its own.
    """
    index = {node.pk: i for i, node in enumerate(visible)}
    for row in rows:
        dissolves = row.action == "changed" and bool(row.changes.get("dissolved_on"))
        if not dissolves and not (row.action == "changed" and "parent" in row.changes):
            continue
        start = index[row.node.pk]
        prefix = visible[start].path
        for node in visible[start + 1 :]:
            if not node.path.startswith(prefix):
                break
            # Dissolving reaches the live nodes only; a move takes every one.
            if not dissolves or node.dissolved_on is None:
                row.subtree.append(SEPARATOR.join(path_of[node.pk]))


def _cell(raw, columns, name):
    index = columns.get(name)
    return raw[index] if index is not None and index < len(raw) else None


# The columns the import reads (书记 is shown, not imported).
READ_COLUMNS = HEADERS[:-1]


def _parse_row(number, raw, columns, by_code, taken) -> TreeRow:
    code = v.text(_cell(raw, columns, "组织代码"))
    path = [p.strip() for p in v.text(_cell(raw, columns, "路径")).split(SEPARATOR) if p.strip()]
    row = TreeRow(number=number, code=code, names=path)

    def problem(column, message):
        row.problems.append(Problem(number, column, message))

    for column in READ_COLUMNS:
        if message := v.control_character_problem(_cell(raw, columns, column)):
            problem(column, message)
    if row.problems:
        return row  # a cell's text is not what it shows; the rest waits until it is fixed
    _check_lengths(row, problem)

    if not code:
        problem("组织代码", "组织代码不能为空。")
    elif code in taken:
        problem("组织代码", "该组织代码属于你管辖范围以外的组织。")
    row.node = by_code.get(code)
    if not path:
        problem("路径", "路径不能为空。")
    kind_label = v.text(_cell(raw, columns, "类别"))
    row.kind = KIND_BY_LABEL.get(kind_label, "")
    if not row.kind:
        problem("类别", f"无法识别的组织类别「{kind_label}」，可填：{'、'.join(KIND_BY_LABEL)}。")
    category = v.text(_cell(raw, columns, "支部类型"))
    row.category = CATEGORY_BY_LABEL.get(category, "") if category else ""
    if category in LEGACY_CATEGORY_LABELS:
        # Sheets exported before the unit types still say 企事业 …: read, not refused.
        row.category, row.legacy_category = LEGACY_CATEGORY_LABELS[category], category
    if category and not row.category:
        problem(
            "支部类型", f"无法识别的支部类型「{category}」，可填：{'、'.join(CATEGORY_BY_LABEL)}。"
        )
    for column, attribute in (("成立日期", "founded_on"), ("撤销日期", "dissolved_on")):
        try:
            parsed = v.parse_date(_cell(raw, columns, column))
        except ValueError as exc:
            problem(column, str(exc))
            continue
        setattr(row, attribute, parsed[0] if parsed else None)
    return row


def _check_lengths(row: TreeRow, problem) -> None:
    """Organization's own limits, read from the model: refused here, not by the database."""
    for column, value, attribute in (
        ("路径", row.names[-1] if row.names else "", "name"),
        ("组织代码", row.code, "code"),
    ):
        limit = Organization._meta.get_field(attribute).max_length
        if len(value) > limit:
            problem(column, f"「{value[:20]}…」太长：最多 {limit} 个字符，这里有 {len(value)} 个。")


def _compare(rows: list[TreeRow], path_of: dict, user) -> None:
    """Decide each row's action; a parent named by path must exist or be founded above it."""
    known_paths = {path: pk for pk, path in path_of.items()}
    new_paths = {tuple(r.names) for r in rows if r.node is None and not r.problems}
    for row in rows:
        if row.problems:
            row.action = "rejected"
            continue
        parent = tuple(row.names[:-1])
        if not parent:
            if row.node is None or row.node.pk not in path_of or len(path_of[row.node.pk]) != 1:
                row.problems.append(
                    Problem(
                        row.number,
                        "路径",
                        "路径超出你管辖的范围：只能在你的组织之下设立或移动组织。",
                    )
                )
                row.action = "rejected"
                continue
        elif parent not in known_paths and parent not in new_paths:
            row.problems.append(
                Problem(
                    row.number,
                    "路径",
                    f"上级组织「{SEPARATOR.join(parent)}」不存在，也不在本表新增的组织中。",
                )
            )
            row.action = "rejected"
            continue
        _legacy_category(row)
        if row.node is None:
            row.action = "new"
            continue
        node = row.node
        row.old_names = path_of[node.pk]
        changes = {}
        if row.names[-1] != node.name:
            changes["name"] = row.names[-1]
        if parent and parent != path_of[node.pk][:-1]:
            changes["parent"] = parent
        if row.kind != node.kind:
            row.problems.append(Problem(row.number, "类别", "已有组织的类别不能在表格中修改。"))
        for attribute in ("category", "founded_on", "dissolved_on"):
            if getattr(row, attribute) != (
                getattr(node, attribute) or ("" if attribute == "category" else None)
            ):
                changes[attribute] = getattr(row, attribute)
        row.changes = changes
        row.action = "rejected" if row.problems else ("changed" if changes else "unchanged")


def _legacy_category(row: TreeRow) -> None:
    """An old category label founds a node with what it maps to, and never overwrites
    the unit type an existing node already has (someone may have settled it)."""
    if not row.legacy_category:
        return
    labels = "、".join(c.label for c in BranchCategory if c != BranchCategory.UNDECIDED)
    if row.node is not None and row.node.category:
        row.category = row.node.category
        outcome = f"保留该组织现有的支部类型「{row.node.get_category_display()}」"
    else:
        outcome = f"按「{BranchCategory(row.category).label}」写入"
        if row.category == BranchCategory.UNDECIDED:
            outcome += "，写入后列在组织树页面待确定"
    row.warnings.append(
        Problem(
            row.number,
            "支部类型",
            f"「{row.legacy_category}」是旧的支部类型，{outcome}。可改填：{labels}。",
        )
    )


@transaction.atomic
def commit_tree_import(*, plan: TreePlan, user, reason: str = "组织树表格导入") -> dict:
    """Write the plan through the tree services: founding top-down, then edits and moves."""
    if plan.counts["rejected"]:
        raise ValueError("有被拒绝的行，未写入任何数据。")
    visible = list(Organization.objects.visible_to(user))
    paths = relative_paths(visible)
    by_path = {paths[node.pk]: node for node in visible}
    with acting_as(user, reason):
        try:
            for row in sorted(
                (r for r in plan.rows if r.action == "new"), key=lambda r: len(r.names)
            ):
                parent = by_path[tuple(row.names[:-1])]
                node = services.org_create(
                    kind=row.kind,
                    name=row.names[-1],
                    code=row.code,
                    parent=parent,
                    category=row.category,
                    founded_on=row.founded_on,
                )
                by_path[tuple(row.names)] = node
            for row in (r for r in plan.rows if r.action == "changed"):
                _apply(row, by_path)
        except ValidationError as exc:
            raise ValueError(f"写入时被拒绝：{'；'.join(exc.messages)}") from None
    return plan.counts


def _apply(row: TreeRow, by_path) -> None:
    node = Organization.objects.get(pk=row.node.pk)
    changes = dict(row.changes)
    if "parent" in changes:
        node = services.org_move(org=node, new_parent=by_path[changes.pop("parent")])
    # Dissolving takes the subtree with it; reopening is one node at a time.
    dissolve_on = changes.pop("dissolved_on", None) if changes.get("dissolved_on") else None
    if changes:
        node = services.org_update(org=node, **changes)
    if dissolve_on:
        services.org_dissolve(org=node, on=dissolve_on)
