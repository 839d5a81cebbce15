"""The demo's 换届 and assessment: elections that obey the election rules and agree with
the posts and terms, a late village in every township (one postponed), filed and
一肩挑 village secretaries, 述职评议 within their evaluators, and 软弱涣散 cases
opened from last year's 后进 grades."""

import collections
import datetime
import io

import pytest
from django.core.management import call_command
from django.db import models, transaction
from django.test import override_settings

from activities.models import (
    OrgGrade,
    RectificationCase,
    RectificationMeasure,
    SecretaryReport,
)
from branches.models import (
    COMMITTEE_TITLES,
    Candidate,
    Election,
    Organization,
    OrgKind,
    Post,
    PostEndReason,
    PostTitle,
    TermPostponement,
    village_top_q,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The tiny demo, built once for the module inside a transaction rolled back after it
    (as tests/reports/test_demo_dues.py builds it)."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", scale="tiny", seed=5, today=TODAY, stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _years_later(day: datetime.date, years: int) -> datetime.date:
    return day.replace(year=day.year + years)


def test_every_election_is_valid_and_its_winners_hold_posts_from_its_day(demo):
    elections = list(Election.objects.prefetch_related("candidates__post"))

    assert elections
    for election in elections:
        assert election.present * 5 > election.electors * 4, election
        assert election.held_on <= TODAY
        for candidate in election.candidates.all():
            assert candidate.votes * 2 > election.present, candidate
            assert candidate.post.started_on == election.held_on
            assert candidate.post.member_id == candidate.member_id


def test_each_term_starts_at_the_latest_election(demo):
    for org in Organization.objects.exclude(term_started_on=None):
        latest = Election.objects.filter(org=org, by_election=False).latest("held_on")
        assert org.term_started_on == latest.held_on, org


def test_re_elected_holders_stay_in_post_without_a_gap(demo):
    ended = Post.objects.filter(end_reason=PostEndReason.ELECTION)

    assert ended.exists()
    for post in ended:
        assert Post.objects.filter(
            org=post.org, member=post.member, title=post.title, started_on=post.ended_on
        ).exists(), post
    for org_id, title in Post.objects.filter(ended_on=None, title__in=COMMITTEE_TITLES).values_list(
        "org_id", "title"
    ):
        assert Post.objects.filter(org_id=org_id, title=title, ended_on=None).count() == 1, org_id


def test_every_township_has_a_village_overdue_and_one_postponed(demo):
    for township in Organization.objects.filter(kind=OrgKind.TOWNSHIP):
        villages = Organization.objects.filter(village_top_q(), parent=township)
        late = [
            v for v in villages if v.term_started_on and _years_later(v.term_started_on, 5) < TODAY
        ]
        postponed = TermPostponement.objects.filter(org__in=late)
        assert len(late) > postponed.count(), township  # one left overdue
        if villages.count() > 1:
            assert postponed.exists(), township
            for postponement in postponed:
                assert postponement.term_started_on == postponement.org.term_started_on
                assert postponement.until > TODAY


def test_village_secretaries_are_filed_after_their_election_and_most_chair_the_committee(demo):
    secretaries = Post.objects.filter(
        village_top_q("org__"), title=PostTitle.SECRETARY, ended_on=None
    )
    filed = secretaries.exclude(filed_on=None)

    assert filed.exists()
    for post in filed:
        assert post.started_on < post.filed_on <= TODAY
        assert post.filed_document
    assert secretaries.filter(chairs_village_committee=True).exists()
    assert not Post.objects.filter(chairs_village_committee=True).exclude(
        village_top_q("org__"), title=PostTitle.SECRETARY
    )


def test_secretary_reports_stay_within_their_evaluators_and_follow_the_most_votes(demo):
    reports = list(SecretaryReport.objects.select_related("meeting"))

    assert reports
    for report in reports:
        assert report.votes <= report.meeting.evaluators
        counts = {
            "good": report.good,
            "fairly_good": report.fairly_good,
            "average": report.average,
            "poor": report.poor,
        }
        assert counts[report.evaluation] == max(counts.values())
        assert report.meeting.year == TODAY.year - 1


def test_cases_come_from_last_years_lagging_grades_and_one_has_a_measure_overdue(demo):
    cases = list(RectificationCase.objects.select_related("grade__level"))

    assert cases
    for case in cases:
        assert case.grade.level.lagging and case.grade.year == TODAY.year - 1
        assert case.grade.org_id == case.org_id
        if case.closed_on:
            assert case.closing_decision
            assert not case.measures.filter(done_on=None).exists()
            assert all(m.done_on <= case.closed_on for m in case.measures.all())
    overdue = RectificationMeasure.objects.filter(done_on=None, deadline__lt=TODAY)
    assert overdue.filter(case__closed_on=None).exists()
    assert OrgGrade.objects.filter(year=TODAY.year - 1).count() > len(cases)


def test_losing_candidates_are_never_marked_elected(demo):
    assert not Candidate.objects.filter(elected=True, post=None).exists()


# --- The working ledgers (reports.demo.ledgers) ---------------------------------------------


def test_most_members_pledge_and_every_branch_too_as_a_county_keeps_it(demo):
    from activities.models import Pledge
    from members.models import Member

    active = Member.objects.active().count()
    pledging = Pledge.objects.filter(member__isnull=False).values("member").distinct().count()
    assert 0.55 * active < pledging < 0.85 * active
    branches = Organization.objects.filter(kind=OrgKind.BRANCH).count()
    own = Pledge.objects.filter(member__isnull=True).values("org").distinct().count()
    assert own == branches
    # Made in February or March, never after the build's day; due and kept after made.
    for made, due, kept, year in Pledge.objects.values_list(
        "made_on", "due_on", "fulfilled_on", "year"
    ):
        assert made.month in (2, 3) and made <= TODAY and year == TODAY.year
        assert due >= made and (kept is None or made <= kept <= TODAY)


def test_the_demo_pledges_due_are_mostly_kept_and_earn_their_points(demo):
    from activities.models import Fulfilment, Pledge, PointEntry, PointSource

    due = Pledge.objects.filter(due_on__lte=TODAY)
    done = due.filter(fulfilment=Fulfilment.DONE).count()
    assert due.exists() and 0.6 * due.count() <= done < due.count()
    assert due.filter(fulfilment=Fulfilment.PENDING).exists(), "a few are overdue"
    earned = Pledge.objects.filter(
        member__isnull=False, fulfilment=Fulfilment.DONE, fulfilled_on__year=TODAY.year
    ).count()
    assert earned and PointEntry.objects.filter(source=PointSource.PLEDGE).count() == earned
    assessed = Pledge.objects.filter(assessed_on__isnull=False)
    assert assessed.exists()
    assert all(
        s + f + d > 0
        for s, f, d in assessed.values_list("satisfied", "fairly_satisfied", "dissatisfied")
    )


def test_the_demo_duty_posts_are_held_by_members_without_office_and_logged(demo):
    from activities.models import DutyAssignment, DutyLog, DutyPost, PointEntry, PointSource

    posts = DutyPost.objects.values("org").annotate(n=models.Count("pk"))
    assert {row["n"] for row in posts} <= {3, 4, 5, 6}
    assert len(posts) == Organization.objects.filter(kind=OrgKind.BRANCH).count()
    office = set(Post.objects.filter(ended_on__isnull=True).values_list("member_id", flat=True))
    held = list(DutyAssignment.objects.select_related("post", "member"))
    assert held and not {a.member_id for a in held} & office
    # Of the post's branch when they took it (some moved away later in the year).
    from members.models import Membership

    assert all(
        Membership.objects.on(a.started_on)
        .filter(member_id=a.member_id, branch_id=a.post.org_id)
        .exists()
        for a in held
    )
    assert all(a.post.set_up_on <= a.started_on <= TODAY for a in held)
    for log in DutyLog.objects.select_related("assignment"):
        span_end = log.assignment.ended_on or TODAY
        assert log.assignment.started_on <= log.done_on <= span_end
    # The year's logs earn 设岗定责履职; nothing of 设岗定责 is entered by hand any more.
    logs = DutyLog.objects.filter(done_on__year=TODAY.year).count()
    assert logs and PointEntry.objects.filter(source=PointSource.DUTY_LOG).count() == logs
    assert not PointEntry.objects.filter(source=PointSource.DUTY, year=TODAY.year).exists()


def test_the_demo_pairings_are_a_third_of_members_and_the_villages_units_visited(demo):
    from activities.models import Pairing, PairingVisit, PointEntry, PointSource
    from members.models import Member

    members = Pairing.objects.filter(member__isnull=False)
    paired = members.values("member").annotate(n=models.Count("pk"))
    assert {row["n"] for row in paired} <= {1, 2}
    active = Member.objects.active().count()
    assert 0.2 * active <= len(paired) <= 0.45 * active
    # Each of a member's pairings is a household, its difficulty recorded, kept by the
    # member's branch when they paired (some moved away later in the year).
    from members.models import Membership

    assert all(p.partner_kind == "household" and p.difficulty for p in members)
    assert all(
        Membership.objects.on(p.started_on)
        .filter(member_id=p.member_id, branch_id=p.org_id)
        .exists()
        for p in members
    )
    # Every village is paired with one or two county units, through its branch.
    units = Pairing.objects.filter(member__isnull=True).values("org").annotate(n=models.Count("pk"))
    villages = Organization.objects.filter(kind=OrgKind.BRANCH, category="village")
    assert {row["org"] for row in units} == set(villages.values_list("pk", flat=True))
    assert {row["n"] for row in units} <= {1, 2}
    for visit in PairingVisit.objects.select_related("pairing"):
        span_end = visit.pairing.ended_on or TODAY
        assert visit.pairing.started_on <= visit.visited_on <= span_end
        assert visit.visited_on.year == TODAY.year
    # Visited every month or two: by the end of June, twice or more a pairing on average.
    assert PairingVisit.objects.count() >= 2 * Pairing.objects.count()
    # The members' visits earn 结对帮扶走访; nothing of 结对帮扶 is entered by hand any more.
    theirs = PairingVisit.objects.filter(pairing__member__isnull=False).count()
    assert PointEntry.objects.filter(source=PointSource.PAIRING_VISIT).count() == theirs
    assert not PointEntry.objects.filter(source=PointSource.PAIRING, year=TODAY.year).exists()


def test_the_demo_diary_is_written_by_cadres_and_mostly_checked(demo):
    from activities.models import DiaryCheck, DiaryEntry, DiaryOutcome
    from branches.models import BranchCategory
    from members.models import Membership

    entries = list(DiaryEntry.objects.select_related("org"))
    assert entries and {e.org.category for e in entries} <= {
        BranchCategory.VILLAGE,
        BranchCategory.COMMUNITY,
    }
    # Two to six a month in each branch that keeps one, none after today.
    per_month = DiaryEntry.objects.values("org", "date__month").annotate(n=models.Count("pk"))
    assert {row["n"] for row in per_month} <= {2, 3, 4, 5, 6}
    assert all(e.date <= TODAY and e.date.year == TODAY.year for e in entries)
    # Written by a member of the branch on the day (some moved away later in the year).
    assert all(
        Membership.objects.on(e.date).filter(member_id=e.cadre_id, branch_id=e.org_id).exists()
        for e in entries
    )
    outcomes = collections.Counter(e.outcome for e in entries)
    assert outcomes[DiaryOutcome.RESOLVED] > len(entries) / 2 and outcomes[DiaryOutcome.FOLLOWING]
    assert all(e.passed_to for e in entries if e.outcome == DiaryOutcome.REPORTED)
    # Most past months checked, by the secretary, after the month began; a few left.
    months = {(row["org"], row["date__month"]) for row in per_month if row["date__month"] < 6}
    checks = list(DiaryCheck.objects.all())
    checked = {(c.org_id, c.month.month) for c in checks}
    assert checked <= months | {(o, 6) for o, _ in months}
    assert 0.8 * len(months) <= len(checked & months) < len(months)
    assert all(c.month <= c.checked_on <= TODAY for c in checks)
    following = {(e.org_id, e.date.month) for e in entries if e.outcome == DiaryOutcome.FOLLOWING}
    assert all(c.comment for c in checks if (c.org_id, c.month.month) in following)


def test_the_demo_study_is_monthly_and_most_members_reach_their_target(demo):
    from activities.ledgers.study.selectors import member_year
    from activities.models import PointEntry, PointSource, StudyAttendance, StudySession
    from members.models import Member, Membership

    branch_sessions = StudySession.objects.filter(org__kind=OrgKind.BRANCH)
    # Once or twice a month in every live branch, last year whole and this year to today.
    per_month = branch_sessions.values("org", "date__year", "date__month").annotate(
        n=models.Count("pk")
    )
    assert {row["n"] for row in per_month} == {1, 2}
    live = Organization.objects.filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True).count()
    assert len(per_month) == live * 18
    assert all(
        datetime.date(2025, 1, 1) <= s.date <= TODAY and 2 <= s.hours <= 4 for s in branch_sessions
    )
    # Attended by members already in the branch on the day.
    sample = StudyAttendance.objects.filter(session__org__kind=OrgKind.BRANCH).select_related(
        "session"
    )[:200]
    assert sample and all(
        Membership.objects.on(a.session.date)
        .filter(member_id=a.member_id, branch_id=a.session.org_id)
        .exists()
        for a in sample
    )
    # Last year most members reached their 32 (secretaries their 56), a few did not; those
    # who came into their branch during the year fall short more often.
    year = list(member_year(Member.objects.active(), year=2025, today=TODAY))
    reached = sum(m.reached for m in year)
    assert 0.6 * len(year) <= reached <= 0.95 * len(year)
    secretaries = [m for m in year if m.secretary]
    assert secretaries and sum(m.reached for m in secretaries) >= 0.6 * len(secretaries)
    # This year is half over: 学习达标 only for those already there, once each.
    earned = PointEntry.objects.filter(source=PointSource.STUDY, year=2026)
    assert earned.values("member").distinct().count() == earned.count()
    assert earned.count() < 0.5 * len(year)
