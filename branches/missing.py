"""Organisations a spreadsheet names that the tree does not have: where each would go,
and creating them in one confirmed step.

A roster names branches (and groups) by name or by path (甲镇党委/青山村党支部).
When some are missing, the import's preview says so once per organisation;
a user who may edit the tree sees the nodes that would be created – kind,
category, parent – and confirms them. Nothing is ever created silently.

The parent of a new node is the deepest organisation of the written path that
the user's part of the tree has (by name or short name); failing that, the
user's own node when the kind may sit there (a clerk's branches under the
township); failing that, the user picks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from branches.models import (
    ALLOWED_PARENTS,
    CATEGORISED_KINDS,
    PICKABLE_CATEGORIES,
    BranchCategory,
    Organization,
    OrgKind,
    User,
)
from branches.paths import path_prefixes
from branches.services import org_create
from branches.spreadsheets.cells import normalise_header

# A new node's kind from its name, most specific first (a 党总支 is not a 党委).
KIND_BY_SUFFIX = [
    ("党小组", OrgKind.GROUP),
    ("党总支", OrgKind.GENERAL_BRANCH),
    ("总支部", OrgKind.GENERAL_BRANCH),
    ("党支部", OrgKind.BRANCH),
    ("支部", OrgKind.BRANCH),
    # 街道党工委 is a township's; any other 工委 (县直机关工委, 教育工委) a 工委.
    ("党工委", OrgKind.TOWNSHIP),
    ("工委", OrgKind.WORK_COMMITTEE),
    # 甲镇党委 is a township; 青山村党委, 财政局党委 are 基层党委.
    ("乡党委", OrgKind.TOWNSHIP),
    ("镇党委", OrgKind.TOWNSHIP),
    ("党委", OrgKind.PRIMARY_COMMITTEE),
    ("街道", OrgKind.TOWNSHIP),
    ("乡", OrgKind.TOWNSHIP),
    ("镇", OrgKind.TOWNSHIP),
]
# A branch's category from its name, where the name says it; else the user picks.
# First match wins: a 民办 school is a 社会组织 (民办非企业单位), not an institution.
# A 公司 could be public or non-public, so a company's name decides nothing.
CATEGORY_BY_WORD = [
    (r"社区", BranchCategory.COMMUNITY),
    (r"机关", BranchCategory.ORGAN),
    (r"民办|协会|商会|学会|基金会", BranchCategory.SOCIAL_ORG),
    (r"学校|中学|小学|幼儿园|学院|卫生院|医院", BranchCategory.INSTITUTION),
    (r"村", BranchCategory.VILLAGE),
]


class MissingOrganisation(ValueError):
    """A branch or group a spreadsheet names that the user's tree does not have.

    Carries what ``planned`` needs: the names as written (a path, or one
    name), whether the last is a branch or a group, and the existing node the
    first name hangs under when the file says so (a group's branch).
    """

    def __init__(self, message: str, *, names: list[str], leaf: str, parent: int | None = None):
        super().__init__(message)
        self.names, self.leaf, self.parent = names, leaf, parent

    def under(self, group: str) -> MissingOrganisation:
        """The same, with a group named under the missing branch."""
        return MissingOrganisation(
            str(self), names=[*self.names, group], leaf="group", parent=self.parent
        )

    @property
    def key(self) -> tuple:
        return (tuple(self.names), self.leaf, self.parent)


def written_names(value: str) -> list[str]:
    """The names of a path as written (甲镇党委/青山村党支部), spaces collapsed."""
    return [" ".join(p.split()) for p in re.split(r"[/／>＞]", value) if p.strip()]


@dataclass
class NewNode:
    """One organisation to create: its names path as written, kind, category, parent."""

    key: str  # its parent (an existing node's pk, or a new node's key) and its name
    name: str
    kind: str
    category: str
    parent: Organization | None  # an existing node; None when a new node or undecided
    parent_key: str = ""  # the new node above it, if any
    parent_name: str = ""
    rows: int = 0
    choices: list[Organization] = field(default_factory=list)  # when the user must pick

    @property
    def kind_label(self) -> str:
        return OrgKind(self.kind).label

    @property
    def category_label(self) -> str:
        return BranchCategory(self.category).label if self.category else ""

    @property
    def parent_label(self) -> str:
        """Where it goes: an existing node, a node created with it, or the user's pick."""
        if self.parent is not None:
            return self.parent.name
        if self.parent_key:
            return f"{self.parent_name}（一并新建）"
        return "确认时选择"

    @property
    def needs_parent(self) -> bool:
        return self.parent is None and not self.parent_key

    @property
    def needs_category(self) -> bool:
        return self.kind in CATEGORISED_KINDS


def kind_from_name(name: str, *, default: str) -> str:
    for suffix, kind in KIND_BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return default


def category_from_name(name: str) -> str:
    return next((c for pattern, c in CATEGORY_BY_WORD if re.search(pattern, name)), "")


class TreeNames:
    """The user's live organisations by name and short name (groups aside)."""

    def __init__(self, user) -> None:
        self.user = user
        nodes = Organization.objects.visible_to(user).live().exclude(kind=OrgKind.GROUP)
        self.by_name: dict[str, list[Organization]] = {}
        self.by_pk: dict[int, Organization] = {}
        for org in nodes.only("pk", "name", "short_name", "kind", "path", "parent_id"):
            self.by_pk[org.pk] = org
            for name in {org.name, org.short_name} - {""}:
                self.by_name.setdefault(normalise_header(name), []).append(org)

    def one(self, name: str) -> Organization | None:
        found = self.by_name.get(normalise_header(name), [])
        return found[0] if len(found) == 1 else None


def planned(entries: list[dict], user) -> list[NewNode]:
    """The nodes to create for the missing organisations of *entries*.

    Each entry is ``{"names": [...], "leaf": "branch" | "group", "parent": pk | None,
    "rows": n}`` as ``members.roster_plan`` reports them (``parent``: the existing
    branch a missing group's name belongs to); shared paths give one node.
    """
    tree = TreeNames(user)
    nodes: dict[str, NewNode] = {}
    made_since = _groups_of({e["parent"] for e in entries if e.get("parent")})
    for entry in entries:
        names, leaf = entry["names"], entry["leaf"]
        if entry.get("parent") in tree.by_pk:
            if (entry["parent"], normalise_header(names[0])) in made_since:
                continue  # created since the file was checked
            start, parent = 0, tree.by_pk[entry["parent"]]
        else:
            start, parent = _deepest_existing(names, tree)
        above: NewNode | None = None
        for i in range(start, len(names)):
            node = _new_node(names, i, leaf, parent if above is None else None, above, tree)
            # Two spellings of one place (甲镇党委/新村党支部 and 新村党支部 for a
            # township's clerk) are one node: the key is the parent and the name.
            above = nodes.setdefault(node.key, node)
            above.rows += entry["rows"]
    return list(nodes.values())


def _groups_of(branch_pks: set[int]) -> set[tuple[int, str]]:
    """The live groups of these branches, as (branch, name): one query, only if any."""
    if not branch_pks:
        return set()
    groups = Organization.objects.live().filter(parent_id__in=branch_pks, kind=OrgKind.GROUP)
    return {(p, normalise_header(n)) for p, n in groups.values_list("parent_id", "name")}


def _deepest_existing(names: list[str], tree: TreeNames) -> tuple[int, Organization | None]:
    """Where the new part of *names* starts, and the existing node above it."""
    for i in range(len(names) - 1, -1, -1):
        found = tree.one(names[i])
        if found is not None:
            return i + 1, found
    return 0, None


def _new_node(names, i, leaf, parent, above: NewNode | None, tree: TreeNames) -> NewNode:
    """The node for ``names[i]``, under an existing *parent* or the new node *above*."""
    name = names[i]
    if i == len(names) - 1:
        kind = OrgKind.GROUP if leaf == "group" else OrgKind.BRANCH
    elif leaf == "group" and i == len(names) - 2:
        kind = OrgKind.BRANCH
    else:
        kind = kind_from_name(name, default=OrgKind.TOWNSHIP)
    if parent is None and above is None and _may_sit_under(kind, tree.user.org):
        parent = tree.user.org  # the user's own node takes it (a clerk's township)
    if parent is not None:
        key = f"{parent.pk}:{normalise_header(name)}"
    else:
        key = f"{above.key if above else '?'}/{normalise_header(name)}"
    node = NewNode(
        key=key,
        name=name,
        kind=kind,
        category=category_from_name(name) if kind in CATEGORISED_KINDS else "",
        parent=parent,
        parent_key=above.key if above else "",
        parent_name=above.name if above else "",
    )
    if node.needs_parent:
        node.choices = _possible_parents(kind, tree)
    return node


def _may_sit_under(kind: str, org: Organization | None) -> bool:
    return org is not None and org.kind in ALLOWED_PARENTS.get(kind, ())


def _possible_parents(kind: str, tree: TreeNames) -> list[Organization]:
    allowed = ALLOWED_PARENTS.get(kind, ())
    seen = {o.pk: o for orgs in tree.by_name.values() for o in orgs if o.kind in allowed}
    return sorted(seen.values(), key=lambda o: o.path)


def nodes_choose(nodes: list[NewNode], data) -> list[str]:
    """Apply the user's picks (``parent-<i>``, ``category-<i>``) to *nodes*; the errors.

    A parent must be one of the node's choices, a category one of the list.
    """
    errors = []
    for i, node in enumerate(nodes):
        if node.needs_parent:
            picked = {str(o.pk): o for o in node.choices}.get(data.get(f"parent-{i}", ""))
            if picked is None:
                errors.append(f"请为「{node.name}」选择上级组织。")
            node.parent = picked
        if node.needs_category:
            category = data.get(f"category-{i}", node.category)
            if category not in dict(PICKABLE_CATEGORIES):
                errors.append(f"请为「{node.name}」选择支部类型。")
            else:
                node.category = category
    return errors


@transaction.atomic
def organisations_create(*, nodes: list[NewNode], user) -> list[Organization]:
    """Create *nodes* (parents first), each under its parent; returns them.

    Codes are made from the parent's (``C001-N1``, ``C001-N2`` …), unique.
    Raises ``ValidationError`` (nothing created) when a node breaks a rule
    of the tree, or a parent is outside *user*'s part of it.
    """
    created: dict[str, Organization] = {}
    visible = Organization.objects.visible_to(user)
    for node in nodes:
        parent = created.get(node.parent_key) if node.parent_key else node.parent
        if parent is None or not visible.filter(pk=parent.pk).exists():
            raise ValidationError(f"请为「{node.name}」选择上级组织。")
        created[node.key] = org_create(
            kind=node.kind,
            name=node.name,
            code=_free_code(parent),
            parent=parent,
            category=node.category,
        )
    return list(created.values())


def _free_code(parent: Organization) -> str:
    taken = set(
        Organization.objects.filter(code__startswith=f"{parent.code}-N").values_list(
            "code", flat=True
        )
    )
    number = 1
    while f"{parent.code}-N{number}" in taken:
        number += 1
    return f"{parent.code}-N{number}"


def who_may_create(user) -> list:
    """The active accounts at *user*'s node or above it that may add organisations:
    whom a user who may not edit the tree asks."""
    if user.org is None:
        return []
    paths = path_prefixes(user.org.path, include_self=True)
    return list(
        User.objects.with_perm(
            "branches.add_organization",
            include_superusers=False,
            backend="branches.auth.ScopedModelBackend",  # the backend that grants permissions
        )
        .filter(is_active=True, org__path__in=paths)
        .select_related("org")
        .order_by("org__path", "username")[:10]
    )
