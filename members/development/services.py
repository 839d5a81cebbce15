"""Writes of the 发展党员 procedure: one function per step, each checking its rules.

A step that breaks a time limit is refused with the rule and the dates
(``members.development.rules``) unless the county recorded an exception for
that person and rule (``waiver_record``). Steps out of order – a vote for an
applicant, a second extension – are refused outright. The approval of an
admission puts the person on the roster (``members.services.member_create``),
the approval of 转正 makes them a full member from the day probation ended.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from branches.models import Organization
from members import services as roster
from members.choices import MemberCategory, MembershipReason, PartyStatus, RosterStatus
from members.dates import months_later
from members.development import rules
from members.development.rules import ymd
from members.idcard import IdNumberError, parse_id_number
from members.models import (
    Assessment,
    DevelopmentPlan,
    DevelopmentSettings,
    LeaveKind,
    Member,
    Recruit,
    Rule,
    Stage,
    Vote,
    Waiver,
)

# What a county may waive for one person; the others are what a valid record is.
WAIVABLE = (
    Rule.TALK,
    Rule.ACTIVIST_YEAR,
    Rule.ASSESSMENT_GAP,
    Rule.TRAINING,
    Rule.NOTICE,
    Rule.APPROVAL,
    Rule.PROBATION,
)
# Which ways of leaving each stage allows.
LEAVE_KINDS = {
    Stage.APPLICANT: (LeaveKind.WITHDRAWN,),
    Stage.ACTIVIST: (LeaveKind.DROPPED, LeaveKind.WITHDRAWN),
    Stage.CANDIDATE: (LeaveKind.NOT_ADMITTED, LeaveKind.WITHDRAWN),
}


def _refuse_unless_waived(recruit: Recruit, findings: list[rules.Finding]) -> None:
    if not findings:
        return
    waived = set(recruit.waivers.values_list("rule", flat=True)) if recruit.pk else set()
    refused = [message for rule, message in findings if rule not in waived]
    if refused:
        raise ValidationError(refused)


def _in_order(later: datetime.date, earlier: datetime.date | None, what: str) -> None:
    """*what* names both dates: "谈话日期不能早于递交申请书日期（…）"."""
    if earlier is not None and later < earlier:
        raise ValidationError(f"{what}（{ymd(earlier)}）。")


def _at(recruit: Recruit, *stages: str) -> None:
    if recruit.stage not in stages:
        raise ValidationError(
            f"{recruit.name}目前是{recruit.get_stage_display()}，不能办理这一步。"
        )


def full_member_check(member: Member | None, on: datetime.date, role: str) -> None:
    """培养联系人 and 入党介绍人 are full members in good standing on the day."""
    if member is None:
        raise ValidationError(f"请选择{role}。")
    full = member.category == MemberCategory.FULL and (
        member.full_member_on is None or member.full_member_on <= on
    )
    if not full:
        raise ValidationError(f"{role}须由正式党员担任，{member.name}是预备党员。")
    if member.roster_status != RosterStatus.ACTIVE or member.party_status != PartyStatus.NORMAL:
        raise ValidationError(f"{role}须是党籍正常的在册正式党员，{member.name}不是。")


def _saved(recruit: Recruit) -> Recruit:
    recruit.full_clean()
    recruit.save()
    return recruit


@transaction.atomic
def recruit_apply(
    *,
    name: str,
    id_number: str,
    branch: Organization,
    group: Organization | None = None,
    applied_on: datetime.date,
    **fields: Any,
) -> Recruit:
    """A new 入党申请人: 18 or older on the day the application was received."""
    try:
        info = parse_id_number(id_number)
    except IdNumberError as exc:
        raise ValidationError({"id_number": str(exc)}) from exc
    if Member.objects.active().filter(id_number=info.number).exists():
        raise ValidationError({"id_number": "该身份证号已是在册党员。"})
    for _rule, message in rules.age(info.birth_date, applied_on):
        raise ValidationError({"applied_on": message})
    recruit = Recruit(
        name=name,
        id_number=info.number,
        sex=info.sex,
        birth_date=info.birth_date,
        branch=branch,
        group=group,
        applied_on=applied_on,
        stage=Stage.APPLICANT,
        **fields,
    )
    return _saved(recruit)


@transaction.atomic
def recruit_talk(*, recruit: Recruit, talk_on: datetime.date, talk_by: str) -> Recruit:
    _at(recruit, Stage.APPLICANT)
    _in_order(talk_on, recruit.applied_on, "谈话日期不能早于递交入党申请书日期")
    _refuse_unless_waived(recruit, rules.talk(recruit.applied_on, talk_on))
    recruit.talk_on, recruit.talk_by = talk_on, talk_by
    return _saved(recruit)


@transaction.atomic
def recruit_designate_activist(
    *,
    recruit: Recruit,
    activist_on: datetime.date,
    activist_how: str,
    activist_committee_on: datetime.date,
    activist_filed_on: datetime.date | None,
    contact_1: Member,
    contact_2: Member | None = None,
) -> Recruit:
    _at(recruit, Stage.APPLICANT)
    if recruit.talk_on is None:
        raise ValidationError("确定入党积极分子前须先与申请人谈话，请先登记谈话。")
    _in_order(activist_committee_on, recruit.talk_on, "支委会研究日期不能早于谈话日期")
    _in_order(activist_on, activist_committee_on, "确定为入党积极分子日期不能早于支委会研究日期")
    if activist_filed_on is not None:
        _in_order(activist_filed_on, activist_on, "备案日期不能早于确定为入党积极分子日期")
    full_member_check(contact_1, activist_on, "培养联系人")
    if contact_2 is not None:
        if contact_2 == contact_1:
            raise ValidationError("两名培养联系人不能是同一人。")
        full_member_check(contact_2, activist_on, "培养联系人")
    recruit.activist_on, recruit.activist_how = activist_on, activist_how
    recruit.activist_committee_on, recruit.activist_filed_on = (
        activist_committee_on,
        activist_filed_on,
    )
    recruit.contact_1, recruit.contact_2 = contact_1, contact_2
    recruit.stage = Stage.ACTIVIST
    return _saved(recruit)


@transaction.atomic
def recruit_assess(
    *, recruit: Recruit, on: datetime.date, outcome: str, note: str = ""
) -> Assessment:
    """A half-yearly 考察: at most six months after the designation or the last one."""
    _at(recruit, Stage.ACTIVIST, Stage.CANDIDATE)
    _in_order(on, recruit.activist_on, "考察日期不能早于确定为入党积极分子日期")
    earlier = [a for a in recruit.assessments.values_list("on", flat=True) if a < on]
    _refuse_unless_waived(recruit, rules.assessment_gaps(recruit.activist_on, earlier, on))
    assessment = Assessment(recruit=recruit, on=on, outcome=outcome, note=note)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def recruit_designate_candidate(
    *,
    recruit: Recruit,
    candidate_on: datetime.date,
    candidate_filed_on: datetime.date | None,
    introducer_1: Member,
    introducer_2: Member,
) -> Recruit:
    _at(recruit, Stage.ACTIVIST)
    _in_order(candidate_on, recruit.activist_on, "确定为发展对象日期不能早于确定为入党积极分子日期")
    if candidate_filed_on is not None:
        _in_order(candidate_filed_on, candidate_on, "备案日期不能早于确定为发展对象日期")
    assessed = list(recruit.assessments.filter(on__lte=candidate_on).values_list("on", flat=True))
    _refuse_unless_waived(
        recruit,
        rules.activist_year(recruit.activist_on, candidate_on)
        + rules.assessment_gaps(recruit.activist_on, assessed, candidate_on),
    )
    if introducer_1 == introducer_2:
        raise ValidationError("须有两名不同的入党介绍人。")
    full_member_check(introducer_1, candidate_on, "入党介绍人")
    full_member_check(introducer_2, candidate_on, "入党介绍人")
    recruit.candidate_on, recruit.candidate_filed_on = candidate_on, candidate_filed_on
    recruit.introducer_1, recruit.introducer_2 = introducer_1, introducer_2
    recruit.stage = Stage.CANDIDATE
    return _saved(recruit)


@transaction.atomic
def recruit_review(
    *, recruit: Recruit, review_on: datetime.date, review_conclusion: str
) -> Recruit:
    """政治审查 of a 发展对象."""
    _at(recruit, Stage.CANDIDATE)
    _in_order(review_on, recruit.candidate_on, "政治审查日期不能早于确定为发展对象日期")
    recruit.review_on, recruit.review_conclusion = review_on, review_conclusion
    return _saved(recruit)


@transaction.atomic
def recruit_train(
    *,
    recruit: Recruit,
    training_from: datetime.date,
    training_to: datetime.date,
    training_hours: int | None,
    training_passed: bool,
) -> Recruit:
    """The concentrated training; its length is checked against the vote."""
    _at(recruit, Stage.CANDIDATE)
    _in_order(training_to, training_from, "培训结束日期不能早于开始日期")
    _in_order(training_from, recruit.activist_on, "培训开始日期不能早于确定为入党积极分子日期")
    recruit.training_from, recruit.training_to = training_from, training_to
    recruit.training_hours, recruit.training_passed = training_hours, training_passed
    return _saved(recruit)


@transaction.atomic
def recruit_prepare(
    *,
    recruit: Recruit,
    committee_review_on: datetime.date,
    prereview_on: datetime.date | None,
    notice_from: datetime.date | None,
    notice_to: datetime.date | None,
) -> Recruit:
    """支委会审查, the higher committee's 预审 and the 公示 before the vote."""
    _at(recruit, Stage.CANDIDATE)
    _in_order(committee_review_on, recruit.candidate_on, "支委会审查日期不能早于确定为发展对象日期")
    if prereview_on is not None:
        _in_order(prereview_on, committee_review_on, "预审日期不能早于支委会审查日期")
    if (notice_from is None) != (notice_to is None):
        raise ValidationError("公示须同时填写开始和结束日期。")
    if notice_from is not None:
        _in_order(notice_to, notice_from, "公示结束日期不能早于开始日期")
        _in_order(notice_from, recruit.candidate_on, "公示开始日期不能早于确定为发展对象日期")
    recruit.committee_review_on, recruit.prereview_on = committee_review_on, prereview_on
    recruit.notice_from, recruit.notice_to = notice_from, notice_to
    return _saved(recruit)


