"""Publishing a year's ratings: the refusals, the withdrawal period, ties at the bottom
decided by a person, and the township-wide ranking of the 2026 rule."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activities.models import (
    ActivityKind,
    GroupRank,
    LastRankDecision,
    PointRule,
    PointSource,
    RankingScope,
    Rating,
    RatingPublication,
    RatingRule,
)
from activities.ratings.publishing import last_rank_decide, rating_publish, rating_withdraw
from activities.ratings.selectors import (
    decision_applied,
    draft_fingerprint,
    publication_covering,
    rating_rule_of,
    ties_of,
)
from activities.ratings.services import rating_draft_compute
from branches.models import PostTitle
from branches.services import post_assign
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen, log_meeting

JANUARY = beijing(2026, 1, 10)


def meetings(group, clerk, months, year=2025):
    for month in months:
        log_meeting(
            org=group,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(year, month, 12),
            by=clerk,
        )


@pytest.fixture
def high_base(db):
    # Five stars on the base alone, so the last-rank cap shows on the members.
    PointRule.objects.filter(source=PointSource.BASE).update(points=96)


@pytest.fixture
def tie(tree, clerk, high_base):
    """2025: the first group met every month, the other three never – three tie at the
    bottom of 甲村党支部 (the rule of 2025 ranks within the branch)."""
    groups = [
        tree.group_a1,
        tree.group_a2,
        GroupFactory(parent=tree.village_a, name="甲村第三党小组"),
        GroupFactory(parent=tree.village_a, name="甲村第四党小组"),
    ]
    members = {g: [MemberFactory(group=g) for _ in range(2)] for g in groups}
    post_assign(
        org=groups[2],
        member=members[groups[2]][0],
        title=PostTitle.GROUP_LEADER,
        started_on=datetime.date(2024, 1, 1),
    )
    meetings(groups[0], clerk, range(1, 13))
    with frozen(JANUARY):
        rating_draft_compute(node=tree.township_a, year=2025)
    return groups, members


# --- the ranking's scope ---------------------------------------------------------------


def test_it_keeps_the_branch_ranking_for_past_years_and_ranks_the_township_from_2026(db):
    old, new = rating_rule_of(2025), rating_rule_of(2026)
    assert (old.ranking_scope, old.valid_to) == (RankingScope.BRANCH, datetime.date(2025, 12, 31))
    assert (new.ranking_scope, new.valid_from) == (RankingScope.TOWNSHIP, datetime.date(2026, 1, 1))
    assert new.valid_to is None
    # The new row copies the rest of the rule, and its creation is in the audit trail.
    assert (new.weight_compliance, new.min_groups) == (old.weight_compliance, old.min_groups)
    assert "本乡镇内排名" in new.history.get().history_change_reason


@pytest.fixture
def two_branches(tree, clerk):
    """Township A with a second village branch: 甲村 has 3 groups, 丙村 2."""
    village_c = BranchFactory(parent=tree.township_a, name="丙村党支部")
    groups = [
        tree.group_a1,
        tree.group_a2,
        GroupFactory(parent=tree.village_a),
        GroupFactory(parent=village_c),
        GroupFactory(parent=village_c),
    ]
    for i, group in enumerate(groups):
        MemberFactory(group=group)
        # Distinct scores: the first group held most meetings in both years.
        meetings(group, clerk, range(1, 6 - i), year=2025)
        meetings(group, clerk, range(1, 6 - i), year=2026)
    return village_c, groups


def test_it_ranks_across_the_township_by_default(tree, two_branches):
    village_c, groups = two_branches
    with frozen(beijing(2026, 11, 30)):
        rating_draft_compute(node=tree.county, year=2026)
    ranks = GroupRank.objects.filter(year=2026)
    assert {r.scope_org for r in ranks} == {tree.township_a}
    assert {r.group_count for r in ranks} == {5}
    assert [r.group for r in ranks.filter(is_last=True)] == [groups[4]]


def test_it_ranks_within_the_branch_in_past_years(tree, two_branches):
    village_c, groups = two_branches
    with frozen(JANUARY):
        rating_draft_compute(node=tree.county, year=2025)
    ranks = GroupRank.objects.filter(year=2025)
    assert {(r.scope_org, r.group_count) for r in ranks} == {(tree.village_a, 3), (village_c, 2)}
    # 丙村 has fewer groups than the rule's minimum of 3: only 甲村 names a last group.
    assert [r.group for r in ranks.filter(is_last=True)] == [groups[2]]


def test_it_ranks_within_the_branch_when_the_rule_is_set_so(tree, two_branches):
    village_c, _groups = two_branches
    rule = rating_rule_of(2026)
    rule.ranking_scope = RankingScope.BRANCH
    rule.save()
    with frozen(beijing(2026, 11, 30)):
        rating_draft_compute(node=tree.township_a, year=2026)
    assert {r.scope_org for r in GroupRank.objects.filter(year=2026)} == {
        tree.village_a,
        village_c,
    }


# --- ties at the bottom ----------------------------------------------------------------


def test_it_lists_a_tie_for_a_person_to_decide(tree, tie):
    groups, _members = tie
    [found] = ties_of(node=tree.township_a, year=2025)
    assert found.scope_org == tree.village_a
    assert [r.group for r in found.ranks] == groups[1:]
    assert found.decision is None
    assert not GroupRank.objects.filter(is_last=True).exists()


def test_it_records_a_decision_and_caps_the_chosen_groups_members(tree, tie, clerk_a):
    groups, members = tie
    with frozen(JANUARY):
        decision = last_rank_decide(
            unit=tree.village_a,
            year=2025,
            last_group_ids=[groups[2].pk],
            reason="第三党小组全年未开展活动，群众反映较多",
            by=clerk_a,
        )
    assert (decision.tied_group_ids, decision.last_group_ids) == (
        sorted(g.pk for g in groups[1:]),
        [groups[2].pk],
    )
    assert decision.decided_by == clerk_a and decision_applied(decision)
    version = decision.history.get()
    assert version.history_user == clerk_a
    assert version.history_change_reason.startswith("决定2025年度并列末位：第三党小组")

    ranks = {r.group: r for r in GroupRank.objects.filter(year=2025)}
    assert [ranks[g].is_last for g in groups] == [False, False, True, False]
    assert {ranks[g].decision for g in groups[1:]} == {decision}
    assert {Rating.objects.get(member=m).stars for m in members[groups[2]]} == {4}
    assert {Rating.objects.get(member=m).stars for m in members[groups[1]]} == {5}


def test_it_accepts_a_decision_that_no_tied_group_is_last(tree, tie, clerk_a):
    with frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[], reason="均已整改", by=clerk_a
        )
    assert not GroupRank.objects.filter(is_last=True).exists()
    assert not GroupRank.objects.filter(tied=True, decision__isnull=True).exists()


def test_it_lets_a_later_decision_supersede_and_keeps_both(tree, tie, clerk_a, county_user):
    groups, _members = tie
    with frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[groups[1].pk], reason="初定", by=clerk_a
        )
        later = last_rank_decide(
            unit=tree.village_a,
            year=2025,
            last_group_ids=[groups[3].pk],
            reason="复核后改定",
            by=county_user,
        )
    assert [r.group for r in GroupRank.objects.filter(is_last=True)] == [groups[3]]
    assert GroupRank.objects.get(is_last=True).decision == later
    assert LastRankDecision.objects.count() == 2


def test_it_asks_again_when_the_tie_changed_after_the_decision(tree, tie, clerk, clerk_a):
    groups, _members = tie
    with frozen(JANUARY):
        decision = last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[groups[1].pk], reason="初定", by=clerk_a
        )
    meetings(groups[1], clerk, [3])  # a meeting logged late lifts the second group
    with frozen(JANUARY):
        rating_draft_compute(node=tree.township_a, year=2025)
    assert not decision_applied(decision)
    tied = GroupRank.objects.filter(tied=True)
    assert {r.group for r in tied} == set(groups[2:])
    assert not tied.filter(decision__isnull=False).exists()


@pytest.mark.parametrize(
    ("chosen", "reason", "message"),
    [
        ("tied", "  ", "请填写决定理由"),
        ("first", "理由", "不在并列末位之列"),
        ("tied", "很长" * 101, "不能超过 200 个字"),
    ],
)
def test_it_refuses_a_decision_it_cannot_record(tree, tie, clerk_a, chosen, reason, message):
    groups, _members = tie
    picked = groups[0] if chosen == "first" else groups[1]
    with pytest.raises(ValidationError, match=message), frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[picked.pk], reason=reason, by=clerk_a
        )
    assert not LastRankDecision.objects.exists()


def test_it_refuses_a_decision_where_nothing_ties(tree, tie, clerk_a):
    with pytest.raises(ValidationError, match="没有并列末位"), frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_b, year=2025, last_group_ids=[], reason="理由", by=clerk_a
        )


def test_it_refuses_a_decision_to_a_role_without_the_rating_permission(tree, tie, secretary_a):
    with pytest.raises(PermissionDenied):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[], reason="理由", by=secretary_a
        )


# --- publishing ------------------------------------------------------------------------


def test_it_refuses_to_publish_with_undecided_ties(tree, tie, county_user):
    with pytest.raises(ValidationError, match="并列末位.*「并列末位」页"), frozen(JANUARY):
        rating_publish(node=tree.county, year=2025, by=county_user)
    assert not RatingPublication.objects.exists()


def test_it_publishes_the_decision_with_the_snapshot(tree, tie, clerk_a, county_user):
    groups, members = tie
    with frozen(JANUARY):
        decision = last_rank_decide(
            unit=tree.village_a,
            year=2025,
            last_group_ids=[groups[2].pk],
            reason="第三党小组全年未开展活动",
            by=clerk_a,
        )
        publication = rating_publish(node=tree.county, year=2025, by=county_user)
    frozen_ranks = GroupRank.objects.filter(publication=publication)
    assert [(r.group, r.decision) for r in frozen_ranks.filter(is_last=True)] == [
        (groups[2], decision)
    ]
    assert {
        r.stars for r in Rating.objects.filter(publication=publication, member__group=groups[2])
    } == {4}


@pytest.mark.parametrize(
    ("year", "message"),
    [(2026, "2026年度尚未结束"), (2024, "没有登记任何组织生活")],
)
def test_it_refuses_a_year_not_ended_or_without_meetings(tree, tie, county_user, year, message):
    with pytest.raises(ValidationError, match=message), frozen(JANUARY):
        rating_publish(node=tree.county, year=year, by=county_user)
    assert not RatingPublication.objects.exists()


def test_it_publishes_nothing_when_the_draft_changed_since_the_confirmation(
    tree, tie, clerk, clerk_a, county_user
):
    groups, _members = tie
    with frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[], reason="均不作末位", by=clerk_a
        )
        shown = draft_fingerprint(node=tree.county, year=2025)
    meetings(groups[1], clerk, [5])  # logged after the confirmation page was opened
    with pytest.raises(ValidationError, match="与确认页所示不同"), frozen(JANUARY):
        rating_publish(node=tree.county, year=2025, by=county_user, confirmed=shown)
    assert not RatingPublication.objects.exists()
    # The fresh draft is kept, so the confirmation page now shows what would be frozen.
    assert draft_fingerprint(node=tree.county, year=2025) != shown


# --- withdrawing -------------------------------------------------------------------------


@pytest.fixture
def published(tree, tie, clerk_a, county_user):
    with frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[], reason="均不作末位", by=clerk_a
        )
        return rating_publish(node=tree.county, year=2025, by=county_user)


def test_it_withdraws_a_publication_with_the_reason_in_the_audit_trail(
    tree, published, county_user
):
    with frozen(beijing(2026, 2, 1)):
        rating_withdraw(
            node=tree.county, year=2025, by=county_user, reason="  误将乙镇未审核的积分纳入  "
        )
    published.refresh_from_db()
    assert published.withdrawn_by == county_user
    assert published.withdraw_reason == "误将乙镇未审核的积分纳入"
    version = published.history.order_by("history_id").last()
    assert (version.history_type, version.history_user) == ("~", county_user)
    assert version.history_change_reason == "撤回2025年度评星定级：误将乙镇未审核的积分纳入"
    assert publication_covering(node=tree.township_a, year=2025) is None
    # The frozen copy stays as the record of what was published.
    assert Rating.objects.filter(publication=published).count() == 8


def test_it_publishes_again_after_a_withdrawal(tree, published, county_user):
    with frozen(beijing(2026, 2, 1)):
        rating_withdraw(node=tree.county, year=2025, by=county_user, reason="数据有误")
        again = rating_publish(node=tree.county, year=2025, by=county_user)
    assert publication_covering(node=tree.township_a, year=2025) == again
    assert RatingPublication.objects.count() == 2
    assert RatingPublication.objects.in_force().get() == again


@pytest.mark.parametrize(("days", "allowed"), [(29, True), (31, False)])
def test_it_allows_withdrawal_for_thirty_days_only(tree, published, county_user, days, allowed):
    later = JANUARY + datetime.timedelta(days=days)
    with frozen(later):
        if allowed:
            rating_withdraw(node=tree.county, year=2025, by=county_user, reason="数据有误")
        else:
            with pytest.raises(ValidationError, match="撤回期限（30 天.*最终结果"):
                rating_withdraw(node=tree.county, year=2025, by=county_user, reason="数据有误")
    published.refresh_from_db()
    assert (published.withdrawn_at is not None) == allowed


def test_it_takes_the_withdrawal_period_from_the_settings(tree, published, county_user, settings):
    settings.RATING_WITHDRAW_DAYS = 5
    with (
        pytest.raises(ValidationError, match="撤回期限（5 天"),
        frozen(JANUARY + datetime.timedelta(days=6)),
    ):
        rating_withdraw(node=tree.county, year=2025, by=county_user, reason="数据有误")


def test_it_refuses_a_withdrawal_without_a_reason_or_permission(
    tree, published, county_user, clerk_a
):
    with frozen(JANUARY), pytest.raises(ValidationError, match="请填写撤回理由"):
        rating_withdraw(node=tree.county, year=2025, by=county_user, reason=" ")
    with frozen(JANUARY), pytest.raises(PermissionDenied):
        rating_withdraw(node=tree.county, year=2025, by=clerk_a, reason="数据有误")
    with frozen(JANUARY), pytest.raises(ValidationError, match="请到该组织的页面撤回"):
        rating_withdraw(node=tree.township_a, year=2025, by=county_user, reason="数据有误")
    published.refresh_from_db()
    assert published.withdrawn_at is None


def test_it_refuses_to_change_a_decision_once_published(tree, published, clerk_a):
    with pytest.raises(ValidationError, match="先由县委组织部"), frozen(JANUARY):
        last_rank_decide(unit=tree.village_a, year=2025, last_group_ids=[], reason="改", by=clerk_a)


def test_it_leaves_the_rule_rows_alone_for_a_rule_that_starts_in_2026(db):
    # The migration's own guard: a 2026 row an admin made is not split again.
    from importlib import import_module

    from django.apps import apps

    before = list(RatingRule.objects.values_list("pk", "valid_from", "valid_to"))
    import_module("activities.migrations.0008_township_ranking_rule").forwards(apps, None)
    assert list(RatingRule.objects.values_list("pk", "valid_from", "valid_to")) == before
