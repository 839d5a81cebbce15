"""The tree import page: its preview lists every node the import founds, renames, moves
or dissolves; the page lists the nodes still without a 成立日期."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from branches.roles import Role
from branches.selectors import orgs_without_founding
from branches.services import org_update
from branches.tree_sheets import plan_tree_import
from tests.branches.test_tree_sheets import exported, sheet
from tests.conftest import with_role
from tests.factories import BranchFactory, UserFactory
from tests.helpers import beijing

pytestmark = pytest.mark.django_db


def _edit(rows, code, column, value):
    for row in rows:
        if row[3] == code:
            row[column] = value


def _lines(rows, user):
    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=user)
    assert not plan.problems, plan.problems
    return {line.code: line for line in plan.lines}


def _cells(line):
    return [
        str(v) for v in (line.name, line.parent, line.category, line.founded_on, line.dissolved_on)
    ]


def test_it_lists_a_new_node_with_its_kind_parent_category_and_dates(tree, county_user):
    rows = exported(county_user)
    rows.append(["县委/甲镇党委/甲镇新村党支部", "党支部", "农村", "A-NEW", "2026-01-05", "", ""])

    line = _lines(rows, county_user)["A-NEW"]

    assert (line.operations, line.kind) == (["新设"], "党支部")
    assert _cells(line) == ["甲镇新村党支部", "县委/甲镇党委", "农村", "2026-01-05", "—"]
    assert not line.name.changed and line.number == len(rows)


def test_it_shows_a_rename_as_old_and_new_name(tree, county_user):
    rows = exported(county_user)
    _edit(rows, tree.organ_a.code, 0, "县委/甲镇党委/甲镇机关第一党支部")

    lines = _lines(rows, county_user)

    assert list(lines) == [tree.organ_a.code]  # the unchanged rows are not listed
    line = lines[tree.organ_a.code]
    assert line.operations == ["改名"]
    assert _cells(line) == [
        "甲镇机关党支部 → 甲镇机关第一党支部",
        "县委/甲镇党委",
        "机关",
        "—",
        "—",
    ]
    assert (line.name.changed, line.parent.changed) == (True, False)


def test_it_shows_a_move_as_old_and_new_parent_with_the_subtree_it_takes(tree, county_user):
    rows = exported(county_user)
    _edit(rows, tree.village_a.code, 0, "县委/乙镇党委/甲村党支部")

    line = _lines(rows, county_user)[tree.village_a.code]

    assert (line.operations, line.kind) == (["迁移"], "党支部")
    assert _cells(line) == ["甲村党支部", "县委/甲镇党委 → 县委/乙镇党委", "农村", "—", "—"]
    assert line.subtree_note == "连同 2 个下级组织一起迁移"


def test_it_lists_a_dissolution_with_the_live_nodes_dissolved_with_it(tree, county_user):
    rows = exported(county_user)
    _edit(rows, tree.village_b.code, 5, datetime.date(2026, 3, 1))
    _edit(rows, tree.organ_b.code, 2, "社会组织")
    _edit(rows, tree.organ_b.code, 4, datetime.date(2001, 7, 1))

    lines = _lines(rows, county_user)

    village = lines[tree.village_b.code]
    assert village.operations == ["撤销"]
    assert _cells(village) == ["乙村党支部", "县委/乙镇党委", "农村", "—", "— → 2026-03-01"]
    assert village.subtree_note == (
        "同时撤销 2 个下级组织："
        "县委/乙镇党委/乙村党支部/乙村第一党小组、县委/乙镇党委/乙村党支部/乙村第二党小组"
    )
    organ = lines[tree.organ_b.code]
    assert organ.operations == ["改支部类型", "改成立日期"]
    assert _cells(organ) == [
        "乙镇机关党支部",
        "县委/乙镇党委",
        "机关 → 社会组织",
        "— → 2001-07-01",
        "—",
    ]


def test_it_shows_the_rows_on_the_preview_page(tree, county_user, client):
    rows = exported(county_user)
    _edit(rows, tree.organ_a.code, 0, "县委/乙镇党委/甲镇机关第一党支部")
    rows.append(["县委/甲镇党委/甲镇新村党支部", "党支部", "农村", "A-NEW", "2026-01-05", "", ""])
    client.force_login(county_user)

    page = client.post(reverse("tree_import"), {"file": SimpleUploadedFile("t.xlsx", sheet(rows))})

    html = page.content.decode()
    assert html.index('id="tree-counts"') < html.index('id="tree-changes"')
    assert "将写入的组织（2 个）" in html
    assert "改名、迁移" in html
    assert "甲镇机关党支部 → 甲镇机关第一党支部" in html
    assert "县委/甲镇党委 → 县委/乙镇党委" in html
    assert "甲镇新村党支部" in html and "2026-01-05" in html


def _sheet_changing(tree, user, n: int) -> bytes:
    """The export with *n* nodes changed: a rename, a dissolution, n - 2 new branches."""
    rows = exported(user)
    _edit(rows, tree.organ_a.code, 0, "县委/甲镇党委/甲镇机关第一党支部")
    _edit(rows, tree.village_b.code, 5, datetime.date(2026, 3, 1))
    for i in range(n - 2):
        rows.append(
            [f"县委/甲镇党委/新{i}村党支部", "党支部", "农村", f"N{i}", "2026-01-05", "", ""]
        )
    return sheet(rows)


@pytest.mark.parametrize("n", [2, 20])
def test_it_previews_in_a_constant_number_of_queries(
    tree, county_user, client, django_assert_num_queries, n
):
    client.force_login(county_user)
    data = _sheet_changing(tree, county_user, n)

    # 1 session, 2 user with its node, 3-4 permissions (own, groups'), 5 the
    # user's part of the tree, 6 codes outside it, 7-9 the upload kept (is the
    # stored name free, the file, the upload), 10-12 the session's new expiry
    # (savepoint, update, release). The listed rows add none.
    with django_assert_num_queries(12):
        page = client.post(reverse("tree_import"), {"file": SimpleUploadedFile("t.xlsx", data)})

    assert len(page.context["lines"]) == n


# --- organisations without a 成立日期, listed on the tree page ------------------------------


@pytest.fixture
def keeper_a(tree):
    """One who keeps township A's part of the tree (the county role, at the township)."""
    return with_role(UserFactory(org=tree.township_a), Role.COUNTY)