def _checked_counts(counts: dict[str, int]) -> None:
    """The meeting's counts add up, and the meeting could decide (quorum)."""
    entitled, present = counts["entitled"], counts["present"]
    if present > entitled:
        raise ValidationError(f"实到人数（{present}）不能多于应到人数（{entitled}）。")
    ballots = counts["in_favour"] + counts["against"] + counts["abstained"]
    if ballots > present:
        raise ValidationError(f"赞成、反对、弃权共{ballots}票，多于实到人数{present}。")
    written = counts["written_in_favour"] + counts["written_against"] + counts["written_abstained"]
    if written > entitled - present:
        raise ValidationError(
            f"书面意见{written}份，多于未到会的有表决权党员{entitled - present}名。"
        )
    if present * 2 <= entitled:
        raise ValidationError(
            f"有表决权的到会人数须超过应到会有表决权人数的半数：应到{entitled}名，"
            f"实到{present}名，会议不能作出决议。"
        )


def _unapproved(recruit: Recruit, purpose: str) -> Vote | None:
    """The resolution awaiting the higher committee (a rejection awaits nothing)."""
    votes = recruit.votes.filter(purpose=purpose, approved_on__isnull=True)
    return votes.exclude(decision=Vote.Decision.REJECT).last()


@transaction.atomic
def recruit_admission_vote(*, recruit: Recruit, held_on: datetime.date, **counts: int) -> Vote:
    """The 支部大会 on admitting a 发展对象: recorded whether it carries or not."""
    _at(recruit, Stage.CANDIDATE)
    if _unapproved(recruit, Vote.Purpose.ADMIT) is not None:
        raise ValidationError("上一次支部大会的决议尚未审批。")
    missing = [
        label
        for label, day in (
            ("政治审查", recruit.review_on),
            ("支委会审查", recruit.committee_review_on),
            ("上级党委预审", recruit.prereview_on),
        )
        if day is None
    ]
    if missing:
        raise ValidationError(f"提交支部大会讨论前须完成{'、'.join(missing)}。")
    _in_order(held_on, recruit.prereview_on, "支部大会日期不能早于上级党委预审日期")
    needed = DevelopmentSettings.current().notice_workdays
    _refuse_unless_waived(
        recruit,
        rules.training(
            recruit.training_from,
            recruit.training_to,
            recruit.training_hours,
            recruit.training_passed,
            held_on,
        )
        + rules.notice(recruit.notice_from, recruit.notice_to, held_on, needed),
    )
    _checked_counts(counts)
    vote = Vote(recruit=recruit, purpose=Vote.Purpose.ADMIT, held_on=held_on, **counts)
    vote.decision = Vote.Decision.ADMIT if vote.carried else Vote.Decision.REJECT
    vote.full_clean()
    vote.save()
    return vote


