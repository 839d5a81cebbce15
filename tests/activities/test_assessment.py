"""activities.assessment: 述职评议, the grading suggested from the year's data, ending a
last-ranked group leader's post."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities.assessment import selectors, services
from activities.models import (
    ActivityKind,
    CadenceRule,
    Evaluation,
    GradeLevel,
    GroupRank,
    OrgGrade,
    Period,
    RatingPublication,
    RatingTally,
)
from branches.models import OrgKind, Post, PostEndReason, PostTitle
from branches.services import post_assign
from tests.factories import (
    BranchFactory,
    GeneralBranchFactory,
    GroupFactory,
    MemberFactory,
    TownshipFactory,
)
from tests.helpers import beijing, frozen, log_meeting

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2025
AFTER = D(2026, 1, 10)  # the year has ended: every quarter of it counts


def level(name: str) -> GradeLevel:
    return GradeLevel.objects.get(name=name)


# --- 书记述职评议 -------------------------------------------------------------------------


def meeting(org, by, *, quarter=None, evaluators=10, year=YEAR):
    return services.report_meeting_create(
        org=org,
        year=year,
        quarter=quarter,
        held_on=D(year, 12, 20) if quarter is None else D(year, quarter * 3, 20),
        evaluators=evaluators,
        note="",
        by=by,
    )


def report(m, org, secretary, **votes):
    return services.secretary_report_add(
        meeting=m,
        org=org,
        secretary=secretary,
        summary="抓党建工作述职",
        votes=services.Votes(**votes),
        evaluation=Evaluation.GOOD,
    )


def test_it_lists_the_secretaries_who_have_not_reported_for_the_year(tree, clerk):
    secretary = MemberFactory(branch=tree.village_a)
    m = meeting(tree.township_a, clerk)
    report(m, tree.village_a, secretary, good=6, fairly_good=3)

    missing = selectors.not_reported(node=tree.township_a, year=YEAR, quarter=None)

    assert missing == [tree.organ_a]
    assert missing[0].label == "甲镇党委/甲镇机关党支部"
    assert selectors.not_reported(node=tree.county, year=YEAR, quarter=None) == [
        tree.organ_a,
        tree.village_b,
        tree.organ_b,
    ]


def test_it_lists_who_has_not_reported_in_a_chosen_quarter(tree, clerk):
    secretary = MemberFactory(branch=tree.village_a)
    report(meeting(tree.township_a, clerk, quarter=2), tree.village_a, secretary, good=5)

    assert selectors.not_reported(node=tree.township_a, year=YEAR, quarter=1) == [
        tree.village_a,
        tree.organ_a,
    ]
    assert selectors.not_reported(node=tree.township_a, year=YEAR, quarter=2) == [tree.organ_a]
    # Without a quarter any report of the year counts.
    assert selectors.not_reported(node=tree.township_a, year=YEAR, quarter=None) == [tree.organ_a]


def test_it_leaves_groups_and_branches_under_a_general_branch_out_of_who_reports(tree, clerk):
    gb = GeneralBranchFactory(parent=tree.township_a)
    inner = BranchFactory(parent=gb)
    missing = selectors.not_reported(node=tree.township_a, year=YEAR, quarter=None)
    assert gb in missing
    assert inner not in missing
    assert tree.group_a1 not in missing


def test_it_refuses_more_votes_than_evaluators(tree, clerk):
    secretary = MemberFactory(branch=tree.village_a)
    m = meeting(tree.township_a, clerk, evaluators=5)

    with pytest.raises(ValidationError) as error:
        report(m, tree.village_a, secretary, good=3, average=2, poor=1)

    assert "多于" in str(error.value) or "不能多于" in str(error.value)
    assert not m.reports.exists()


def test_it_refuses_a_report_from_an_organisation_not_directly_under_the_meeting(tree, clerk):
    secretary = MemberFactory(branch=tree.village_b)
    m = meeting(tree.township_a, clerk)

    with pytest.raises(ValidationError) as error:
        report(m, tree.village_b, secretary, good=1)

    assert "不是「甲镇党委」的直属党组织" in str(error.value)


def test_it_refuses_a_meeting_held_by_a_branch(tree, clerk):
    with pytest.raises(ValidationError) as error:
        meeting(tree.village_a, clerk)
    assert "乡镇党委、工委或基层党委" in str(error.value)


def test_it_finds_the_secretary_holding_the_post_on_the_meeting_date(tree):
    old, new = MemberFactory(branch=tree.village_a), MemberFactory(branch=tree.village_a)
    first = post_assign(
        org=tree.village_a, member=old, title=PostTitle.SECRETARY, started_on=D(2020, 1, 1)
    )
    first.ended_on = D(2025, 6, 30)
    first.save()
    post_assign(org=tree.village_a, member=new, title=PostTitle.SECRETARY, started_on=D(2025, 7, 1))

    assert selectors.secretary_on(org=tree.village_a, on=D(2025, 3, 1)) == old
    assert selectors.secretary_on(org=tree.village_a, on=D(2025, 12, 20)) == new
    assert selectors.secretary_on(org=tree.organ_a, on=D(2025, 12, 20)) is None


# --- Yearly grading -------------------------------------------------------------------------


@pytest.fixture
def graded(tree, clerk):
    """A township of three branches: one that held every meeting, with high stars and no
    group last; one that held one of four, with low stars and its group last; one with
    no data at all. One rule: a branch's 党员大会 once a quarter."""
    CadenceRule.objects.all().delete()
    CadenceRule.objects.create(
        org_kind=OrgKind.BRANCH,
        kind=ActivityKind.GENERAL_MEETING,
        period=Period.QUARTER,
        times=1,
        valid_from=D(2000, 1, 1),
    )
    township = TownshipFactory(parent=tree.county, name="丙镇党委")
    good, poor, empty = (
        BranchFactory(parent=township, name=n) for n in ("好村党支部", "差村党支部", "空村党支部")
    )
    good_group, poor_group = GroupFactory(parent=good), GroupFactory(parent=poor)
    for branch in (good, poor):
        MemberFactory(branch=branch)
    for month in (2, 5, 8, 11):
        log_meeting(
            org=good, kind=ActivityKind.GENERAL_MEETING, held_on=D(YEAR, month, 5), by=clerk
        )
    log_meeting(org=poor, kind=ActivityKind.GENERAL_MEETING, held_on=D(YEAR, 2, 5), by=clerk)
    now = timezone.now()
    RatingTally.objects.bulk_create(
        [
            RatingTally(year=YEAR, org=good_group, stars=5, count=1, points=90, computed_at=now),
            RatingTally(year=YEAR, org=good, stars=4, count=1, points=80, computed_at=now),
            RatingTally(year=YEAR, org=poor, stars=2, count=2, points=100, computed_at=now),
        ]
    )
    for group, rank, last in ((good_group, 1, False), (poor_group, 2, True)):
        GroupRank.objects.create(
            year=YEAR,
            group=group,
            scope_org=township,
            member_count=1,
            compliance=Decimal("0.5"),
            average_points=Decimal("70"),
            score=Decimal("60"),
            rank=rank,
            group_count=2,
            is_last=last,
            computed_at=now,
        )
    return township, good, poor, empty


