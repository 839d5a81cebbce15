"""activities.selectors.obligations / worklist: what is due, done, late or missing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from activities.models import ActivityKind, CadenceRule, Period
from activities.selectors import obligations, worklist, worklist_gap_lines
from branches.models import OrgKind, PostTitle
from branches.services import org_dissolve, org_update, post_assign
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, log_meeting

pytestmark = pytest.mark.django_db

D = datetime.date
GROUP_MEETING = ActivityKind.GROUP_MEETING
GENERAL_MEETING = ActivityKind.GENERAL_MEETING
COMMITTEE = ActivityKind.COMMITTEE


def _find(items, org, kind, start):
    matches = [o for o in items if o.org == org and o.kind == kind and o.start == start]
    assert len(matches) == 1, matches
    return matches[0]


def _status(items, org, kind, start):
    found = _find(items, org, kind, start)
    return found.status, found.done, found.required


@pytest.mark.parametrize(
    ("held_on", "march", "april"),
    [
        (D(2026, 3, 31), ("done", 1, 1), ("due", 0, 1)),
        (D(2026, 4, 1), ("missing", 0, 1), ("done", 1, 1)),
    ],
)
def test_it_counts_a_meeting_for_the_month_it_was_held_in(tree, clerk, held_on, march, april):
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=held_on, by=clerk)

    items = obligations(orgs=[tree.group_a1], start=D(2026, 3, 1), today=D(2026, 4, 15))

    assert _status(items, tree.group_a1, GROUP_MEETING, D(2026, 3, 1)) == march
    assert _status(items, tree.group_a1, GROUP_MEETING, D(2026, 4, 1)) == april


@pytest.mark.parametrize(
    ("held_on", "q2", "q3"),
    [
        (D(2026, 6, 30), ("done", 1, 1), ("due", 0, 1)),
        (D(2026, 7, 1), ("missing", 0, 1), ("done", 1, 1)),
    ],
)
def test_it_counts_a_general_meeting_for_the_quarter_it_was_held_in(tree, clerk, held_on, q2, q3):
    log_meeting(org=tree.village_a, kind=GENERAL_MEETING, held_on=held_on, by=clerk)

    items = obligations(orgs=[tree.village_a], start=D(2026, 4, 1), today=D(2026, 7, 15))

    assert _status(items, tree.village_a, GENERAL_MEETING, D(2026, 4, 1)) == q2
    assert _status(items, tree.village_a, GENERAL_MEETING, D(2026, 7, 1)) == q3
    q2_item = _find(items, tree.village_a, GENERAL_MEETING, D(2026, 4, 1))
    assert (q2_item.end, q2_item.period_label) == (D(2026, 6, 30), "2026年第2季度")


def test_it_tells_done_late_due_and_missing_apart(tree, clerk):
    log_meeting(
        org=tree.group_a1,
        kind=GROUP_MEETING,
        held_on=D(2026, 2, 10),
        by=clerk,
        logged_at=beijing(2026, 3, 5),
    )
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=D(2026, 3, 20), by=clerk)

    items = obligations(orgs=[tree.group_a1], start=D(2026, 1, 1), today=D(2026, 4, 15))

    by_month = {o.start: o.status for o in items if o.kind == GROUP_MEETING}
    assert by_month == {
        D(2026, 1, 1): "missing",  # closed, nothing logged
        D(2026, 2, 1): "late",  # logged after February closed
        D(2026, 3, 1): "done",
        D(2026, 4, 1): "due",  # open, nothing logged yet
    }


def test_it_judges_lateness_by_the_rules_own_period(tree, clerk):
    # Held in February, logged in March: late for a month, in time for the quarter.
    log_meeting(
        org=tree.village_a,
        kind=GENERAL_MEETING,
        held_on=D(2026, 2, 10),
        by=clerk,
        logged_at=beijing(2026, 3, 31, 23, 59),
    )

    items = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=D(2026, 4, 15))

    assert _status(items, tree.village_a, GENERAL_MEETING, D(2026, 1, 1)) == ("done", 1, 1)


def test_it_counts_a_meeting_logged_after_the_quarter_as_late(tree, clerk):
    log_meeting(
        org=tree.village_a,
        kind=GENERAL_MEETING,
        held_on=D(2026, 3, 30),
        by=clerk,
        logged_at=beijing(2026, 4, 1, 0, 5),
    )

    items = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=D(2026, 4, 15))

    assert _status(items, tree.village_a, GENERAL_MEETING, D(2026, 1, 1)) == ("late", 1, 1)


@pytest.mark.parametrize(
    ("logged_at", "status"),
    [
        # 2026-02-01 00:30 in Beijing is still 2026-01-31 16:30 in UTC.
        (beijing(2026, 2, 1, 0, 30), "late"),
        (beijing(2026, 1, 31, 23, 30), "done"),
    ],
)
def test_it_closes_a_month_at_midnight_beijing_time(tree, clerk, logged_at, status):
    log_meeting(
        org=tree.group_a1,
        kind=GROUP_MEETING,
        held_on=D(2026, 1, 31),
        by=clerk,
        logged_at=logged_at,
    )

    items = obligations(orgs=[tree.group_a1], start=D(2026, 1, 1), today=D(2026, 2, 15))

    assert _status(items, tree.group_a1, GROUP_MEETING, D(2026, 1, 1)) == (status, 1, 1)
    assert _status(items, tree.group_a1, GROUP_MEETING, D(2026, 2, 1)) == ("due", 0, 1)


def _change_group_meeting_rule(*, times: int, on: datetime.date) -> CadenceRule:
    old = CadenceRule.objects.get(kind=GROUP_MEETING, org_kind=OrgKind.GROUP)
    old.valid_to = on - datetime.timedelta(days=1)
    old.full_clean()
    old.save()
    new = CadenceRule(
        kind=GROUP_MEETING, org_kind=OrgKind.GROUP, period=Period.MONTH, times=times, valid_from=on
    )
    new.full_clean()
    new.save()
    return new


def test_it_judges_each_month_by_the_rule_valid_on_its_first_day(tree, clerk):
    _change_group_meeting_rule(times=2, on=D(2026, 6, 1))
    for held_on in (D(2026, 4, 8), D(2026, 5, 8), D(2026, 6, 8), D(2026, 7, 2), D(2026, 7, 9)):
        log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=held_on, by=clerk)

    items = obligations(orgs=[tree.group_a1], start=D(2026, 4, 1), today=D(2026, 7, 15))

    by_month = {o.start: (o.status, o.done, o.required) for o in items}
    assert by_month == {
        D(2026, 4, 1): ("done", 1, 1),
        D(2026, 5, 1): ("done", 1, 1),
        D(2026, 6, 1): ("missing", 1, 2),
        D(2026, 7, 1): ("done", 2, 2),
    }


def _rule(**fields) -> CadenceRule:
    values = {
        "kind": GROUP_MEETING,
        "org_kind": OrgKind.GROUP,
        "period": Period.MONTH,
        "times": 2,
        "valid_from": D(2026, 6, 1),
    }
    values.update(fields)
    return CadenceRule(**values)


@pytest.mark.parametrize(
    "fields",
    [
        {},  # open-ended while the default is open-ended
        {"valid_to": D(2026, 12, 31)},
        {"valid_from": D(1990, 1, 1), "valid_to": D(2000, 1, 1)},  # touches the default's start
    ],
)
def test_it_refuses_a_rule_overlapping_another(tree, fields):
    with pytest.raises(ValidationError) as exc:
        _rule(**fields).full_clean()

    assert "有效期不能重叠" in exc.value.messages[0]


@pytest.mark.parametrize(
    "fields",
    [
        {"valid_from": D(1990, 1, 1), "valid_to": D(1999, 12, 31)},  # ends before the default
        {"org_kind": OrgKind.BRANCH, "kind": ActivityKind.OTHER},  # no rule of its own yet
    ],
)
def test_it_accepts_a_rule_not_overlapping_another(tree, fields):
    _rule(**fields).full_clean()


def test_it_does_not_count_a_rule_as_overlapping_itself(tree):
    rule = CadenceRule.objects.get(kind=GROUP_MEETING, org_kind=OrgKind.GROUP)
    rule.times = 2

    rule.full_clean()


def test_it_accepts_a_new_rule_after_the_old_one_ends(tree):
    new = _change_group_meeting_rule(times=2, on=D(2026, 6, 1))

    assert CadenceRule.objects.filter(kind=GROUP_MEETING, org_kind=OrgKind.GROUP).count() == 2
    assert new.pk is not None


SINCE = D(2025, 1, 1)


def _committee(branch, titles):
    for title in titles:
        post_assign(org=branch, member=MemberFactory(branch=branch), title=title, started_on=SINCE)


THREE_POSTS = (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY)


def test_it_asks_committee_meetings_only_of_branches_with_three_committee_posts(tree, clerk):
    _committee(tree.village_a, THREE_POSTS)
    _committee(tree.organ_a, THREE_POSTS[:2])
    _committee(tree.village_b, THREE_POSTS[:2])
    ended = post_assign(
        org=tree.village_b,
        member=MemberFactory(branch=tree.village_b),
        title=PostTitle.PUBLICITY,
        started_on=D(2025, 1, 1),
    )
    ended.ended_on = D(2026, 1, 31)
    ended.save()
    orgs = [tree.village_a, tree.organ_a, tree.village_b, tree.group_a1]

    items = obligations(orgs=orgs, start=D(2026, 3, 1), today=D(2026, 3, 15))

    assert {o.org for o in items if o.kind == COMMITTEE} == {tree.village_a}
    assert _status(items, tree.village_a, COMMITTEE, D(2026, 3, 1)) == ("due", 0, 1)


def test_it_asks_kinds_by_the_kind_of_organisation(tree):
    orgs = [tree.village_a, tree.group_a1]

    items = obligations(orgs=orgs, start=D(2026, 3, 1), today=D(2026, 3, 15))

    kinds = {(o.org, o.kind, o.period) for o in items}
    assert kinds == {
        (tree.group_a1, GROUP_MEETING, Period.MONTH),
        (tree.village_a, ActivityKind.THEME_DAY, Period.MONTH),
        (tree.village_a, GENERAL_MEETING, Period.QUARTER),
        (tree.village_a, ActivityKind.LESSON, Period.QUARTER),
        (tree.village_a, ActivityKind.LESSON, Period.YEAR),  # the secretary's own (0009)
        (tree.village_a, ActivityKind.LIFE_MEETING, Period.YEAR),
        (tree.village_a, ActivityKind.APPRAISAL, Period.YEAR),
    }


def test_it_asks_nothing_of_an_organisation_before_it_was_founded_or_after_dissolved(tree):
    org_update(org=tree.group_a1, founded_on=D(2026, 2, 10))
    org_dissolve(org=tree.group_a2, on=D(2026, 2, 10))
    tree.group_a2.refresh_from_db()

    items = obligations(
        orgs=[tree.group_a1, tree.group_a2], start=D(2026, 1, 1), today=D(2026, 3, 15)
    )

    assert {o.start for o in items if o.org == tree.group_a1} == {D(2026, 2, 1), D(2026, 3, 1)}
    assert {o.start for o in items if o.org == tree.group_a2} == {D(2026, 1, 1), D(2026, 2, 1)}


def test_it_counts_a_year_from_january_whatever_the_start(tree, clerk):
    log_meeting(
        org=tree.village_a, kind=ActivityKind.LIFE_MEETING, held_on=D(2026, 2, 10), by=clerk
    )

    items = obligations(orgs=[tree.village_a], start=D(2026, 4, 1), today=D(2026, 4, 15))

    assert _status(items, tree.village_a, ActivityKind.LIFE_MEETING, D(2026, 1, 1)) == (
        "done",
        1,
        1,
    )


TODAY = D(2026, 3, 15)


def test_it_groups_the_open_obligations_of_a_township_by_branch(tree, clerk):
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=D(2026, 3, 2), by=clerk)
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=D(2026, 2, 2), by=clerk)
    log_meeting(org=tree.village_a, kind=ActivityKind.THEME_DAY, held_on=D(2026, 3, 3), by=clerk)

    work = worklist(user=clerk, root=tree.township_a, today=TODAY)

    yearly_and_quarterly = {
        (GENERAL_MEETING, D(2026, 1, 1)),
        (ActivityKind.LESSON, D(2026, 1, 1)),
        (ActivityKind.LIFE_MEETING, D(2026, 1, 1)),
        (ActivityKind.APPRAISAL, D(2026, 1, 1)),
    }
    blocks = {w.branch: {(i.org, i.kind, i.start) for i in w.items} for w in work.current}
    assert list(blocks) == [tree.village_a, tree.organ_a]  # in tree order, B not listed
    assert blocks[tree.village_a] == {(tree.group_a2, GROUP_MEETING, D(2026, 3, 1))} | {
        (tree.village_a, kind, start) for kind, start in yearly_and_quarterly
    }
    assert blocks[tree.organ_a] == {(tree.organ_a, ActivityKind.THEME_DAY, D(2026, 3, 1))} | {
        (tree.organ_a, kind, start) for kind, start in yearly_and_quarterly
    }
    assert all(i.status == "due" for w in work.current for i in w.items)
    # Done: group_a1's and village_a's March; open: 4 monthly, 4 quarterly, 6 yearly
    # (组织生活会, 民主评议 and the secretary's lesson of each branch).
    assert (work.done, work.total) == (2, 14)


def test_it_lists_the_gaps_of_closed_periods_newest_first(tree, clerk):
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=D(2026, 2, 2), by=clerk)
    log_meeting(org=tree.village_a, kind=ActivityKind.THEME_DAY, held_on=D(2026, 1, 5), by=clerk)

    work = worklist(user=clerk, root=tree.township_a, today=TODAY)

    starts = [g.start for g in work.gaps]
    assert starts == sorted(starts, reverse=True)
    assert {(g.start, g.org, g.kind) for g in work.gaps} == {
        (D(2026, 2, 1), tree.group_a2, GROUP_MEETING),
        (D(2026, 2, 1), tree.organ_a, ActivityKind.THEME_DAY),
        (D(2026, 2, 1), tree.village_a, ActivityKind.THEME_DAY),
        (D(2026, 1, 1), tree.group_a2, GROUP_MEETING),
        (D(2026, 1, 1), tree.group_a1, GROUP_MEETING),
        (D(2026, 1, 1), tree.organ_a, ActivityKind.THEME_DAY),
    }
    assert all(g.status == "missing" for g in work.gaps)


def test_it_leaves_out_other_townships_and_dissolved_branches(tree, clerk):
    org_dissolve(org=tree.organ_a, on=D(2026, 2, 1))

    work = worklist(user=clerk, root=None, today=TODAY)

    orgs = {i.org for w in work.current for i in w.items} | {g.org for g in work.gaps}
    assert orgs == {tree.village_a, tree.group_a1, tree.group_a2}


def test_it_narrows_the_worklist_to_the_root_picked(tree, county_user):
    work = worklist(user=county_user, root=tree.township_b, today=TODAY)

    assert [w.branch for w in work.current] == [tree.village_b, tree.organ_b]


def test_it_files_a_group_picked_as_the_root_under_its_branch(tree, clerk):
    work = worklist(user=clerk, root=tree.group_a1, today=TODAY)

    assert [w.branch for w in work.current] == [tree.village_a]
    assert {i.org for i in work.current[0].items} == {tree.group_a1}


def _extra_branches(tree, clerk, n):
    for i in range(n):
        branch = BranchFactory(parent=tree.township_a, name=f"新村{i}党支部")
        group = GroupFactory(parent=branch)
        MemberFactory(group=group)
        _committee(branch, THREE_POSTS)
        log_meeting(org=group, kind=GROUP_MEETING, held_on=D(2026, 2, 3), by=clerk)
        log_meeting(org=branch, kind=GENERAL_MEETING, held_on=D(2026, 3, 3), by=clerk)


@pytest.mark.parametrize("extra", [1, 10])
def test_it_builds_a_worklist_in_a_constant_number_of_queries(
    tree, clerk, django_assert_num_queries, extra
):
    _extra_branches(tree, clerk, extra)

    # branches and groups in scope (with parents); the rules; tallies of the year;
    # committee branches (posts grouped by branch); then, for the gap lines shown,
    # the ancestors of their organisations for their labels.
    with django_assert_num_queries(5):
        work = worklist(user=clerk, root=tree.township_a, today=TODAY)
        lines, _count = worklist_gap_lines(work, limit=None)

    assert len(work.current) == 2 + extra
    assert lines


def test_it_judges_each_month_by_the_committee_the_branch_had_then(tree):
    # The committee is formed in March: January and February owe no committee
    # meeting; a committee that ended in April still owed one in March.
    for title in THREE_POSTS:
        post = post_assign(
            org=tree.village_a,
            member=MemberFactory(branch=tree.village_a),
            title=title,
            started_on=D(2026, 3, 1),
        )
        if title == PostTitle.PUBLICITY:
            post.ended_on = D(2026, 4, 10)
            post.save()

    items = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=D(2026, 6, 15))

    months = {o.start.month: o.status for o in items if o.kind == COMMITTEE}
    assert months == {3: "missing"}


# 00:30 in Beijing on 1 March is still 28 February in UTC: the local day counts.
ENTERED_IN_MARCH = beijing(2026, 3, 1, hour=0, minute=30)


def test_it_asks_nothing_before_the_month_an_organisation_without_founding_date_was_entered(
    tree, clerk
):
    group = GroupFactory(parent=tree.village_a, name="甲村第三党小组", created_at=ENTERED_IN_MARCH)

    items = obligations(orgs=[group], start=D(2026, 1, 1), today=D(2026, 4, 15))
    work = worklist(user=clerk, root=tree.township_a, today=D(2026, 4, 15))

    assert {o.start for o in items} == {D(2026, 3, 1), D(2026, 4, 1)}
    assert {(g.start, g.kind) for g in work.gaps if g.org == group} == {
        (D(2026, 3, 1), GROUP_MEETING)
    }
    assert {(i.start, i.kind) for w in work.current for i in w.items if i.org == group} == {
        (D(2026, 4, 1), GROUP_MEETING)
    }


@pytest.mark.parametrize(
    ("founded_on", "months"),
    [
        (D(2026, 1, 20), {1, 2, 3, 4}),  # founded before it was entered here
        (D(2026, 4, 2), {4}),  # entered ahead of its founding
    ],
)
def test_it_counts_from_the_founding_date_when_there_is_one(tree, founded_on, months):
    group = GroupFactory(parent=tree.village_a, created_at=ENTERED_IN_MARCH, founded_on=founded_on)

    items = obligations(orgs=[group], start=D(2026, 1, 1), today=D(2026, 4, 15))

    assert {o.start.month for o in items} == months
