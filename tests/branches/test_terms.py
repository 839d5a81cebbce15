"""换届 services and selectors: term lengths and due dates, postponements, the 条例's
validity rules at their edges, the posts an election ends and starts, filing and 一肩挑."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from branches.models import (
    BranchCategory,
    Candidate,
    Election,
    ElectionMethod,
    Organization,
    Post,
    PostEndReason,
    PostTitle,
    TermLength,
    TermPostponement,
)
from branches.services import org_update, post_assign
from branches.terms import selectors, services
from branches.terms.services import CandidateRow
from reports.selectors import one_shoulder
from tests.factories import MemberFactory, PrimaryCommitteeFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 15)
S, DS, ORG = PostTitle.SECRETARY, PostTitle.DEPUTY_SECRETARY, PostTitle.ORGANIZATION


@pytest.fixture(autouse=True)
def _clock():
    with frozen(beijing(2026, 6, 15)):
        yield


def started(org, on):
    return org_update(org=org, term_started_on=on)


def term(org):
    return selectors.org_term(Organization.objects.get(pk=org.pk), TODAY)


HELD_ON = D(2026, 6, 1)


def record(org, by, *, present=41, electors=50, candidates, held_on=HELD_ON, **kw):
    return services.election_record(
        org=org,
        held_on=held_on,
        by_election=kw.pop("by_election", False),
        method=ElectionMethod.DIRECT,
        electors=electors,
        present=present,
        candidates=candidates,
        by=by,
        **kw,
    )


# --- term arithmetic ----------------------------------------------------------------------


def test_it_gives_each_kind_its_term_length_and_due_date(tree):
    community = PrimaryCommitteeFactory(
        parent=tree.township_a, name="某社区党委", category=BranchCategory.COMMUNITY
    )
    for org in (tree.township_a, tree.village_a, tree.organ_a, community):
        started(org, D(2021, 3, 10))
    assert (term(tree.township_a).years, term(tree.township_a).due) == (5, D(2026, 3, 10))
    assert (term(tree.village_a).years, term(tree.village_a).due) == (5, D(2026, 3, 10))
    assert (term(tree.organ_a).years, term(tree.organ_a).due) == (3, D(2024, 3, 10))
    assert (term(community).years, term(community).due) == (5, D(2026, 3, 10))
    assert term(tree.organ_a).state == selectors.OVERDUE


def test_the_row_for_the_category_wins_and_the_county_can_add_one(tree):
    TermLength.objects.create(kind="branch", category="organ", years=4)
    started(tree.organ_a, D(2020, 1, 1))
    started(tree.village_a, D(2020, 1, 1))
    assert term(tree.organ_a).years == 4  # the 机关 row over the kind's 3
    assert term(tree.village_a).years == 5


def test_the_29th_of_february_falls_due_on_the_28th(tree):
    started(tree.village_a, D(2024, 2, 29))
    assert term(tree.village_a).due == D(2029, 2, 28)
    assert selectors.add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)


@pytest.mark.parametrize(
    ("start", "state"),
    [
        (D(2021, 6, 14), selectors.OVERDUE),  # due yesterday
        (D(2021, 6, 15), selectors.DUE_SOON),  # due today
        (D(2021, 12, 15), selectors.DUE_SOON),  # due in exactly six months
        (D(2021, 12, 16), selectors.FINE),
        (None, selectors.UNKNOWN),
    ],
)
def test_it_tells_the_state_of_a_term(tree, start, state):
    if start:
        started(tree.village_a, start)
    assert term(tree.village_a).state == state


def test_the_latest_postponement_of_the_current_term_sets_the_due_date(tree, county_user):
    started(tree.village_a, D(2021, 3, 1))
    services.term_postpone(
        org=tree.village_a,
        until=D(2026, 9, 30),
        approved_on=D(2026, 2, 1),
        document="县组〔2026〕1号",
        reason="村委会换届同步",
        by=county_user,
    )
    services.term_postpone(
        org=Organization.objects.get(pk=tree.village_a.pk),
        until=D(2027, 3, 1),
        approved_on=D(2026, 5, 1),
        document="县组〔2026〕9号",
        reason="再次延期",
        by=county_user,
    )
    found = term(tree.village_a)
    assert (found.regular_due, found.due, found.state) == (
        D(2026, 3, 1),
        D(2027, 3, 1),
        selectors.FINE,
    )
    assert found.postponement_document == "县组〔2026〕9号"
    # A new term: the old postponement no longer applies.
    started(Organization.objects.get(pk=tree.village_a.pk), D(2026, 6, 1))
    assert term(tree.village_a).due == D(2031, 6, 1)


def test_a_postponement_needs_a_known_term_start(tree, county_user):
    with pytest.raises(ValidationError, match="本届任期开始日期未登记"):
        services.term_postpone(
            org=tree.village_a,
            until=D(2027, 1, 1),
            approved_on=D(2026, 1, 1),
            document="县组〔2026〕1号",
            reason="原因",
            by=county_user,
        )
    assert not TermPostponement.objects.exists()


def test_the_report_counts_in_a_bounded_number_of_queries(
    tree, county_user, django_assert_num_queries
):
    started(tree.village_a, D(2021, 6, 1))
    # The office branch is overdue too, but postponed twice: the latest approval counts.
    started(tree.organ_a, D(2021, 3, 1))
    for until, approved in ((D(2026, 5, 1), D(2026, 2, 1)), (D(2027, 3, 1), D(2026, 4, 1))):
        services.term_postpone(
            org=Organization.objects.get(pk=tree.organ_a.pk),
            until=until,
            approved_on=approved,
            document="县组〔2026〕3号",
            reason="与村委会换届同步",
            by=county_user,
        )
    # children, the terms' lengths and starts, the postponements, the terms listed,
    # the unfiled secretaries
    with django_assert_num_queries(5):
        data = selectors.term_report(node=tree.county, today=TODAY)
    by_name = {row.name: row.counts for row in data.rows}
    assert by_name["甲镇党委"] == {
        selectors.OVERDUE: 1,
        selectors.FINE: 1,
        selectors.UNKNOWN: 1,
    }
    assert by_name["乙镇党委"] == {selectors.UNKNOWN: 3}
    assert [t.org for t in data.urgent] == [tree.village_a]


# --- elections ----------------------------------------------------------------------------


@pytest.fixture
def people(tree):
    return [MemberFactory(group=tree.group_a1, name=f"党员{i}") for i in range(4)]


@pytest.mark.parametrize(("present", "ok"), [(40, False), (41, True)])
def test_more_than_four_fifths_must_attend(tree, clerk_a, people, present, ok):
    rows = [CandidateRow(people[0], S, 30, True)]
    if ok:
        record(tree.village_a, clerk_a, present=present, electors=50, candidates=rows)
        assert Election.objects.count() == 1
        return
    with pytest.raises(ValidationError, match="五分之四.*至少须到会41人"):
        record(tree.village_a, clerk_a, present=present, electors=50, candidates=rows)
    assert not Election.objects.exists() and not Post.objects.exists()


@pytest.mark.parametrize(
    ("present", "votes", "ok"), [(41, 20, False), (41, 21, True), (40, 20, False), (40, 21, True)]
)
def test_an_elected_candidate_needs_more_than_half_of_those_present(
    tree, clerk_a, people, present, votes, ok
):
    rows = [CandidateRow(people[0], S, votes, True, line=1)]
    if ok:
        record(tree.village_a, clerk_a, present=present, electors=present, candidates=rows)
        assert Post.objects.get().member == people[0]
        return
    with pytest.raises(ValidationError, match="超过实到会有选举权人数的一半"):
        record(tree.village_a, clerk_a, present=present, electors=present, candidates=rows)
    assert not Election.objects.exists() and not Candidate.objects.exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (lambda p: [CandidateRow(p[0], S, 42, True)], "多于实到会"),
        (lambda p: [CandidateRow(p[0], S, 30, True), CandidateRow(p[1], S, 30, True)], "一名书记"),
        (lambda p: [CandidateRow(p[0], S, 10, False)], "没有勾选当选"),
    ],
)
def test_it_refuses_an_impossible_result(tree, clerk_a, people, rows, message):
    with pytest.raises(ValidationError, match=message):
        record(tree.village_a, clerk_a, candidates=rows(people))
    assert not Election.objects.exists()


def test_it_refuses_a_group_a_future_date_and_a_stranger(tree, clerk_a, people):
    rows = [CandidateRow(people[0], S, 30, True)]
    with pytest.raises(ValidationError, match="不实行任期制"):
        record(tree.group_a1, clerk_a, candidates=rows)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        record(tree.village_a, clerk_a, candidates=rows, held_on=D(2026, 6, 16))
    stranger = MemberFactory(group=tree.group_b1)
    with pytest.raises(ValidationError, match="不是甲村党支部的在册党员"):
        record(tree.village_a, clerk_a, candidates=[CandidateRow(stranger, S, 30, True)])
    assert not Election.objects.exists()


def test_an_election_ends_the_old_committee_and_starts_the_new_one(tree, clerk_a, people):
    old_secretary = post_assign(
        org=tree.village_a, member=people[0], title=S, started_on=D(2021, 1, 1)
    )
    old_organiser = post_assign(
        org=tree.village_a, member=people[1], title=ORG, started_on=D(2021, 1, 1)
    )
    leader = post_assign(
        org=tree.group_a1, member=people[1], title=PostTitle.GROUP_LEADER, started_on=D(2021, 1, 1)
    )
    election = record(
        tree.village_a,
        clerk_a,
        candidates=[
            CandidateRow(people[2], S, 40, True),
            CandidateRow(people[3], ORG, 35, True),
            CandidateRow(people[1], ORG, 6, False),
        ],
    )
    for post in (old_secretary, old_organiser, leader):
        post.refresh_from_db()
    assert (old_secretary.ended_on, old_secretary.end_reason) == (
        D(2026, 6, 1),
        PostEndReason.ELECTION,
    )
    assert old_organiser.ended_on == D(2026, 6, 1)
    assert leader.ended_on is None  # a group leader is not the committee's
    new = {c.member: c.post for c in election.candidates.all()}
    assert new[people[2]].started_on == D(2026, 6, 1) and new[people[1]] is None
    assert [p.member for p in selectors.committee(tree.village_a, TODAY)] == people[2:]
    assert Organization.objects.get(pk=tree.village_a.pk).term_started_on == D(2026, 6, 1)
    assert old_secretary.history.first().end_reason == PostEndReason.ELECTION  # audited


def test_a_by_election_ends_only_the_titles_it_fills(tree, clerk_a, people):
    org_update(org=tree.village_a, term_started_on=D(2024, 1, 1))
    secretary = post_assign(org=tree.village_a, member=people[0], title=S, started_on=D(2024, 1, 1))
    deputy = post_assign(org=tree.village_a, member=people[1], title=DS, started_on=D(2024, 1, 1))
    record(
        Organization.objects.get(pk=tree.village_a.pk),
        clerk_a,
        by_election=True,
        candidates=[CandidateRow(people[2], DS, 30, True)],
    )
    secretary.refresh_from_db()
    deputy.refresh_from_db()
    assert secretary.ended_on is None and deputy.ended_on == D(2026, 6, 1)
    assert Organization.objects.get(pk=tree.village_a.pk).term_started_on == D(2024, 1, 1)


def test_an_election_before_the_current_term_is_refused(tree, clerk_a, people):
    org_update(org=tree.village_a, term_started_on=D(2026, 6, 10))
    with pytest.raises(ValidationError, match="不能登记更早的选举"):
        record(
            Organization.objects.get(pk=tree.village_a.pk),
            clerk_a,
            candidates=[CandidateRow(people[0], S, 30, True)],
        )


# --- filing and 一肩挑 ------------------------------------------------------------------------


def test_the_county_files_a_village_secretary_and_counts_one_shoulder(tree, people):
    a = post_assign(org=tree.village_a, member=people[0], title=S, started_on=D(2024, 1, 1))
    b_member = MemberFactory(group=tree.group_b1)
    post_assign(org=tree.village_b, member=b_member, title=S, started_on=D(2024, 1, 1))
    post_assign(org=tree.organ_a, member=people[1], title=S, started_on=D(2024, 1, 1))
    services.post_file(
        post=a,
        filed_on=D(2024, 2, 1),
        filed_document="县组备〔2024〕3号",
        chairs_village_committee=True,
    )
    a.refresh_from_db()
    assert (a.filed_on, a.chairs_village_committee) == (D(2024, 2, 1), True)
    counts = one_shoulder(node=tree.county, on=TODAY)
    assert (counts.secretaries, counts.chairing, counts.percent) == (2, 1, 50.0)
    report = selectors.term_report(node=tree.county, today=TODAY)
    assert [p.org for p in report.unfiled] == [tree.village_b]


def test_only_a_village_secretary_is_filed(tree, people):
    organ = post_assign(org=tree.organ_a, member=people[1], title=S, started_on=D(2024, 1, 1))
    with pytest.raises(ValidationError, match="只登记村（社区）党组织书记"):
        services.post_file(
            post=organ, filed_on=D(2024, 2, 1), filed_document="X", chairs_village_committee=False
        )
    village = post_assign(org=tree.village_a, member=people[0], title=S, started_on=D(2024, 1, 1))
    with pytest.raises(ValidationError, match="同时填写备案日期和备案文号"):
        services.post_file(
            post=village, filed_on=D(2024, 2, 1), filed_document="", chairs_village_committee=False
        )
