"""党员增减: a township's year built from dated records, closing; the page, export, counts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from branches.models import OrgKind
from members.choices import MemberCategory, MembershipReason, RosterStatus
from members.models import Transfer
from members.services import (
    member_create,
    member_leave,
    member_transfer,
    transfer_arrive,
    transfer_issue,
    transfer_receive,
)
from members.standing import member_lost, member_restore, member_suspend
from reports.changes import member_changes
from tests.factories import BranchFactory, MemberFactory, TownshipFactory
from tests.members.roster_helpers import id_number

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 30)


@pytest.fixture
def year_of_township_a(tree, clerk_a, clerk_b):
    """Township A's 2026: every kind of flow once, and a move between its two branches."""
    for _ in range(5):
        MemberFactory(group=tree.group_a1)
    restored = MemberFactory(group=tree.group_a1, name="恢复党籍的党员")
    member_lost(member=restored, on=D(2024, 6, 1), efforts="查找未果")
    member_suspend(member=restored, on=D(2025, 3, 1), decision_number="1")
    member_restore(member=restored, on=D(2026, 5, 1), decision_number="2")
    suspended = MemberFactory(group=tree.group_a1, name="停止党籍的党员")
    member_lost(member=suspended, on=D(2025, 1, 1), efforts="查找未果")
    member_suspend(member=suspended, on=D(2026, 2, 1), decision_number="3")
    mover = MemberFactory(group=tree.group_a2, name="乡镇内调动的党员")
    member_transfer(member=mover, branch=tree.organ_a, on=D(2026, 3, 1))
    dead = MemberFactory(group=tree.group_a1, name="去世的党员")
    member_leave(member=dead, status=RosterStatus.DECEASED, on=D(2026, 8, 1), reason="病故")
    leaver = MemberFactory(group=tree.group_a1, name="转出县外的党员")
    letter = transfer_issue(
        member=leaver,
        kind=Transfer.Kind.OUT,
        outside_org="外县党委",
        letter_number="1",
        letter_date=D(2026, 8, 20),
        user=clerk_a,
    )
    transfer_receive(transfer=letter, on=D(2026, 9, 1), user=clerk_a)
    from_b = MemberFactory(group=tree.group_b1, name="从乙镇转来的党员")
    letter = transfer_issue(
        member=from_b,
        kind=Transfer.Kind.WITHIN,
        to_org=tree.township_a,
        letter_number="2",
        letter_date=D(2026, 3, 25),
        user=clerk_b,
    )
    transfer_receive(transfer=letter, on=D(2026, 4, 1), user=clerk_a, branch=tree.village_a)
    transfer_arrive(
        user=clerk_a,
        branch=tree.village_a,
        group=None,
        on=D(2026, 6, 1),
        outside_org="外省党委",
        outside_place="",
        letter_number="3",
        letter_date=D(2026, 5, 20),
        name="县外转入的党员",
        id_number=id_number(sequence=91),
        joined_on=D(2010, 7, 1),
    )
    member_create(
        name="新发展的党员",
        id_number=id_number(D(1998, 2, 3), 93),
        branch=tree.village_a,
        started_on=D(2026, 7, 1),
        start_reason=MembershipReason.JOINED,
        category=MemberCategory.PROBATIONARY,
        joined_on=D(2026, 7, 1),
    )


def test_a_townships_year_closes_with_each_flow(tree, year_of_township_a):
    data = member_changes(node=tree.township_a, year=2026, today=TODAY)

    total = data.total
    assert (total.start, total.end) == (9, 10)
    assert {k: n for k, n in total.flows.items() if n} == {
        "developed": 1,
        "in_county": 1,
        "in_outside": 1,
        "restored": 1,
        "out_outside": 1,
        "deceased": 1,
        "suspended": 1,
    }
    assert total.closes and not data.breaking
    # By branch: the move inside the township is a flow of each branch, none of the total.
    village, organ = data.rows
    assert (village.org, organ.org) == (tree.village_a, tree.organ_a)
    assert (village.flows["out_county"], organ.flows["in_county"]) == (1, 1)
    assert (organ.start, organ.end) == (0, 1)
    assert village.closes and organ.closes


def test_the_other_township_and_the_county_close_too(tree, year_of_township_a):
    b = member_changes(node=tree.township_b, year=2026, today=TODAY).total
    county = member_changes(node=tree.county, year=2026, today=TODAY)

    assert (b.start, b.flows["out_county"], b.end) == (1, 1, 0)
    # Inside the county the move from B to A is no flow of the county.
    assert county.total.flows["in_county"] == county.total.flows["out_county"] == 0
    assert county.total.closes and b.closes
    assert [r.org for r in county.rows] == [tree.township_a, tree.township_b]


