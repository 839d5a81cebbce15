"""The demo's 发展党员: a pipeline in every township that obeys the rules, with the cases
a clerk's worklist shows, the roster members the admissions made, and the year's plan."""

import datetime

import pytest

from branches.models import Organization, OrgKind, User, county_unit_q
from members.choices import MemberCategory, MembershipReason
from members.dates import months_later
from members.development import rules
from members.development.selectors import development_work
from members.models import CalendarDay, DevelopmentPlan, Member, Recruit, Stage, Vote

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 30)


def _work():
    county = Organization.objects.get(kind=OrgKind.COUNTY)
    return development_work(user=User.objects.get(username="county"), root=county, today=TODAY)


def test_it_has_people_at_every_stage_in_every_township(demo):
    for township in Organization.objects.filter(kind=OrgKind.TOWNSHIP):
        people = Recruit.objects.filter(branch__path__startswith=township.path)
        stages = set(people.values_list("stage", flat=True))
        assert stages == set(Stage.values), township
        assert people.filter(stage=Stage.CANDIDATE).count() in range(2, 5)
        assert people.filter(stage=Stage.LEFT, left_kind="withdrawn").exists()
        waiting = people.filter(stage=Stage.APPLICANT, talk_on__isnull=True)
        assert waiting.filter(applied_on__lt=months_later(TODAY, -1)).count() == 1
        assert people.filter(stage=Stage.APPLICANT, talk_on__isnull=False).exists()


def test_its_worklist_has_each_case_a_clerk_meets(demo):
    items = _work().items
    cases = {(item.step, item.late) for item in items}
    assert {
        ("talk", True),  # applied over a month ago, no talk yet
        ("assess", True),  # last assessed over six months ago
        ("admit", False),  # a 公示 ending this week
        ("confirm", False),  # probation ending within 30 days
        ("confirm", True),  # probation ended with no decision
    } <= cases
    candidates = Recruit.objects.filter(stage=Stage.CANDIDATE)
    assert candidates.filter(training_passed=True, notice_from__isnull=True).exists()


def test_every_record_obeys_the_rules_the_services_apply(demo):
    recruits = Recruit.objects.prefetch_related("assessments", "votes").select_related(
        "contact_1", "introducer_1", "introducer_2", "member"
    )
    assert recruits.count() > 40
    for r in recruits:
        assert not rules.age(r.birth_date, r.applied_on)
        if r.talk_on:
            assert not rules.talk(r.applied_on, r.talk_on)
        if r.activist_on:
            assert r.contact_1.branch_id == r.branch_id
            assessed = [a.on for a in r.assessments.all()]
            until = r.candidate_on or max(assessed, default=r.activist_on)
            assert not rules.assessment_gaps(r.activist_on, assessed, until), r
        if r.candidate_on:
            assert not rules.activist_year(r.activist_on, r.candidate_on)
            assert {r.introducer_1.branch_id, r.introducer_2.branch_id} == {r.branch_id}
            assert r.introducer_1 != r.introducer_2
        if r.admitted_on:
            admit = next(v for v in r.votes.all() if v.purpose == Vote.Purpose.ADMIT)
            assert admit.carried and admit.approved_on <= months_later(r.admitted_on, 3)
            assert not rules.notice(r.notice_from, r.notice_to, r.admitted_on, 5)
            assert r.member.joined_on == r.admitted_on


def test_its_admissions_put_people_on_the_roster(demo):
    admitted = Recruit.objects.filter(member__isnull=False).select_related("member")
    assert admitted.filter(stage=Stage.PROBATIONARY).count() >= 4
    for r in admitted:
        full = r.stage == Stage.FULL
        assert r.member.category == (MemberCategory.FULL if full else MemberCategory.PROBATIONARY)
        assert r.member.memberships.get().start_reason == MembershipReason.ADMITTED
    became_full = admitted.filter(stage=Stage.FULL)
    assert became_full.exists()
    assert all(r.full_on.year == TODAY.year and r.full_on <= TODAY for r in became_full)
    # They joined in time for the year's meetings, which expect them.
    assert Member.objects.filter(
        pk__in=admitted.values("member"), attendance__isnull=False
    ).exists()


def test_it_plans_the_year_for_every_county_unit_and_knows_the_holidays(demo):
    units = Organization.objects.filter(county_unit_q())
    plans = DevelopmentPlan.objects.filter(year=TODAY.year)
    assert set(plans.values_list("township", flat=True)) == set(units.values_list("pk", flat=True))
    for plan in plans:
        assert 3 <= plan.planned <= 12
        assert max(plan.young, plan.farmers, plan.women) <= plan.planned
    holidays = CalendarDay.objects.filter(day__year=TODAY.year)
    assert holidays.filter(workday=False, day=datetime.date(2026, 2, 17)).exists()  # 春节
    assert holidays.filter(workday=True).exists()  # 调休