def _approval_allowed(recruit: Recruit, vote: Vote, approved_on: datetime.date) -> None:
    _in_order(approved_on, vote.held_on, "审批日期不能早于支部大会日期")
    latest = months_later(vote.held_on, rules.APPROVAL_MONTHS_SPECIAL)
    if approved_on > latest:
        raise ValidationError(
            f"上级党委审批最长不超过六个月：{ymd(vote.held_on)}开会，{ymd(latest)}后不能再审批。"
        )
    _refuse_unless_waived(recruit, rules.approval(vote.held_on, approved_on))


@transaction.atomic
def recruit_approve_admission(*, recruit: Recruit, approved_on: datetime.date) -> Member:
    """The higher committee approves: the person joins the roster as a 预备党员 from the vote."""
    _at(recruit, Stage.CANDIDATE)
    vote = _unapproved(recruit, Vote.Purpose.ADMIT)
    if vote is None or vote.decision != Vote.Decision.ADMIT:
        raise ValidationError("没有待审批的同意接收的支部大会决议。")
    _approval_allowed(recruit, vote, approved_on)
    vote.approved_on = approved_on
    vote.save(update_fields=["approved_on"])
    member = roster.member_create(
        name=recruit.name,
        id_number=recruit.id_number,
        branch=recruit.branch,
        group=recruit.group,
        started_on=vote.held_on,
        start_reason=MembershipReason.ADMITTED,
        sex=recruit.sex,
        birth_date=recruit.birth_date,
        ethnicity=recruit.ethnicity,
        education=recruit.education,
        occupation=recruit.occupation,
        mobile_phone=recruit.mobile_phone,
        category=MemberCategory.PROBATIONARY,
        joined_on=vote.held_on,
        note=f"{ymd(vote.held_on)}支部大会接收为预备党员，{ymd(approved_on)}上级党委批准",
    )
    recruit.member, recruit.stage = member, Stage.PROBATIONARY
    recruit.admitted_on, recruit.admission_approved_on = vote.held_on, approved_on
    return _saved(recruit)