def test_it_lists_the_users_nodes_without_founding_date_with_their_admin_pages(
    tree, keeper_a, client
):
    org_update(org=tree.village_a, founded_on=datetime.date(1998, 7, 1))
    entered = BranchFactory(
        parent=tree.township_a, name="甲镇新村党支部", created_at=beijing(2026, 3, 1, 9, 5)
    )
    client.force_login(keeper_a)

    page = client.get(reverse("tree_import"))

    listed = page.context["unfounded"]
    assert [o.pk for o in listed] == [
        tree.township_a.pk,
        tree.group_a1.pk,  # 甲村党支部 has its date; its groups do not
        tree.group_a2.pk,
        tree.organ_a.pk,
        entered.pk,
    ]
    assert page.context["unfounded_total"] == 5
    html = page.content.decode()
    change = reverse("admin:branches_organization_change", args=[entered.pk])
    assert f'<a href="{change}">甲镇党委/甲镇新村党支部</a>' in html
    assert "2026-03-01 09:05" in html  # 录入时间, in Beijing time
    assert "乙" not in "".join(o.label for o in listed)


def test_it_counts_all_but_lists_the_first_nodes_without_founding_date(tree, county_user):
    shown, total = orgs_without_founding(user=county_user, limit=3)
    assert ([o.name for o in shown], total) == (["县委", "甲镇党委", "甲村党支部"], 11)


@pytest.mark.parametrize("n", [2, 20])
def test_it_renders_the_tree_page_in_a_constant_number_of_queries(
    tree, keeper_a, client, django_assert_num_queries, n
):
    for i in range(n):
        BranchFactory(parent=tree.township_a, name=f"新{i}村党支部", code=f"N{i}")
    BranchFactory(parent=tree.township_b, code="B-N")
    client.force_login(keeper_a)

    # 1 session, 2 user with its node, 3-4 permissions (own, groups'), 5 the nodes
    # without a 成立日期, 6 their ancestors for the labels, 7 the 待确定 nodes (none
    # to label), 8-12 the sizing rules (member counts per branch, the branches,
    # committee posts, the organisations named in a breach, their labels:
    # branches.sizing), 13-15 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(15):
        page = client.get(reverse("tree_import"))

    assert page.context["unfounded_total"] == n + 5  # 甲镇党委 and its four nodes


def test_the_admin_lists_every_node_without_founding_date(tree, keeper_a, client):
    org_update(org=tree.organ_a, founded_on=datetime.date(1998, 7, 1))
    client.force_login(keeper_a)

    page = client.get(
        reverse("admin:branches_organization_changelist"), {"founded_on__isnull": "True"}
    )

    assert page.status_code == 200
    assert page.context["cl"].result_count == 4  # 甲镇党委, 甲村党支部 and its two groups
