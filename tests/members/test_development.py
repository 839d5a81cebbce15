"""发展党员: every time limit at its boundary, the vote arithmetic, exceptions, and the
conversion into a roster member."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from members.choices import MemberCategory, MembershipReason, PartyStatus, RosterStatus
from members.dates import months_later
from members.development import services as dev
from members.development.rules import workdays
from members.development.selectors import development_counts
from members.idcard import make_id_number
from members.models import (
    CalendarDay,
    DevelopmentSettings,
    LeaveKind,
    Member,
    Recruit,
    Rule,
    Stage,
    Vote,
)
from members.services import member_update
from reports.changes import member_changes
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)
APPLIED = D(2024, 3, 15)
ACTIVIST = D(2024, 4, 20)
CANDIDATE = D(2025, 4, 21)
VOTE = D(2025, 6, 10)
BORN = D(2000, 5, 1)
NOTICE = (D(2025, 6, 2), D(2025, 6, 6))  # Monday to Friday
TRAINING = (D(2025, 5, 12), D(2025, 5, 14))
COUNTS = {
    "entitled": 20,
    "present": 15,
    "in_favour": 13,
    "against": 1,
    "abstained": 1,
    "written_in_favour": 0,
    "written_against": 0,
    "written_abstained": 0,
}


def counts(**changed) -> dict:
    return {**COUNTS, **changed}


def full_member(tree, **fields) -> Member:
    return MemberFactory(branch=tree.village_a, joined_on=D(2010, 7, 1), **fields)


def applicant(tree, *, applied_on=APPLIED, born=BORN) -> Recruit:
    return dev.recruit_apply(
        name="张晓红",
        id_number=make_id_number("110105", born, 12),
        branch=tree.village_a,
        group=tree.group_a1,
        applied_on=applied_on,
    )


def activist(tree) -> Recruit:
    recruit = applicant(tree)
    dev.recruit_talk(recruit=recruit, talk_on=APPLIED + 10 * DAY, talk_by="李支书")
    return dev.recruit_designate_activist(
        recruit=recruit,
        activist_on=ACTIVIST,
        activist_how=Recruit.ActivistHow.RECOMMENDED,
        activist_committee_on=ACTIVIST,
        activist_filed_on=ACTIVIST + 5 * DAY,
        contact_1=full_member(tree),
    )


def candidate(tree) -> Recruit:
    recruit = activist(tree)
    for day in (D(2024, 10, 15), D(2025, 4, 10)):
        dev.recruit_assess(recruit=recruit, on=day, outcome="good")
    return dev.recruit_designate_candidate(
        recruit=recruit,
        candidate_on=CANDIDATE,
        candidate_filed_on=CANDIDATE + DAY,
        introducer_1=full_member(tree),
        introducer_2=full_member(tree),
    )


def ready(tree, *, notice=NOTICE, training=TRAINING):
    recruit = candidate(tree)
    dev.recruit_review(recruit=recruit, review_on=D(2025, 5, 10), review_conclusion="合格")
    dev.recruit_train(
        recruit=recruit,
        training_from=training[0],
        training_to=training[1],
        training_hours=24,
        training_passed=True,
    )
    dev.recruit_prepare(
        recruit=recruit,
        committee_review_on=D(2025, 5, 20),
        prereview_on=D(2025, 5, 25),
        notice_from=notice[0],
        notice_to=notice[1],
    )
    return recruit


def admitted(tree) -> Recruit:
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
    dev.recruit_approve_admission(recruit=recruit, approved_on=D(2025, 7, 1))
    recruit.refresh_from_db()
    return recruit


def waive(recruit, rule):
    return dev.waiver_record(
        recruit=recruit,
        rule=rule,
        reason="因公外派，经县委组织部研究同意",
        document_number="县组通〔2025〕12号",
        user=UserFactory(),
    )


def refused(match: str):
    return pytest.raises(ValidationError, match=match)


# --- 入党申请人 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("applied_on", "ok"), [(D(2024, 5, 31), False), (D(2024, 6, 1), True), (D(2024, 6, 2), True)]
)
def test_an_applicant_is_eighteen_on_the_day_of_the_application(tree, applied_on, ok):
    if ok:
        assert applicant(tree, applied_on=applied_on, born=D(2006, 6, 1)).stage == Stage.APPLICANT
    else:
        with refused("年满十八周岁.*2024年6月1日才满十八周岁"):
            applicant(tree, applied_on=applied_on, born=D(2006, 6, 1))
        assert not Recruit.objects.exists()


def test_a_member_on_the_roster_or_a_person_already_in_the_procedure_is_refused(tree):
    member = full_member(tree)
    with refused("已是在册党员"):
        dev.recruit_apply(
            name=member.name, id_number=member.id_number, branch=tree.village_a, applied_on=APPLIED
        )
    applicant(tree)
    with refused("已在发展党员程序中"):
        applicant(tree)


@pytest.mark.parametrize(
    ("talk_on", "ok"), [(D(2024, 4, 14), True), (D(2024, 4, 15), True), (D(2024, 4, 16), False)]
)
def test_the_talk_is_within_a_month_of_the_application(tree, talk_on, ok):
    recruit = applicant(tree)
    if ok:
        dev.recruit_talk(recruit=recruit, talk_on=talk_on, talk_by="李支书")
        assert Recruit.objects.get().talk_on == talk_on
    else:
        with refused("一个月内派人谈话.*应在2024年4月15日前谈话，谈话日期为2024年4月16日"):
            dev.recruit_talk(recruit=recruit, talk_on=talk_on, talk_by="李支书")
        assert Recruit.objects.get().talk_on is None


def test_a_talk_before_the_application_is_refused_even_with_an_exception(tree):
    recruit = applicant(tree)
    waive(recruit, Rule.TALK)
    with refused("谈话日期不能早于递交入党申请书日期（2024年3月15日）"):
        dev.recruit_talk(recruit=recruit, talk_on=APPLIED - DAY, talk_by="李支书")


def test_an_exception_recorded_by_the_county_lets_a_late_talk_through(tree):
    recruit = applicant(tree)
    waiver = waive(recruit, Rule.TALK)
    dev.recruit_talk(recruit=recruit, talk_on=D(2024, 6, 1), talk_by="李支书")
    assert Recruit.objects.get().talk_on == D(2024, 6, 1)
    assert recruit.waivers.get() == waiver
    assert "县组通〔2025〕12号" in str(waiver)


def test_the_age_and_order_rules_cannot_be_waived(tree):
    recruit = applicant(tree)
    with refused("不能记录例外"):
        waive(recruit, Rule.AGE)


# --- 入党积极分子 --------------------------------------------------------------------------


def test_an_activist_needs_the_talk_and_a_full_member_as_contact(tree):
    recruit = applicant(tree)
    probationary = full_member(tree, category=MemberCategory.PROBATIONARY)
    designate = {
        "recruit": recruit,
        "activist_on": ACTIVIST,
        "activist_how": "recommended",
        "activist_committee_on": ACTIVIST,
        "activist_filed_on": None,
    }
    with refused("须先与申请人谈话"):
        dev.recruit_designate_activist(**designate, contact_1=full_member(tree))
    dev.recruit_talk(recruit=recruit, talk_on=APPLIED + DAY, talk_by="李支书")
    with refused(f"培养联系人须由正式党员担任，{probationary.name}是预备党员"):
        dev.recruit_designate_activist(**designate, contact_1=probationary)
    suspended = full_member(tree)
    member_update(member=suspended, party_status=PartyStatus.SUSPENDED)
    with refused("党籍正常"):
        dev.recruit_designate_activist(**designate, contact_1=suspended)
    contact = full_member(tree)
    with refused("不能是同一人"):
        dev.recruit_designate_activist(**designate, contact_1=contact, contact_2=contact)
    dev.recruit_designate_activist(**designate, contact_1=contact)
    assert Recruit.objects.get().stage == Stage.ACTIVIST


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2024, 10, 19), True), (D(2024, 10, 20), True), (D(2024, 10, 21), False)]
)
def test_assessments_are_at_most_six_months_apart(tree, on, ok):
    recruit = activist(tree)
    if ok:
        dev.recruit_assess(recruit=recruit, on=on, outcome="good")
        assert recruit.assessments.count() == 1
    else:
        with refused("每半年至少考察一次.*应在2024年10月20日前考察"):
            dev.recruit_assess(recruit=recruit, on=on, outcome="good")
        assert not recruit.assessments.exists()


def _designate_candidate(tree, recruit, on):
    return dev.recruit_designate_candidate(
        recruit=recruit,
        candidate_on=on,
        candidate_filed_on=None,
        introducer_1=full_member(tree),
        introducer_2=full_member(tree),
    )


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2025, 4, 19), False), (D(2025, 4, 20), True), (D(2025, 4, 21), True)]
)
def test_a_candidate_has_been_an_activist_for_a_year(tree, on, ok):
    recruit = activist(tree)
    for day in (D(2024, 10, 15), D(2025, 4, 10)):
        dev.recruit_assess(recruit=recruit, on=day, outcome="fair")
    if ok:
        assert _designate_candidate(tree, recruit, on).stage == Stage.CANDIDATE
    else:
        with refused("一年以上培养教育.*最早2025年4月20日可确定为发展对象"):
            _designate_candidate(tree, recruit, on)
        assert Recruit.objects.get().stage == Stage.ACTIVIST


def test_a_candidate_without_the_half_yearly_assessments_is_refused_until_waived(tree):
    recruit = activist(tree)
    dev.recruit_assess(recruit=recruit, on=D(2024, 10, 15), outcome="good")
    with refused("每半年至少考察一次：2024年10月15日之后应在2025年4月15日前考察"):
        _designate_candidate(tree, recruit, CANDIDATE)
    waive(recruit, Rule.ASSESSMENT_GAP)
    assert _designate_candidate(tree, recruit, CANDIDATE).stage == Stage.CANDIDATE


def test_introducers_are_two_different_full_members(tree):
    recruit = activist(tree)
    for day in (D(2024, 10, 15), D(2025, 4, 10)):
        dev.recruit_assess(recruit=recruit, on=day, outcome="good")
    introducer = full_member(tree)
    with refused("两名不同的入党介绍人"):
        dev.recruit_designate_candidate(
            recruit=recruit,
            candidate_on=CANDIDATE,
            candidate_filed_on=None,
            introducer_1=introducer,
            introducer_2=introducer,
        )
    # Full from the day after the designation: still probationary on the day.
    later = full_member(tree, full_member_on=CANDIDATE + DAY)
    with refused("入党介绍人须由正式党员担任"):
        dev.recruit_designate_candidate(
            recruit=recruit,
            candidate_on=CANDIDATE,
            candidate_filed_on=None,
            introducer_1=introducer,
            introducer_2=later,
        )
    # Full from that very day: a full member on the day.
    on_the_day = full_member(tree, full_member_on=CANDIDATE)
    dev.recruit_designate_candidate(
        recruit=recruit,
        candidate_on=CANDIDATE,
        candidate_filed_on=None,
        introducer_1=introducer,
        introducer_2=on_the_day,
    )
    assert Recruit.objects.get().introducer_2 == on_the_day


# --- 发展对象: training, 公示, the vote -----------------------------------------------------


@pytest.mark.parametrize(
    ("training", "hours", "ok"),
    [
        ((D(2025, 5, 12), D(2025, 5, 13)), 23, False),  # two days, 23 学时
        ((D(2025, 5, 12), D(2025, 5, 13)), 24, True),  # two days, 24 学时
        ((D(2025, 5, 12), D(2025, 5, 13)), 25, True),
        ((D(2025, 5, 12), D(2025, 5, 14)), 0, True),  # three days
        ((D(2025, 5, 12), D(2025, 5, 15)), 0, True),
    ],
)
def test_training_of_three_days_or_24_hours(tree, training, hours, ok):
    recruit = ready(tree, training=training)
    recruit.training_hours = hours
    recruit.save()
    if ok:
        vote = dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
        assert vote.decision == Vote.Decision.ADMIT
    else:
        with refused("不少于3天或24学时：2025年5月12日至2025年5月13日共2天、23学时"):
            dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
        assert not Vote.objects.exists()


def test_training_ends_before_the_vote(tree):
    recruit = ready(tree, training=(D(2025, 6, 8), D(2025, 6, 10)))
    with refused("集中培训须在支部大会前结束"):
        dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)


@pytest.mark.parametrize(
    ("notice_to", "ok"),
    # Monday 2 June 2025 on: five working days end on Friday 6 June.
    [(D(2025, 6, 5), False), (D(2025, 6, 6), True), (D(2025, 6, 9), True)],
)
def test_the_notice_lasts_five_working_days(tree, notice_to, ok):
    recruit = ready(tree, notice=(D(2025, 6, 2), notice_to))
    if ok:
        assert dev.recruit_admission_vote(recruit=recruit, held_on=D(2025, 6, 10), **COUNTS)
    else:
        with refused("公示期不少于5个工作日：2025年6月2日至2025年6月5日只有4个工作日"):
            dev.recruit_admission_vote(recruit=recruit, held_on=D(2025, 6, 10), **COUNTS)


def test_the_working_days_follow_the_countys_calendar_and_setting(tree):
    assert workdays(D(2025, 6, 2), D(2025, 6, 8)) == 5
    CalendarDay.objects.create(day=D(2025, 6, 2), workday=False, note="端午节")
    CalendarDay.objects.create(day=D(2025, 6, 7), workday=True, note="调休上班")
    assert workdays(D(2025, 6, 2), D(2025, 6, 8)) == 5
    CalendarDay.objects.create(day=D(2025, 6, 3), workday=False, note="端午节")
    assert workdays(D(2025, 6, 2), D(2025, 6, 8)) == 4
    recruit = ready(tree, notice=(D(2025, 6, 2), D(2025, 6, 8)))
    with refused("只有4个工作日"):
        dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
    DevelopmentSettings.objects.create(notice_workdays=4)
    assert dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)


def test_the_notice_ends_before_the_vote(tree):
    recruit = ready(tree, notice=(D(2025, 6, 2), VOTE))
    with refused("公示须在支部大会前结束"):
        dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)


def test_the_vote_needs_the_review_and_the_prereview(tree):
    recruit = candidate(tree)
    with refused("须完成政治审查、支委会审查、上级党委预审"):
        dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)


@pytest.mark.parametrize(
    ("changed", "outcome"),
    [
        ({"present": 10, "in_favour": 10, "against": 0, "abstained": 0}, "不能作出决议"),
        ({"present": 11, "in_favour": 11, "against": 0, "abstained": 0}, Vote.Decision.ADMIT),
        # Exactly half of all 20 in favour: a tie is no majority.
        ({"present": 20, "in_favour": 10, "against": 10, "abstained": 0}, Vote.Decision.REJECT),
        # 11 of those present in favour, but the majority is of all 20 with a vote.
        ({"present": 12, "in_favour": 10, "against": 1, "abstained": 1}, Vote.Decision.REJECT),
        # The written opinions of absent members count: 10 + 1 of 20.
        (
            {"present": 12, "in_favour": 10, "against": 1, "abstained": 1, "written_in_favour": 1},
            Vote.Decision.ADMIT,
        ),
        ({"present": 21}, "实到人数（21）不能多于应到人数（20）"),
        ({"present": 12, "in_favour": 12, "against": 1}, "赞成、反对、弃权共14票，多于实到人数12"),
        ({"present": 18, "written_in_favour": 3}, "书面意见3份，多于未到会的有表决权党员2名"),
    ],
)
def test_the_vote_arithmetic(tree, changed, outcome):
    recruit = ready(tree)
    if outcome in Vote.Decision.values:
        vote = dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **counts(**changed))
        assert vote.decision == outcome
    else:
        with refused(outcome):
            dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **counts(**changed))
        assert not Vote.objects.exists()


def test_a_rejected_candidate_stays_a_candidate_and_may_be_voted_on_again(tree):
    recruit = ready(tree)
    dev.recruit_admission_vote(
        recruit=recruit, held_on=VOTE, **counts(in_favour=9, against=6, abstained=0)
    )
    with refused("没有待审批的同意接收"):
        dev.recruit_approve_admission(recruit=recruit, approved_on=VOTE + DAY)
    assert Recruit.objects.get().stage == Stage.CANDIDATE
    assert dev.recruit_admission_vote(recruit=recruit, held_on=D(2025, 9, 1), **COUNTS).carried


# --- approval, the roster, 转正 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved_on", "ok"), [(D(2025, 9, 9), True), (D(2025, 9, 10), True), (D(2025, 9, 11), False)]
)
def test_the_higher_committee_approves_within_three_months(tree, approved_on, ok):
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
    if ok:
        dev.recruit_approve_admission(recruit=recruit, approved_on=approved_on)
        assert Recruit.objects.get().stage == Stage.PROBATIONARY
    else:
        with refused("三个月内审批.*应在2025年9月10日前审批，审批日期为2025年9月11日"):
            dev.recruit_approve_admission(recruit=recruit, approved_on=approved_on)
        assert not Member.objects.filter(id_number=recruit.id_number).exists()


def test_up_to_six_months_as_a_recorded_exception_and_never_beyond(tree):
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=VOTE, **COUNTS)
    waive(recruit, Rule.APPROVAL)
    with refused("最长不超过六个月.*2025年12月10日后不能再审批"):
        dev.recruit_approve_admission(recruit=recruit, approved_on=D(2025, 12, 11))
    dev.recruit_approve_admission(recruit=recruit, approved_on=D(2025, 12, 10))
    assert Recruit.objects.get().stage == Stage.PROBATIONARY


def test_the_approval_puts_a_probationary_member_on_the_roster_from_the_vote(tree):
    recruit = admitted(tree)
    member = recruit.member
    assert member.category == MemberCategory.PROBATIONARY
    assert (member.joined_on, member.branch, member.group) == (VOTE, tree.village_a, tree.group_a1)
    assert (member.name, member.id_number, member.birth_date) == (
        recruit.name,
        recruit.id_number,
        recruit.birth_date,
    )
    row = member.memberships.get()
    assert (row.started_on, row.start_reason) == (VOTE, MembershipReason.ADMITTED)
    assert row.note == "2025年6月10日支部大会接收为预备党员，2025年7月1日上级党委批准"
    assert member.recruit == recruit
    assert (recruit.admitted_on, recruit.admission_approved_on) == (VOTE, D(2025, 7, 1))
    assert recruit.probation_ends_on == D(2026, 6, 10)


def _confirm(recruit, held_on, decision=Vote.Decision.CONFIRM, **extra):
    return dev.recruit_confirmation_vote(
        recruit=recruit, held_on=held_on, decision=decision, **extra, **COUNTS
    )


@pytest.mark.parametrize(
    ("held_on", "ok"), [(D(2026, 6, 9), False), (D(2026, 6, 10), True), (D(2026, 6, 11), True)]
)
def test_confirmation_is_discussed_when_probation_ends(tree, held_on, ok):
    recruit = admitted(tree)
    dev.recruit_confirm_apply(recruit=recruit, confirm_applied_on=D(2026, 5, 20))
    if ok:
        assert _confirm(recruit, held_on).decision == Vote.Decision.CONFIRM
    else:
        with refused("预备期满后方可讨论转正：预备期至2026年6月10日满"):
            _confirm(recruit, held_on)


def test_a_full_member_from_the_day_probation_ended_not_the_meeting_or_approval(tree):
    recruit = admitted(tree)
    with refused("请先登记转正申请"):
        _confirm(recruit, D(2026, 6, 20))
    dev.recruit_confirm_apply(recruit=recruit, confirm_applied_on=D(2026, 5, 20))
    _confirm(recruit, D(2026, 6, 20))
    dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2026, 7, 15))
    recruit.refresh_from_db()
    member = Member.objects.get(pk=recruit.member_id)
    assert (recruit.stage, recruit.full_on) == (Stage.FULL, D(2026, 6, 10))
    assert (member.category, member.full_member_on) == (MemberCategory.FULL, D(2026, 6, 10))


@pytest.mark.parametrize(("months", "ok"), [(5, False), (6, True), (12, True), (13, False)])
def test_probation_is_extended_by_six_to_twelve_months(tree, months, ok):
    recruit = admitted(tree)
    if ok:
        _confirm(recruit, D(2026, 6, 12), Vote.Decision.EXTEND, extension_months=months)
        dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2026, 7, 1))
        recruit.refresh_from_db()
        assert recruit.stage == Stage.PROBATIONARY
        assert recruit.probation_ends_on == months_later(D(2026, 6, 10), months)
    else:
        with refused("最短6个月，最长12个月"):
            _confirm(recruit, D(2026, 6, 12), Vote.Decision.EXTEND, extension_months=months)


def test_probation_is_extended_once_and_then_confirmed_at_its_new_end(tree):
    recruit = admitted(tree)
    _confirm(recruit, D(2026, 6, 12), Vote.Decision.EXTEND, extension_months=6)
    dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2026, 7, 1))
    recruit.refresh_from_db()
    with refused("预备期只能延长一次"):
        _confirm(recruit, D(2026, 12, 12), Vote.Decision.EXTEND, extension_months=6)
    dev.recruit_confirm_apply(recruit=recruit, confirm_applied_on=D(2026, 11, 20))
    with refused("预备期至2026年12月10日满"):
        _confirm(recruit, D(2026, 12, 9))
    _confirm(recruit, D(2026, 12, 10))
    dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2027, 1, 5))
    assert Member.objects.get(pk=recruit.member_id).full_member_on == D(2026, 12, 10)


def test_a_cancelled_probation_takes_the_person_off_the_roster(tree):
    recruit = admitted(tree)
    _confirm(recruit, D(2026, 3, 1), Vote.Decision.CANCEL)
    dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2026, 3, 20))
    recruit.refresh_from_db()
    member = Member.objects.get(pk=recruit.member_id)
    assert (recruit.stage, recruit.left_kind) == (Stage.LEFT, LeaveKind.CANCELLED)
    assert (member.roster_status, member.left_on) == (RosterStatus.CANCELLED, D(2026, 3, 20))
    assert member.memberships.get().end_reason == MembershipReason.CANCELLED


def test_a_confirmation_vote_without_a_majority_is_refused(tree):
    recruit = admitted(tree)
    dev.recruit_confirm_apply(recruit=recruit, confirm_applied_on=D(2026, 5, 20))
    with refused("半数以上赞成：应到20名，赞成10票"):
        dev.recruit_confirmation_vote(
            recruit=recruit,
            held_on=D(2026, 6, 12),
            decision=Vote.Decision.CONFIRM,
            **counts(present=15, in_favour=10, against=5, abstained=0),
        )


# --- leaving, and the counts as of a date -----------------------------------------------------


def test_leaving_the_procedure_by_stage(tree):
    recruit = activist(tree)
    with refused("不能以「撤回申请」退出|不能以「不再列为发展对象」退出"):
        dev.recruit_leave(
            recruit=recruit,
            left_on=D(2024, 6, 1),
            left_kind=LeaveKind.NOT_ADMITTED,
            left_reason="x",
        )
    with refused("退出日期不能早于最近一步的日期（2024年4月20日）"):
        dev.recruit_leave(
            recruit=recruit, left_on=D(2024, 4, 1), left_kind=LeaveKind.DROPPED, left_reason="外出"
        )
    dev.recruit_leave(
        recruit=recruit, left_on=D(2024, 6, 1), left_kind=LeaveKind.DROPPED, left_reason="长期外出"
    )
    assert Recruit.objects.get().stage == Stage.LEFT


def test_the_counts_come_from_the_dates(tree):
    recruit = admitted(tree)
    other = dev.recruit_apply(
        name="王建军",
        id_number=make_id_number("110105", D(1998, 1, 1), 31),
        branch=tree.village_b,
        applied_on=D(2025, 1, 10),
    )
    dev.recruit_leave(
        recruit=other, left_on=D(2025, 3, 1), left_kind=LeaveKind.WITHDRAWN, left_reason="本人撤回"
    )

    def at(node, day):
        return development_counts(node=node, on=day)

    assert at(tree.county, D(2024, 4, 1))["applicants"] == 1
    assert at(tree.county, D(2024, 4, 20)) == {
        "applicants": 0,
        "activists": 1,
        "candidates": 0,
        "admitted": 0,
        "confirmed": 0,
    }
    assert at(tree.county, D(2025, 2, 1))["applicants"] == 1
    assert at(tree.township_b, D(2025, 3, 1))["applicants"] == 0
    assert at(tree.township_a, D(2025, 6, 9))["candidates"] == 1
    after = at(tree.township_a, D(2025, 12, 31))
    assert (after["candidates"], after["admitted"]) == (0, 1)
    assert at(tree.township_b, D(2025, 12, 31))["admitted"] == 0
    assert recruit.stage == Stage.PROBATIONARY


def test_the_changes_report_counts_the_admission_and_the_cancellation(tree):
    recruit = admitted(tree)
    changes = member_changes(node=tree.township_a, year=2025, today=D(2025, 12, 31))
    assert changes.total.flows["developed"] == 1
    assert changes.total.closes
    _confirm(recruit, D(2026, 3, 1), Vote.Decision.CANCEL)
    dev.recruit_approve_confirmation(recruit=recruit, approved_on=D(2026, 3, 20))
    changes = member_changes(node=tree.township_a, year=2026, today=D(2026, 12, 31))
    assert changes.total.flows["cancelled"] == 1
    assert changes.total.closes