def test_it_suggests_a_level_from_the_years_figures(graded):
    township, good, poor, empty = graded

    data = selectors.grading(node=township, year=YEAR, today=AFTER)

    rows = {r.org: r for r in data.rows}
    assert list(rows) == [good, poor, empty]
    assert (rows[good].done, rows[good].due, rows[good].compliance) == (4, 4, Decimal("1.0000"))
    assert (rows[good].rated, rows[good].stars) == (2, Decimal("4.50"))
    assert rows[good].has_last_group is False
    assert rows[good].suggested == level("先进")
    assert rows[good].missing == []
    assert (rows[poor].done, rows[poor].due, rows[poor].compliance) == (1, 4, Decimal("0.2500"))
    assert rows[poor].stars == Decimal("2.00")
    assert rows[poor].last_groups == [GroupRank.objects.get(is_last=True).group.name]
    assert rows[poor].suggested == level("后进")
    assert rows[empty].suggested == level("后进")
    # The empty branch owes meetings (4 due, none done) but has no stars to read.
    assert rows[empty].compliance == Decimal("0")
    assert rows[empty].missing == ["本年度无党员评星结果"]
    assert data.stars_source == "draft"


def test_it_says_which_data_was_missing_and_never_meets_a_minimum_with_it():
    levels = list(GradeLevel.objects.order_by("rank"))

    suggested, missing = selectors.suggest_level(
        levels, compliance=None, stars=Decimal("5"), has_last_group=None
    )

    assert suggested == level("后进")
    assert missing == ["本年度无应开展的组织生活", "本年度无党小组排名"]
    suggested, _ = selectors.suggest_level(
        levels, compliance=Decimal("0.96"), stars=Decimal("4.2"), has_last_group=None
    )
    assert suggested == level("一般")  # 先进 asks for no last group, and no ranking was made
    suggested, _ = selectors.suggest_level(
        levels, compliance=Decimal("0.96"), stars=Decimal("4.2"), has_last_group=False
    )
    assert suggested == level("先进")


