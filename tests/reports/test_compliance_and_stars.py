"""三会一课 compliance and 积分与评星 reports: figures, gaps, exports."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from activities.models import ActivityKind
from activities.ratings.services import rating_draft_compute
from branches.models import OrgKind
from reports import selectors
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, clerk_of, frozen, log_meeting

TODAY = datetime.date(2026, 4, 15)


@pytest.fixture
def logged(tree):
    clerk = clerk_of(tree.township_a)
    for group in (tree.group_a1, tree.group_a2, tree.organ_a):
        MemberFactory(group=group) if group.kind == OrgKind.GROUP else MemberFactory(branch=group)
    for month in (1, 2, 3):
        log_meeting(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2026, month, 8),
            by=clerk,
        )
    log_meeting(
        org=tree.group_a2,
        kind=ActivityKind.GROUP_MEETING,
        held_on=datetime.date(2026, 1, 9),
        by=clerk,
    )
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.THEME_DAY,
        held_on=datetime.date(2026, 1, 10),
        by=clerk,
    )
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.GENERAL_MEETING,
        held_on=datetime.date(2026, 2, 10),
        by=clerk,
    )
    return clerk


def test_it_counts_done_and_due_by_month_and_kind(tree, logged):
    data = selectors.compliance(node=tree.township_a, year=2026, today=TODAY, by="month")
    village, organ = data.children
    assert [(c.done, c.due) for c in village.cells[:4]] == [(3, 3), (1, 3), (2, 5), (0, 0)]
    assert [(c.done, c.due) for c in organ.cells[:3]] == [(0, 1), (0, 1), (0, 3)]
    assert (data.total.total.done, data.total.total.due) == (6, 16)
    assert village.kinds[ActivityKind.GROUP_MEETING].done == 4
    assert village.attendance_rate == 1.0
    assert data.missing_count == 10

    by_quarter = selectors.compliance(node=tree.township_a, year=2026, today=TODAY, by="quarter")
    assert [(c.done, c.due) for c in by_quarter.total.cells] == [(6, 16), (0, 0), (0, 0), (0, 0)]


def test_it_counts_an_organisation_without_founding_date_from_the_month_it_was_entered(tree):
    group = GroupFactory(
        parent=tree.village_a,
        name="甲村第三党小组",
        created_at=beijing(2026, 3, 1, hour=0, minute=30),
    )

    data = selectors.compliance(node=tree.township_a, year=2026, today=TODAY, by="month")

    missing = [m.period_label for m in data.missing if m.org_name.endswith(group.name)]
    assert missing == ["2026年3月"]  # not January or February; April is still open


def test_it_lists_every_closed_period_without_its_records(tree, logged):
    data = selectors.compliance(node=tree.township_a, year=2026, today=TODAY, by="month")

    assert sorted((m.org_name, m.kind_label, m.period_label) for m in data.missing) == sorted(
        [
            ("甲镇党委/甲村党支部/甲村第二党小组", "党小组会", "2026年2月"),
            ("甲镇党委/甲村党支部/甲村第二党小组", "党小组会", "2026年3月"),
            ("甲镇党委/甲村党支部", "主题党日", "2026年2月"),
            ("甲镇党委/甲村党支部", "主题党日", "2026年3月"),
            ("甲镇党委/甲村党支部", "党课", "2026年第1季度"),
            ("甲镇党委/甲镇机关党支部", "主题党日", "2026年1月"),
            ("甲镇党委/甲镇机关党支部", "主题党日", "2026年2月"),
            ("甲镇党委/甲镇机关党支部", "主题党日", "2026年3月"),
            ("甲镇党委/甲镇机关党支部", "支部党员大会", "2026年第1季度"),
            ("甲镇党委/甲镇机关党支部", "党课", "2026年第1季度"),
        ]
    )


def test_it_exports_the_compliance_table(tree, logged, county_client):
    response = county_client.get(
        reverse("reports:compliance", args=[tree.township_a.pk]), {"year": 2026, "format": "xlsx"}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[1]
    total = dict(zip(header, next(r for r in rows if r[0] == "合计"), strict=False))
    page = county_client.get(reverse("reports:compliance", args=[tree.township_a.pk]))
    data = page.context["data"]
    assert (total["全年已开展"], total["全年应开展"]) == (
        data.total.total.done,
        data.total.total.due,
    )


def _more_branches(tree, n):
    clerk = clerk_of(tree.township_b)
    for i in range(n):
        branch = BranchFactory(parent=tree.township_b, name=f"新{i}村党支部", code=f"N{i}")
        group = GroupFactory(parent=branch, name=f"新{i}村第一党小组", code=f"N{i}-G")
        MemberFactory(group=group)
        log_meeting(
            org=group, kind=ActivityKind.GROUP_MEETING, held_on=datetime.date(2026, 1, 9), by=clerk
        )
    return clerk


# A township's page counts one by one: session + user (2), permissions (2), node (1),
# breadcrumb (1), children, branches and groups, tallies, committee posts, cadence
# rules (5), the missing organisations' ancestors for their labels (1), session save
# (3). A county's page lets the database count: node and children (2), cadence rules
# (1), tallies grouped, organisations without a tally, committee posts per branch,
# branches with their 支委会 tally, organisations founded or dissolved during the year
# (5), the first gaps one by one: organisations, tallies, posts (3), and the same
# session, permissions, labels and session save; the children's marks, 软弱涣散 and 示范点
# (2, reports.selectors.mark_rows).
@pytest.mark.parametrize(("node", "queries"), [("township_b", 17), ("county", 21)])
@pytest.mark.parametrize("branches", [2, 20])
def test_it_shows_compliance_in_a_constant_number_of_queries(
    tree, county_client, node, queries, branches, django_assert_num_queries
):
    _more_branches(tree, branches)
    node = getattr(tree, node)
    with django_assert_num_queries(queries):
        response = county_client.get(reverse("reports:compliance", args=[node.pk]), {"year": 2026})
    data = response.context["data"]
    # The export counts one by one at every level: the page's figures are the same.
    export = selectors.compliance(node=node, year=2026, today=timezone.localdate(), by="month")
    assert (data.total.total.due, data.total.total.done, data.missing_count) == (
        export.total.total.due,
        export.total.total.done,
        export.missing_count,
    )
    assert data.total.total.due > branches
    assert len(data.children) == (branches + 2 if node == tree.township_b else 2)


@pytest.mark.parametrize("children", [2, 20])
def test_it_shows_the_stars_in_a_constant_number_of_queries(
    tree, county_client, children, django_assert_num_queries
):
    _more_branches(tree, children)
    rating_draft_compute(node=tree.county, year=2026, today=TODAY)
    url = reverse("reports:stars", args=[tree.township_b.pk])
    # session + user (2), permissions (2), node (1), publication (1), children, the
    # kept counts summed per child and stars (2: the distribution too), last and
    # undecided counts, last rows (2), the rule explained beside them (1), breadcrumb
    # (1), session save (3)
    with django_assert_num_queries(15):
        response = county_client.get(url, {"year": 2026})
    rows = response.context["rows"]
    assert len(rows) == children + 2
    assert sum(r.total for r in rows) == response.context["total"] == children + 0


def test_it_exports_each_childs_months_as_the_page_shows_them(tree, logged, county_client):
    url = reverse("reports:compliance", args=[tree.township_a.pk])
    with frozen(beijing(2026, 4, 15)):
        data = county_client.get(url, {"year": 2026}).context["data"]
        response = county_client.get(url, {"year": 2026, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[1]
    table = rows[2 : [r[0] for r in rows].index("合计") + 1]  # the missing list follows
    exported = {row[0]: dict(zip(header, row, strict=True)) for row in table}
    for row in [*data.children, data.total]:
        line = exported[row.org.name if row is not data.total else "合计"]
        for column, cell in zip(data.columns, row.cells, strict=True):
            # 15 April: January to March ended, April is under way, May on lies ahead.
            if column.state == "open":
                note, shown = "（进行中）", (cell.done_so_far, cell.due_so_far)
            elif column.state == "future":
                note, shown = "", (None, None)  # empty cells, no rate
            else:
                note, shown = "", (cell.done, cell.due)
            assert (
                line[f"{column.label}已开展{note}"],
                line[f"{column.label}应开展{note}"],
            ) == shown
        assert (line["全年已开展"], line["全年应开展"]) == (row.total.done, row.total.due)
    assert data.missing_count == 10
    assert ("未按规定开展的组织生活（截至统计时）", 10) in [r[:2] for r in rows]


def test_it_lists_the_gaps_once_per_organisation_and_kind(tree, logged):
    data = selectors.compliance(node=tree.township_a, year=2026, today=TODAY, by="month")
    lines = data.missing_lines
    assert len({(org_id, kind) for org_id, _name, kind, _periods in lines}) == len(lines)
    assert sum(len(periods.split("、")) for *_rest, periods in lines) == data.missing_count
    # Each organisation by its label: among a county's groups "第二党小组" says nothing.
    assert (tree.village_a.pk, "甲镇党委/甲村党支部", "主题党日", "2月、3月") in lines
    assert (tree.group_a2.pk, "甲镇党委/甲村党支部/甲村第二党小组", "党小组会", "2月、3月") in lines


def test_it_says_when_the_page_lists_only_the_first_gaps(tree, logged, county_client, monkeypatch):
    monkeypatch.setattr(selectors, "MISSING_SHOWN", 4)
    url = reverse("reports:compliance", args=[tree.township_a.pk])
    with frozen(beijing(2026, 4, 15)):
        page = county_client.get(url, {"year": 2026})
    body = page.content.decode()
    assert "只列出前 4 项，全部见 Excel" in body
    assert f'href="{reverse("activities:worklist")}?org={tree.village_a.pk}"' in body
    lines = page.context["data"].missing_lines
    assert sum(len(periods.split("、")) for *_rest, periods in lines) == 4


def test_it_shows_a_branchs_own_meetings_beside_its_groups(tree, logged):
    data = selectors.compliance(node=tree.village_a, year=2026, today=TODAY, by="month")
    assert [r.name for r in data.children] == [
        "甲村第一党小组",
        "甲村第二党小组",
        "甲村党支部（本级）",
    ]
    assert sum(r.total.due for r in data.children) == data.total.total.due == 11
    assert sum(r.total.done for r in data.children) == data.total.total.done == 6
