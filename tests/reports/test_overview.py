"""组织概况 and 数据摘要: the figures, their export, the paragraph, and their query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from branches.models import BranchCategory, Organization, OrgKind
from members.choices import MemberCategory, MembershipReason, Sex
from members.idcard import make_id_number
from members.models import Member, Membership
from members.services import member_transfer
from reports import selectors
from tests.factories import BranchFactory, GroupFactory, MemberFactory, TownshipFactory

ON = datetime.date(2026, 6, 30)


def add_members(branch, count: int, *, women: int = 0, probationary: int = 0, start=0):
    """*count* members of *branch* in bulk: the first *women* are women, the next
    *probationary* are probationary (joined this year)."""
    members = []
    for i in range(count):
        n = start + i
        woman = i < women
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=n)
        # GB 11643: an odd sequence number is a man, an even one a woman.
        sequence = (n * 2) % 1000 if woman else (n * 2 + 1) % 1000
        on_probation = women <= i < women + probationary
        members.append(
            Member(
                name=f"党员{n}",
                branch=branch,
                id_number=make_id_number("110105", birth, sequence),
                sex=Sex.FEMALE if woman else Sex.MALE,
                birth_date=birth,
                category=MemberCategory.PROBATIONARY if on_probation else MemberCategory.FULL,
                joined_on=datetime.date(2026, 3, 1) if on_probation else datetime.date(2000, 7, 1),
            )
        )
    Member.objects.bulk_create(members, audit=False)
    Membership.objects.bulk_create(
        [
            Membership(
                member=m,
                branch=branch,
                started_on=datetime.date(2020, 1, 1),
                start_reason=MembershipReason.JOINED,
            )
            for m in members
        ],
        audit=False,
    )


@pytest.fixture
def township_644(tree):
    """A township of 10 village and 4 organ branches, 644 members: 62 women, 18 probationary."""
    township = TownshipFactory(parent=tree.county, name="丙乡党委", short_name="丙乡", code="X")
    villages = [
        BranchFactory(parent=township, name=f"丙乡{i}村党支部", code=f"X-V{i}") for i in range(10)
    ]
    organs = [
        BranchFactory(
            parent=township,
            name=f"丙乡机关第{i}党支部",
            code=f"X-O{i}",
            category=BranchCategory.ORGAN,
        )
        for i in range(4)
    ]
    start = 0
    for i, branch in enumerate(villages + organs):
        # 46 members in each of the 14 branches; women and probationary spread unevenly.
        add_members(
            branch,
            46,
            women=5 if i < 6 else 4,
            probationary=1 + (i < 4),
            start=start,
        )
        start += 46
    return township


def test_it_counts_the_644_members_of_the_township(township_644):
    data = selectors.overview(node=township_644, on=ON)
    total = data.total
    assert total.kinds["branch"] == 14
    assert (total.categories["village"], total.categories["organ"]) == (10, 4)
    assert total.members["total"] == 644
    assert total.members["women"] == 62
    assert total.members["probationary"] == 18
    assert total.members["new"] == 18
    assert len(data.children) == 14
    assert sum(row.members["total"] for row in data.children) == 644


def test_it_shows_the_same_figures_on_the_page_and_in_the_export(township_644, county_client):
    url = reverse("reports:overview", args=[township_644.pk])
    page = county_client.get(url, {"on": ON.isoformat()})
    body = page.content.decode()
    assert page.status_code == 200
    assert "<strong>644</strong><span>党员</span>" in body
    assert "<strong>62</strong><span>女党员</span>" in body
    assert "<strong>18</strong><span>预备党员</span>" in body

    response = county_client.get(url, {"on": ON.isoformat(), "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    total = dict(zip(header, rows[-1], strict=True))
    assert total["组织"] == "合计"
    assert (total["党支部"], total["农村党支部"], total["机关党支部"]) == (14, 10, 4)
    assert (total["党员总数"], total["女党员"], total["预备党员"]) == (644, 62, 18)
    assert len(rows) == 3 + 14 + 1


def test_it_drafts_the_summary_paragraph(township_644, county_client):
    text = selectors.summary_text(selectors.overview(node=township_644, on=ON))
    assert text.startswith(
        "截至2026年6月30日，全乡共有党支部14个，其中农村党支部10个、机关党支部4个；"
    )
    assert "党员644名，其中女党员62名、预备党员18名" in text
    page = county_client.get(
        reverse("reports:summary", args=[township_644.pk]), {"on": "2026-06-30"}
    )
    assert text in page.content.decode()


@pytest.mark.parametrize(
    ("kind_name", "expected"),
    [("county", "全县"), ("township_a", "全镇"), ("village_a", "全村"), ("organ_a", "本支部")],
)
def test_it_opens_the_summary_after_the_node(tree, kind_name, expected):
    assert selectors.opening_word(getattr(tree, kind_name)) == expected


def test_it_counts_as_of_a_past_date_from_the_membership_history(tree):
    moved = MemberFactory(group=tree.group_a1)
    member_transfer(member=moved, branch=tree.village_b, on=datetime.date(2026, 3, 1))
    before = selectors.overview(node=tree.county, on=datetime.date(2026, 2, 1))
    after = selectors.overview(node=tree.county, on=datetime.date(2026, 4, 1))
    assert [r.members["total"] for r in before.children] == [1, 0]
    assert [r.members["total"] for r in after.children] == [0, 1]


def test_it_bands_ages_and_joining_eras(tree):
    MemberFactory(
        group=tree.group_a1,
        id_number=make_id_number("110105", datetime.date(1995, 7, 1), 11),
        birth_date=datetime.date(1995, 7, 1),
        joined_on=datetime.date(2015, 7, 1),
    )
    MemberFactory(
        group=tree.group_a1,
        id_number=make_id_number("110105", datetime.date(1940, 1, 1), 13),
        birth_date=datetime.date(1940, 1, 1),
        joined_on=datetime.date(1965, 7, 1),
    )
    m = selectors.overview(node=tree.village_a, on=datetime.date(2026, 6, 30)).total.members
    # Born 1 July 1995: 30 on 30 June 2026, 31 the next day.
    assert (m["age0"], m["age1"], m["age7"]) == (1, 0, 1)
    assert (m["era1"], m["era3"]) == (1, 1)
    older = selectors.overview(node=tree.village_a, on=datetime.date(2026, 7, 1)).total.members
    assert (older["age0"], older["age1"]) == (0, 1)


def _branches(tree, n):
    for i in range(n):
        branch = BranchFactory(parent=tree.township_a, name=f"新{i}村党支部", code=f"N{i}")
        GroupFactory(parent=branch, name=f"新{i}村第一党小组", code=f"N{i}-G")
        MemberFactory(branch=branch)


@pytest.mark.parametrize("children", [2, 20])
def test_it_shows_the_overview_in_a_constant_number_of_queries(
    tree, county_client, children, django_assert_num_queries
):
    _branches(tree, children)
    url = reverse("reports:overview", args=[tree.township_a.pk])
    # session + user (2), permissions (2), node (1), breadcrumb (1), children, live
    # nodes (2), the kept member figures with their counters (1), none kept yet: the
    # members counted, the suspended ones apart, the figures stored and rows past
    # their time dropped (4), the 发展党员 counts (1), session save (3); the children's
    # marks, 软弱涣散 and 示范点 (2, reports.selectors.mark_rows); the village
    # secretaries and how many are 一肩挑 (1, reports.selectors.one_shoulder)
    with django_assert_num_queries(20):
        response = county_client.get(url)
    assert len(response.context["data"].children) == children + 2
    # Again: the figures are read, not counted.
    with django_assert_num_queries(16):
        again = county_client.get(url)
    assert again.context["data"].total.members == response.context["data"].total.members


def test_it_lists_townships_and_branches_in_the_county_summary(tree):
    MemberFactory(group=tree.group_a1)
    text = selectors.summary_text(selectors.overview(node=tree.county, on=ON))
    assert text.startswith(
        "截至2026年6月30日，全县共有乡镇（街道）党委2个，党支部4个，"
        "其中农村党支部2个、机关党支部2个；党员1名"
    )


def test_it_counts_the_members_of_a_party_group(tree):
    MemberFactory(group=tree.group_a1)
    MemberFactory(group=tree.group_a1)
    MemberFactory(group=tree.group_a2)
    data = selectors.overview(node=tree.group_a1, on=ON)
    assert data.total.members["total"] == 2
    assert selectors.summary_text(data).startswith("截至2026年6月30日，本党小组党员2名")


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        (OrgKind.COUNTY, "中共某某旗委员会", "全旗"),
        (OrgKind.COUNTY, "某某区委", "全区"),
        (OrgKind.COUNTY, "某某旗委", "全旗"),
        (OrgKind.TOWNSHIP, "某某乡党委", "全乡"),
        (OrgKind.TOWNSHIP, "某某镇党委", "全镇"),
        (OrgKind.TOWNSHIP, "某某街道党工委", "全街道"),
        (OrgKind.TOWNSHIP, "中共某某镇委员会", "全镇"),
        (OrgKind.TOWNSHIP, "中共某某街道工作委员会", "全街道"),
    ],
)
def test_it_opens_with_the_word_the_name_calls_for(kind, name, expected):
    assert selectors.opening_word(Organization(kind=kind, name=name)) == expected


def test_it_exports_every_childs_figures_as_the_page_shows_them(township_644, county_client):
    url = reverse("reports:overview", args=[township_644.pk])
    data = county_client.get(url, {"on": ON.isoformat()}).context["data"]
    response = county_client.get(url, {"on": ON.isoformat(), "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    exported = {row[0]: dict(zip(rows[2], row, strict=True)) for row in rows[3:]}
    for row in [*data.children, data.total]:
        line = exported[row.org.name if row is not data.total else "合计"]
        assert line["党支部"] == row.kinds["branch"]
        for key, label in data.labels.items():
            assert line[label] == row.members[key], label


@pytest.mark.parametrize("children", [2, 20])
def test_it_drafts_the_summary_in_a_constant_number_of_queries(
    tree, county_client, children, django_assert_num_queries
):
    _branches(tree, children)
    url = reverse("reports:summary", args=[tree.township_a.pk])
    # session + user (2), permissions (2), node (1), children, live nodes (2), the
    # kept member figures (1), none kept yet: counted, suspended apart, stored, old
    # rows dropped (4), breadcrumb (1), session save (3); the year's flows for the
    # last sentence (reports.changes, without the two days' counts): children,
    # membership rows starting and ending (2), suspensions begun and ended (2); the
    # 发展党员 counts (1); the working ledgers' figures: 公开承诺 (1), 设岗定责 (posts,
    # 无职党员 on a post: 2), 结对帮扶 (pairings, visits: 2), 党员学习 (sessions and 学时:
    # 1). Then the figures are read, not counted.
    with django_assert_num_queries(28):
        response = county_client.get(url)
    assert f"党支部{children + 2}个" in response.context["text"]
    with django_assert_num_queries(24):
        assert county_client.get(url).context["text"] == response.context["text"]


def test_it_gives_a_branchs_members_outside_any_group_a_row(tree):
    MemberFactory(group=tree.group_a1)
    MemberFactory(branch=tree.village_a)
    data = selectors.overview(node=tree.village_a, on=ON)
    assert [(r.name, r.members["total"]) for r in data.children] == [
        ("甲村第一党小组", 1),
        ("甲村第二党小组", 0),
        ("甲村党支部（未编入党小组）", 1),
    ]
    assert data.total.members["total"] == 2


def test_it_counts_undecided_branches_apart_and_names_them_in_the_summary(tree):
    BranchFactory(parent=tree.township_a, name="甲镇卫生院党支部", category="undecided")
    BranchFactory(parent=tree.township_a, name="甲镇商会党支部", category="social_org")
    data = selectors.overview(node=tree.township_a, on=datetime.date(2026, 6, 30))
    counts = dict(data.category_counts)
    assert counts["社会组织党支部"] == 1 and counts["类型待确定的党支部"] == 1
    assert counts["非公有制企业党支部"] == 0
    assert "其中农村党支部1个、机关党支部1个、社会组织党支部1个、类型待确定的党支部1个" in (
        selectors.summary_text(data)
    )


def test_it_shows_no_undecided_line_when_every_branch_is_settled(tree):
    data = selectors.overview(node=tree.township_a, on=datetime.date(2026, 6, 30))
    assert "类型待确定的党支部" not in dict(data.category_counts)