def test_it_reads_the_published_ratings_when_there_are_any(graded, county_user):
    township, good, _poor, _empty = graded
    publication = RatingPublication.objects.create(
        year=YEAR,
        org=township,
        published_by=county_user,
        published_at=timezone.now(),
        member_count=1,
    )
    RatingTally.objects.create(
        year=YEAR,
        publication=publication,
        org=good,
        stars=3,
        count=1,
        points=60,
        computed_at=timezone.now(),
    )

    data = selectors.grading(node=township, year=YEAR, today=AFTER)

    assert data.stars_source == "published"
    assert data.rows[0].stars == Decimal("3.00")
    assert data.rows[0].ranked is False  # the publication holds no ranking
    assert data.rows[0].suggested == level("一般")


def choices_for(data, picks: dict):
    return [
        services.GradeChoice(
            row=r,
            level=picks.get(r.org, (r.suggested, ""))[0],
            reasons=picks.get(r.org, (r.suggested, ""))[1],
        )
        for r in data.rows
    ]


def test_it_saves_the_confirmed_grades_with_the_suggestion_and_figures(graded, county_user):
    township, good, poor, empty = graded
    data = selectors.grading(node=township, year=YEAR, today=AFTER)
    picks = {
        poor: (level("后进"), "组织生活长期不正常"),
        empty: (level("一般"), "新成立，暂无数据"),
    }

    services.org_grades_save(
        year=YEAR, choices=choices_for(data, picks), stars_source=data.stars_source, by=county_user
    )

    grades = {g.org: g for g in OrgGrade.objects.all()}
    assert grades[good].level == level("先进")
    assert (
        grades[good].reasons == "按建议等次：组织生活完成率100.0%，党员平均星级4.50，无末位党小组。"
    )
    assert grades[good].basis["compliance"] == "1.0000"
    assert grades[good].basis["average_stars"] == "4.50"
    assert grades[good].graded_by == county_user
    assert grades[empty].suggested == level("后进")
    assert grades[empty].level == level("一般")
    assert [g.org for g in selectors.lagging_grades(node=township, year=YEAR)] == [poor]


def test_it_requires_reasons_for_a_departure_or_a_lagging_grade_and_saves_nothing(
    graded, county_user
):
    township, good, poor, empty = graded
    data = selectors.grading(node=township, year=YEAR, today=AFTER)
    picks = {good: (level("一般"), ""), poor: (level("后进"), "")}

    with pytest.raises(ValidationError) as error:
        services.org_grades_save(
            year=YEAR, choices=choices_for(data, picks), stars_source="draft", by=county_user
        )

    errors = error.value.message_dict
    assert f"reasons_{good.pk}" in errors and f"reasons_{poor.pk}" in errors
    assert "请填写定级理由" in errors[f"reasons_{good.pk}"][0]
    assert f"reasons_{empty.pk}" in errors  # suggested 后进: lagging always says why
    assert not OrgGrade.objects.exists()


# --- Ending a last-ranked group leader's post ------------------------------------------------


def test_it_ends_the_last_ranked_leaders_post_once(tree, county_user, last_group):
    post, ranks = last_group.post, last_group.ranks

    services.group_leader_remove(rank=ranks[tree.group_a1], on=D(2026, 2, 1), by=county_user)

    post.refresh_from_db()
    assert post.ended_on == D(2026, 2, 1)
    assert post.end_reason == PostEndReason.REMOVED
    assert post.end_note.startswith("2025年度党小组排名末位（第2/2名）")
    with pytest.raises(ValidationError) as error:
        services.group_leader_remove(rank=ranks[tree.group_a1], on=D(2026, 2, 2), by=county_user)
    assert "已经结束" in str(error.value)


def test_it_refuses_to_end_the_post_after_today(tree, county_user, last_group):
    post, ranks = last_group.post, last_group.ranks
    with frozen(beijing(2026, 2, 1)), pytest.raises(ValidationError, match="不能晚于今天"):
        services.group_leader_remove(rank=ranks[tree.group_a1], on=D(2026, 2, 2), by=county_user)
    assert Post.objects.get(pk=post.pk).ended_on is None


def test_it_refuses_a_group_not_last_or_a_withdrawn_publication(tree, county_user, last_group):
    post, ranks, publication = last_group.post, last_group.ranks, last_group.publication
    with pytest.raises(ValidationError):
        services.group_leader_remove(rank=ranks[tree.group_a2], on=D(2026, 2, 1), by=county_user)
    publication.withdrawn_at = timezone.now()
    publication.save()
    with pytest.raises(ValidationError) as error:
        services.group_leader_remove(rank=ranks[tree.group_a1], on=D(2026, 2, 1), by=county_user)
    assert "不是2025年度已发布（未撤回）排名中的末位党小组" in str(error.value)
    assert Post.objects.get(pk=post.pk).ended_on is None
