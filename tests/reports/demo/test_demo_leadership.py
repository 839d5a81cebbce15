"""The demo's 换届 and assessment: elections that obey the election rules and agree with
the posts and terms, a late village in every township (one postponed), filed and
一肩挑 village secretaries, 述职评议 within their evaluators, and 软弱涣散 cases
opened from last year's 后进 grades."""

import collections
import datetime

import pytest
from django.db import models

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


def test_the_demo_talks_meet_most_required_pairs_and_leave_a_few(demo):
    from activities.ledgers.talks.selectors import branch_talks
    from activities.models import Talk
    from members.models import Membership

    talks = list(Talk.objects.all())
    assert len(talks) > 100
    assert all(t.initiator_id != t.partner_id and t.talked_on.year == TODAY.year for t in talks)
    assert all(t.talked_on <= TODAY and t.summary == t.summary.strip() for t in talks)
    # Between two members of the branch on the day.
    assert all(
        Membership.objects.on(t.talked_on)
        .filter(member_id__in=(t.initiator_id, t.partner_id), branch_id=t.org_id)
        .count()
        == 2
        for t in talks
    )
    branches = Organization.objects.filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True)
    cycles = branch_talks(branch_ids=list(branches.values_list("pk", flat=True)), today=TODAY)
    owing = [c for c in cycles.values() if c.required]
    complete = [c for c in owing if c.met_count == len(c.required)]
    required = sum(len(c.required) for c in owing)
    met = sum(c.met_count for c in owing)
    # Most branches talked every pair of the cycle, a few did not; most pairs are met.
    assert len(owing) > 10 and len(owing) / 2 < len(complete) < len(owing)
    assert 0.75 * required < met < required
    # Some members sought the talk themselves; most talks name what was talked about.
    responsible = {pair for c in owing for pair in c.required.values()}
    assert any((t.partner_id, t.initiator_id) in responsible for t in talks)
    assert sum(bool(t.summary) for t in talks) > 0.8 * len(talks)


def test_the_demo_villages_keep_stations_checked_most_months(demo):
    from django.db.models import Prefetch

    from activities.ledgers.stations.selectors import station_summary, year_marks
    from activities.models import Station, StationCheck, StationState
    from branches.models import BranchCategory

    villages = Organization.objects.filter(
        kind=OrgKind.BRANCH, category=BranchCategory.VILLAGE, dissolved_on=None
    )
    stations = list(Station.objects.select_related("org", "manager"))
    # Most villages have one station, none another kind of branch; kept by a member of it.
    assert 0.7 * villages.count() <= len(stations) <= villages.count()
    assert {s.org.category for s in stations} == {BranchCategory.VILLAGE}
    assert len({s.org_id for s in stations}) == len(stations)
    assert all(s.manager.branch_id == s.org_id and s.opened_on <= TODAY for s in stations)
    # Checked in the months ended (January to May), missing one or two a year at most.
    checks = list(StationCheck.objects.select_related("station"))
    assert all(TODAY.replace(month=1, day=1) <= c.month < TODAY.replace(day=1) for c in checks)
    assert all(
        c.month <= c.checked_on <= TODAY and c.station.opened_on <= c.checked_on for c in checks
    )
    summary = station_summary(
        node=Organization.objects.get(kind=OrgKind.COUNTY), year=2026, today=TODAY
    )
    due, checked = summary.total.values["due"], summary.total.values["checked"]
    assert checked == len(checks) and 0.6 * due <= checked < due
    # A year of twelve checks misses one or two months (they may fall later in the year).
    missed = collections.Counter(
        (s.pk, m.month.month)
        for s in Station.objects.prefetch_related(
            Prefetch("checks", StationCheck.objects.all(), to_attr="year_checks")
        )
        for m in year_marks(s, 2026, TODAY)
        if m.due and m.check is None
    )
    assert max(collections.Counter(pk for pk, _ in missed).values()) <= 2
    # Most months normal, an occasional fault with what failed; nothing played when idle.
    states = collections.Counter(c.state for c in checks)
    assert states[StationState.NORMAL] > 0.8 * len(checks) and states[StationState.FAULT]
    assert all(c.comment for c in checks if c.state == StationState.FAULT)
    assert all(c.playbacks == 0 for c in checks if c.state == StationState.IDLE)


# --- 小组月报 (reports.demo.grouprep) ------------------------------------------------------------


def test_the_demo_groups_report_most_months_and_branches_sum_up_each_quarter(demo):
    from activities.ledgers.grouprep.selectors import report_deadline
    from activities.models import (
        ActivityKind,
        ActivityTally,
        BranchSummary,
        ExchangePresentation,
        GroupReport,
    )

    groups = Organization.objects.filter(kind=OrgKind.GROUP, dissolved_on__isnull=True)
    reports = list(GroupReport.objects.all())
    # January to May ended by 30 June: about nine months in ten reported, none of June's.
    due = sum(
        1
        for g in groups
        for m in range(1, 6)
        if (g.founded_on or datetime.date(2000, 1, 1)) < datetime.date(2026, m + 1, 1)
    )
    assert 0.8 * due <= len(reports) <= due
    assert {r.month.month for r in reports} <= {1, 2, 3, 4, 5}
    assert all(r.submitted_at.date() <= TODAY for r in reports)
    assert all(r.on_time == (r.submitted_at.date() <= report_deadline(r.month)) for r in reports)
    on_time = sum(r.on_time for r in reports)
    assert 0.7 * len(reports) <= on_time < len(reports)
    # Every branch with groups summed up the first quarter, none the second (not ended).
    branches = set(groups.values_list("parent_id", flat=True))
    summaries = BranchSummary.objects.all()
    assert branches <= {s.org_id for s in summaries}
    assert {s.quarter for s in summaries} == {datetime.date(2026, 1, 1)}
    # One 经验交流会 per township, 3 to 5 of its own groups presenting; it owes nothing and
    # expects nobody.
    presenting = collections.Counter(
        ExchangePresentation.objects.values_list("activity__org__path", "activity_id")
    )
    townships = Organization.objects.filter(kind=OrgKind.TOWNSHIP)
    by_township = collections.Counter(path for path, _ in presenting)
    assert by_township == {t.path: 1 for t in townships}
    assert all(3 <= n <= 5 for n in presenting.values())
    assert all(
        p.group.path.startswith(p.activity.org.path)
        for p in ExchangePresentation.objects.select_related("group", "activity__org")
    )
    tallies = ActivityTally.objects.filter(kind=ActivityKind.EXCHANGE)
    assert tallies.count() == townships.count() and not tallies.exclude(expected=0).exists()


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