def test_a_year_before_the_records_is_flat(tree, year_of_township_a):
    data = member_changes(node=tree.township_a, year=2025, today=TODAY)

    # 2025: nine members all year but one, suspended in March (the one restored in 2026).
    assert (data.total.start, data.total.end) == (10, 9)
    assert {k: n for k, n in data.total.flows.items() if n} == {"suspended": 1}
    assert data.total.closes


def test_the_page_drills_down_and_exports(tree, year_of_township_a, county_client):
    url = reverse("reports:changes", args=[tree.county.pk])

    page = county_client.get(url, {"year": 2026}).content.decode()
    sheet = county_client.get(url, {"year": 2026, "format": "xlsx"})

    assert "2026年党员增减情况" in page and "甲镇党委" in page and "不符" not in page
    assert reverse("reports:changes", args=[tree.township_a.pk]) in page
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_summary_says_the_years_flows(tree, year_of_township_a, county_client):
    url = reverse("reports:summary", args=[tree.township_a.pk])

    text = county_client.get(url, {"on": "2026-11-30"}).context["text"]

    assert "2026年以来，发展党员1名，转入2名，转出1名，去世1名。" in text


def test_a_clerk_sees_only_their_township(tree, clerk_b_client):
    url = reverse("reports:changes", args=[tree.township_a.pk])

    assert clerk_b_client.get(url).status_code == 404


@pytest.mark.parametrize("townships", [2, 20])
def test_the_county_table_runs_a_constant_number_of_queries(
    tree, county_client, townships, django_assert_num_queries
):
    for index in range(townships - 2):
        township = TownshipFactory(parent=tree.county, name=f"第{index}镇党委")
        MemberFactory(branch=BranchFactory(parent=township))
    url = reverse("reports:changes", args=[tree.county.pk])
    county_client.get(url)  # the kept member figures of both days

    # Session, user, the account's and its groups' permissions (4); the breadcrumb;
    # the children; each day's kept figures, current (2); the membership rows
    # starting and ending in the year (2); suspensions begun and ended (2); the
    # session's save (savepoint, update, release).
    with django_assert_num_queries(15):
        response = county_client.get(url)
    assert len(response.context["data"].rows) == townships
    assert all(row.org.kind == OrgKind.TOWNSHIP for row in response.context["data"].rows)


def test_an_overview_at_a_past_date_ignores_later_changes(tree, clerk_a, clerk_b):
    from reports.selectors import overview

    for _ in range(3):
        MemberFactory(group=tree.group_a1)
    leaving = MemberFactory(group=tree.group_a1)
    lost = MemberFactory(group=tree.group_a1)
    away = MemberFactory(group=tree.group_a1)
    june = overview(node=tree.township_a, on=D(2026, 6, 30)).total.members
    assert (june["total"], june["mobile"], june["lost"], june["suspended"]) == (6, 0, 0, 0)

    letter = transfer_issue(
        member=leaving,
        kind=Transfer.Kind.WITHIN,
        to_org=tree.township_b,
        letter_number="9",
        letter_date=D(2026, 9, 1),
        user=clerk_a,
    )
    transfer_receive(transfer=letter, on=D(2026, 9, 10), user=clerk_b, branch=tree.village_b)
    member_lost(member=lost, on=D(2026, 2, 1), efforts="查找未果")
    member_suspend(member=lost, on=D(2026, 10, 1), decision_number="5")
    from members.standing import member_away

    member_away(member=away, on=D(2026, 8, 1), destination="广东省广州市")

    again = overview(node=tree.township_a, on=D(2026, 6, 30)).total.members
    now = overview(node=tree.township_a, on=D(2026, 11, 30)).total.members
    # 30 June: all six, the one lost since February among them.
    assert (again["total"], again["mobile"], again["lost"], again["suspended"]) == (6, 0, 1, 0)
    # Today: one transferred to 乙镇, one suspended (apart), one away.
    assert (now["total"], now["mobile"], now["lost"], now["suspended"]) == (4, 1, 0, 1)


def test_a_branchs_table_is_its_total(tree, year_of_township_a):
    data = member_changes(node=tree.village_a, year=2026, today=TODAY)

    assert data.rows == []
    assert data.total.closes and data.total.flows["out_county"] == 1  # the move to 机关
