"""Year ratings: star bands, the appraisal cap, the last-ranked group rule, publication."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities import services
from activities.models import (
    ActivityKind,
    Appraisal,
    AppraisalGrade,
    AttendanceStatus,
    GroupRank,
    PointRule,
    PointSource,
    RankingScope,
    Rating,
    RatingPublication,
    RatingRule,
)
from activities.points.scheme import scheme_for
from activities.ratings.publishing import rating_publish
from activities.ratings.selectors import rating_differences, rating_summary, stars_by_child
from activities.ratings.services import rating_draft_compute
from branches.models import PostTitle
from branches.services import post_assign
from tests.factories import GroupFactory, MemberFactory
from tests.helpers import beijing, frozen, log_meeting

MARCH = datetime.date(2026, 3, 15)
NEXT_JANUARY = datetime.date(2027, 1, 10)


def set_base(value) -> None:
    PointRule.objects.filter(source=PointSource.BASE).update(points=value)


@pytest.mark.parametrize(
    ("total", "stars"),
    [("59", 0), ("59.9", 0), ("60", 1), ("69.9", 1), ("70", 2), ("95", 4), ("95.5", 4), ("96", 5)],
)
def test_it_rates_the_band_edges(db, total, stars):
    assert scheme_for(2026).stars_for(Decimal(total)) == stars


@pytest.mark.parametrize(("base", "stars"), [(59, 0), (60, 1), (95, 4), (96, 5)])
def test_it_stores_the_stars_of_the_total_on_the_draft(tree, base, stars):
    set_base(base)
    member = MemberFactory(group=tree.group_a1)
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)
    row = Rating.objects.get(member=member)
    assert (row.total, row.points_stars, row.stars) == (Decimal(base), stars, stars)


def test_it_rates_an_unqualified_appraisal_unqualified(tree, county_user):
    set_base(96)
    member = MemberFactory(group=tree.group_a1)
    Appraisal.objects.create(
        member=member,
        branch=tree.village_a,
        year=2026,
        grade=AppraisalGrade.UNQUALIFIED,
        entered_by=county_user,
    )
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)
    row = Rating.objects.get(member=member)
    assert (row.points_stars, row.stars, row.appraisal) == (5, 0, AppraisalGrade.UNQUALIFIED)
    assert "民主评议不合格" in row.note


@pytest.fixture
def three_groups(tree, clerk):
    """Three groups of 甲村: the first two met in January and February, the third never."""
    g3 = GroupFactory(parent=tree.village_a, name="甲村第三党小组")
    groups = [tree.group_a1, tree.group_a2, g3]
    members = {g: [MemberFactory(group=g) for _ in range(2)] for g in groups}
    leader = members[g3][0]
    post_assign(
        org=g3, member=leader, title=PostTitle.GROUP_LEADER, started_on=datetime.date(2025, 1, 1)
    )
    for group in groups[:2]:
        for month in (1, 2):
            log_meeting(
                org=group,
                kind=ActivityKind.GROUP_MEETING,
                held_on=datetime.date(2026, month, 10),
                by=clerk,
            )
    return groups, members, leader


def test_it_caps_the_last_ranked_group_and_flags_its_leader(tree, three_groups):
    groups, members, leader = three_groups
    set_base(96)
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)

    ranks = {r.group: r for r in GroupRank.objects.all()}
    assert [ranks[g].compliance for g in groups] == [Decimal("1"), Decimal("1"), Decimal("0")]
    assert [ranks[g].is_last for g in groups] == [False, False, True]
    assert ranks[groups[2]].rank == 3 and ranks[groups[2]].group_count == 3
    assert ranks[groups[2]].leader == leader
    # The 2026 rule ranks across the township (migration 0008).
    assert ranks[groups[0]].scope_org == tree.township_a

    for member in members[groups[2]]:
        row = Rating.objects.get(member=member)
        assert (row.points_stars, row.stars) == (5, 4)
        assert "排名末位" in row.note
    assert {Rating.objects.get(member=m).stars for m in members[groups[0]]} == {5}

    summary = rating_summary(node=tree.township_a, year=2026)
    assert [r.group for r in summary["flagged"]] == [groups[2]]


def test_it_marks_no_group_last_when_several_tie_at_the_bottom(tree, clerk):
    set_base(96)
    groups = [tree.group_a1, tree.group_a2, GroupFactory(parent=tree.village_a)]
    members = [MemberFactory(group=g) for g in groups]
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)
    ranks = GroupRank.objects.all()
    assert [(r.is_last, r.tied, r.decision) for r in ranks] == [(False, True, None)] * 3
    # Nobody is capped while the tie waits for a decision.
    assert {Rating.objects.get(member=m).stars for m in members} == {5}
    assert rating_summary(node=tree.township_a, year=2026)["undecided_count"] == 3


def test_it_names_no_last_group_below_the_minimum_number(tree, clerk):
    for g in (tree.group_a1, tree.group_a2):
        MemberFactory(group=g)
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)
    assert GroupRank.objects.count() == 2
    assert not GroupRank.objects.filter(is_last=True).exists()


def test_it_ranks_within_the_township_when_the_rule_says_so(tree, three_groups):
    groups, _members, _leader = three_groups
    RatingRule.objects.update(ranking_scope=RankingScope.TOWNSHIP, last_rank_enabled=False)
    rating_draft_compute(node=tree.county, year=2026, today=MARCH)
    assert {r.scope_org for r in GroupRank.objects.all()} == {tree.township_a}
    assert not GroupRank.objects.filter(is_last=True).exists()


def test_it_computes_drafts_only_for_townships_and_above(tree):
    with pytest.raises(ValidationError, match="乡镇"):
        rating_draft_compute(node=tree.village_a, year=2026, today=MARCH)


def test_it_recomputes_a_draft_in_place(tree, three_groups):
    rating_draft_compute(node=tree.township_a, year=2026, today=MARCH)
    rating_draft_compute(node=tree.county, year=2026, today=MARCH)
    assert Rating.objects.count() == 6
    assert GroupRank.objects.count() == 3


def test_it_keeps_a_published_year_unchanged_after_attendance_edits(
    tree, three_groups, clerk, county_user
):
    groups, members, _leader = three_groups
    with frozen(beijing(2027, 1, 10)):
        publication = rating_publish(node=tree.county, year=2026, by=county_user)
    assert publication.member_count == 6
    published = sorted(
        Rating.objects.filter(publication=publication).values_list("member_id", "total", "stars")
    )
    assert publication.history.get().history_user == county_user

    activity = groups[0].activities.order_by("held_on").first()
    absent = members[groups[0]][0]
    marks = [
        services.Mark(
            member_id=m.pk,
            status=AttendanceStatus.ABSENT if m == absent else AttendanceStatus.PRESENT,
        )
        for m in members[groups[0]]
    ]
    with frozen(beijing(2027, 1, 11)):
        services.activity_log(
            org=groups[0],
            kind=ActivityKind.GROUP_MEETING,
            held_on=activity.held_on,
            marks=marks,
            recorded_by=clerk,
            activity=activity,
            topic=activity.topic,
        )
        rating_draft_compute(node=tree.county, year=2026)

    assert (
        sorted(
            Rating.objects.filter(publication=publication).values_list(
                "member_id", "total", "stars"
            )
        )
        == published
    )
    differences = rating_differences(node=tree.county, year=2026, publication=publication)
    assert [(d["name"], d["published_total"], d["draft_total"]) for d in differences] == [
        (absent.name, Decimal("62"), Decimal("59"))
    ]


def test_it_publishes_a_year_once(tree, three_groups, county_user):
    with frozen(beijing(2027, 1, 10)):
        rating_publish(node=tree.county, year=2026, by=county_user)
        with pytest.raises(ValidationError, match="不能重复发布"):
            rating_publish(node=tree.township_a, year=2026, by=county_user)
        with pytest.raises(ValidationError, match="尚未结束"):
            rating_publish(node=tree.county, year=2027, by=county_user)
    assert RatingPublication.objects.count() == 1


def _draft_queries(tree, clerk, groups: int) -> int:
    made = [tree.group_a1, tree.group_a2]
    made += [GroupFactory(parent=tree.village_a) for _ in range(groups - 2)]
    for group in made:
        MemberFactory(group=group)
        log_meeting(
            org=group, kind=ActivityKind.GROUP_MEETING, held_on=datetime.date(2026, 1, 9), by=clerk
        )
    with CaptureQueriesContext(connection) as queries:
        rating_draft_compute(node=tree.county, year=2026, today=MARCH)
    return len(queries)


@pytest.mark.parametrize("groups", [3, 15])
def test_it_computes_the_draft_in_a_fixed_number_of_queries(tree, clerk, groups):
    # Savepoint; scheme (3); members' places, ledger sums, appraisal grades (3);
    # groups; obligations: tallies, committees, cadence rules (3); leaders; the
    # townships (the 2026 rule ranks across them); the tie decisions; the replaced
    # rows' organisations outside the node; two deletes and two bulk inserts (one batch
    # each at this size); the tallies: delete, count, insert (3); release; the 欠缴党费
    # deductions rewritten from the dues ledger first: savepoint, delete, rule, unpaid
    # months, release (5; no insert without arrears); and 学习达标 as the 书记 posts stand:
    # savepoint, target rule, the members' running 学时, delete, rule, release (6; no
    # insert when nobody reached the target).
    assert _draft_queries(tree, clerk, groups) == 34


def test_it_spreads_the_stars_over_the_children_of_a_node(tree, county_user):
    set_base(96)
    MemberFactory(group=tree.group_a1)
    MemberFactory(group=tree.group_a2)
    MemberFactory(branch=tree.organ_a)
    unqualified = MemberFactory(group=tree.group_b1)
    Appraisal.objects.create(
        member=unqualified,
        branch=tree.village_b,
        year=2026,
        grade=AppraisalGrade.UNQUALIFIED,
        entered_by=county_user,
    )
    rating_draft_compute(node=tree.county, year=2026, today=MARCH)

    county = stars_by_child(node=tree.county, year=2026)
    rows = county.rows
    assert county.counts == {5: 3, 0: 1}  # the whole distribution, as rating_summary has it
    assert county.counts == {
        d["stars"]: d["count"]
        for d in rating_summary(node=tree.county, year=2026)["distribution"]
        if d["count"]
    }
    assert [(r.org, r.counts, r.total) for r in rows] == [
        (tree.township_a, [3, 0, 0, 0, 0, 0], 3),
        (tree.township_b, [0, 0, 0, 0, 0, 1], 1),
    ]
    assert rows[0].average_points == Decimal("96.0")
    by_branch = stars_by_child(node=tree.township_a, year=2026).rows
    assert [(r.org, r.total) for r in by_branch] == [(tree.village_a, 2), (tree.organ_a, 1)]
    by_group = stars_by_child(node=tree.village_a, year=2026).rows
    assert [(r.org, r.total) for r in by_group] == [(tree.group_a1, 1), (tree.group_a2, 1)]