@transaction.atomic
def recruit_oath(*, recruit: Recruit, oath_on: datetime.date) -> Recruit:
    _at(recruit, Stage.PROBATIONARY)
    _in_order(oath_on, recruit.admission_approved_on, "入党宣誓日期不能早于上级党委审批日期")
    recruit.oath_on = oath_on
    return _saved(recruit)


@transaction.atomic
def recruit_confirm_apply(*, recruit: Recruit, confirm_applied_on: datetime.date) -> Recruit:
    _at(recruit, Stage.PROBATIONARY)
    _in_order(confirm_applied_on, recruit.admitted_on, "转正申请日期不能早于接收为预备党员日期")
    recruit.confirm_applied_on = confirm_applied_on
    return _saved(recruit)


@transaction.atomic
def recruit_confirmation_vote(
    *,
    recruit: Recruit,
    held_on: datetime.date,
    decision: str,
    extension_months: int | None = None,
    **counts: int,
) -> Vote:
    """The 支部大会 at the end of probation: 转正, an extension (once, 6–12 months) or
    取消预备党员资格. A resolution that does not carry is refused: the meeting decides
    again."""
    _at(recruit, Stage.PROBATIONARY)
    if _unapproved(recruit, Vote.Purpose.CONFIRM) is not None:
        raise ValidationError("上一次支部大会的决议尚未审批。")
    _in_order(held_on, recruit.admitted_on, "支部大会日期不能早于接收为预备党员日期")
    if decision == Vote.Decision.EXTEND:
        if recruit.extended_months:
            raise ValidationError("预备期只能延长一次。")
        low, high = rules.EXTENSION_MONTHS
        if extension_months is None or not low <= extension_months <= high:
            raise ValidationError(f"延长预备期最短{low}个月，最长{high}个月。")
    else:
        extension_months = None
    if decision == Vote.Decision.CONFIRM and recruit.confirm_applied_on is None:
        raise ValidationError("预备党员转正须本人提出书面申请，请先登记转正申请。")
    if decision in (Vote.Decision.CONFIRM, Vote.Decision.EXTEND):
        _refuse_unless_waived(recruit, rules.probation(recruit.probation_ends_on, held_on))
    elif decision != Vote.Decision.CANCEL:
        raise ValidationError("请选择决议。")
    _checked_counts(counts)
    vote = Vote(
        recruit=recruit,
        purpose=Vote.Purpose.CONFIRM,
        held_on=held_on,
        decision=decision,
        extension_months=extension_months,
        **counts,
    )
    if not vote.carried:
        raise ValidationError(
            f"决议须经应到会有表决权党员的半数以上赞成：应到{vote.entitled}名，"
            f"赞成{vote.votes_for}票（含书面意见），未获通过。"
        )
    vote.full_clean()
    vote.save()
    return vote


@transaction.atomic
def recruit_approve_confirmation(*, recruit: Recruit, approved_on: datetime.date) -> Recruit:
    """The higher committee approves the 转正 decision. A full member from the day
    probation ended; an extension moves that day; a cancellation takes the person off
    the roster."""
    _at(recruit, Stage.PROBATIONARY)
    vote = _unapproved(recruit, Vote.Purpose.CONFIRM)
    if vote is None:
        raise ValidationError("没有待审批的转正决议。")
    _approval_allowed(recruit, vote, approved_on)
    vote.approved_on = approved_on
    vote.save(update_fields=["approved_on"])
    member = Member.objects.select_for_update().get(pk=recruit.member_id)
    if vote.decision == Vote.Decision.CONFIRM:
        recruit.full_on, recruit.stage = recruit.probation_ends_on, Stage.FULL
        roster.member_update(
            member=member, category=MemberCategory.FULL, full_member_on=recruit.full_on
        )
    elif vote.decision == Vote.Decision.EXTEND:
        recruit.extended_months = vote.extension_months
    else:
        roster.member_leave(
            member=member,
            status=RosterStatus.CANCELLED,
            on=approved_on,
            reason=f"{ymd(vote.held_on)}支部大会决定取消预备党员资格，{ymd(approved_on)}批准",
        )
        recruit.stage, recruit.left_on = Stage.LEFT, approved_on
        recruit.left_kind = LeaveKind.CANCELLED
        recruit.left_reason = "支部大会决定取消预备党员资格"
    return _saved(recruit)


@transaction.atomic
def recruit_leave(
    *, recruit: Recruit, left_on: datetime.date, left_kind: str, left_reason: str
) -> Recruit:
    """撤回申请, 不再列为积极分子 or 不再列为发展对象, with the reason."""
    _at(recruit, *LEAVE_KINDS)
    if left_kind not in LEAVE_KINDS[recruit.stage]:
        raise ValidationError(
            f"{recruit.get_stage_display()}不能以「{LeaveKind(left_kind).label}」退出。"
        )
    if not left_reason.strip():
        raise ValidationError({"left_reason": "请填写退出原因。"})
    latest = max(
        d
        for d in (recruit.applied_on, recruit.talk_on, recruit.activist_on, recruit.candidate_on)
        if d is not None
    )
    _in_order(left_on, latest, "退出日期不能早于最近一步的日期")
    recruit.stage, recruit.left_on = Stage.LEFT, left_on
    recruit.left_kind, recruit.left_reason = left_kind, left_reason
    return _saved(recruit)


@transaction.atomic
def waiver_record(
    *, recruit: Recruit, rule: str, reason: str, document_number: str, user
) -> Waiver:
    """The county's documented exception to one time limit for one person."""
    if rule not in WAIVABLE:
        raise ValidationError({"rule": "这项规定不能记录例外。"})
    waiver = Waiver(
        recruit=recruit,
        rule=rule,
        reason=reason,
        document_number=document_number,
        recorded_by=user,
    )
    waiver.full_clean()
    waiver.save()
    return waiver


PLAN_FIELDS = ("planned", "young", "farmers", "women")


@transaction.atomic
def plans_save(
    *, year: int, rows: list[tuple[Organization, dict]], existing: dict[int, DevelopmentPlan]
) -> None:
    """Each county unit's plan for *year*: set, changed, or removed when left blank."""
    for unit, data in rows:
        plan = existing.get(unit.pk)
        if data.get("planned") is None:
            if plan is not None:
                plan.delete()
            continue
        plan = plan or DevelopmentPlan(township=unit, year=year)
        for name in PLAN_FIELDS:
            setattr(plan, name, data.get(name))
        plan.full_clean()
        plan.save()
