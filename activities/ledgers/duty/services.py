"""Writes of the 设岗定责 ledger: a branch's duty posts set up, taken (认岗) and left
(离岗), and the work done on them logged (履职记录).

A 履职记录 also rewrites the member's derived 设岗定责履职 points in the same
transaction, so the statement never shows points its rows do not.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from activities.ledgers.services import day_label, not_after_today
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import DutyAssignment, DutyLog, DutyPost, TallyLedger
from activities.points.ledgers import duty_log_points_refresh
from branches.models import Organization, OrgKind
from members.models import Member


@transaction.atomic
def duty_post_create(
    *, org: Organization, name: str, duty: str, set_up_on: datetime.date, by
) -> DutyPost:
    """Set up a duty post (设岗) in the branch *org*, from *set_up_on*."""
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：岗位设在党支部。"})
    not_after_today(set_up_on, "set_up_on", "设岗日期")
    post = DutyPost(org=org, name=name.strip(), duty=duty.strip(), set_up_on=set_up_on)
    post.full_clean()
    post.save()
    return post


@transaction.atomic
def duty_assign(*, post: DutyPost, member: Member, started_on: datetime.date, by) -> DutyAssignment:
    """Put *member* of the post's branch on the post (认岗) from *started_on*."""
    # One post at a time: two clerks putting the same member on it both see no open row.
    list(DutyPost.objects.select_for_update().filter(pk=post.pk).values_list("pk"))
    if post.ended_on is not None:
        raise ValidationError({"member": f"{post.name}已于{day_label(post.ended_on)}撤岗。"})
    if member.branch_id != post.org_id or not Member.objects.active().filter(pk=member.pk).exists():
        raise ValidationError({"member": f"{member.name}不是{post.org.name}在册的党员。"})
    if DutyAssignment.objects.filter(post=post, member=member, ended_on__isnull=True).exists():
        raise ValidationError({"member": f"{member.name}已在{post.name}上。"})
    not_after_today(started_on, "started_on", "上岗日期")
    if started_on < post.set_up_on:
        raise ValidationError(
            {"started_on": f"上岗日期不能早于设岗日期（{day_label(post.set_up_on)}）。"}
        )
    assignment = DutyAssignment(post=post, member=member, started_on=started_on)
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def duty_unassign(*, assignment: DutyAssignment, ended_on: datetime.date, by) -> DutyAssignment:
    """Take the member off the post (离岗): *ended_on* is their last day on it."""
    if assignment.ended_on is not None:
        raise ValidationError(
            {"assignment": f"{assignment.member.name}已于{day_label(assignment.ended_on)}离岗。"}
        )
    not_after_today(ended_on, "ended_on", "离岗日期")
    if ended_on < assignment.started_on:
        raise ValidationError(
            {"ended_on": f"离岗日期不能早于上岗日期（{day_label(assignment.started_on)}）。"}
        )
    # The logs stay where they are: ending before one of them would leave it off the post.
    later = assignment.logs.filter(done_on__gt=ended_on).order_by("-done_on").first()
    if later is not None:
        raise ValidationError(
            {"ended_on": f"{day_label(later.done_on)}还有履职记录，离岗日期不能早于它。"}
        )
    assignment.ended_on = ended_on
    assignment.full_clean()
    assignment.save()
    return assignment


@transaction.atomic
def duty_log_record(
    *, assignment: DutyAssignment, done_on: datetime.date, text: str, by
) -> DutyLog:
    """Log what the holder did on the post on *done_on*, and rewrite their derived points."""
    not_after_today(done_on, "done_on", "履职日期")
    if done_on < assignment.started_on:
        raise ValidationError(
            {"done_on": f"履职日期不能早于上岗日期（{day_label(assignment.started_on)}）。"}
        )
    if assignment.ended_on is not None and done_on > assignment.ended_on:
        raise ValidationError(
            {"done_on": f"履职日期不能晚于离岗日期（{day_label(assignment.ended_on)}）。"}
        )
    if not text.strip():
        raise ValidationError({"text": "请填写履职情况（做了什么）。"})
    # As with pledges: two logs of one member saved at once each rewrite the member's
    # entries from what they see; one at a time, the second sees both.
    list(Member.objects.select_for_update().filter(pk=assignment.member_id).values_list("pk"))
    log = DutyLog(assignment=assignment, done_on=done_on, text=text.strip(), recorded_by=by)
    log.full_clean()
    log.save()
    ledger_tally_refresh(
        ledger=TallyLedger.DUTY, org_ids=[assignment.post.org_id], years=[done_on.year]
    )
    duty_log_points_refresh(year=done_on.year, member_ids=[assignment.member_id])
    return log


@transaction.atomic
def duty_log_delete(*, log: DutyLog) -> None:
    """Take back a 履职记录 logged by mistake; the member's 设岗定责履职 points of its
    year follow in the same transaction."""
    member_id, org_id = DutyAssignment.objects.values_list("member_id", "post__org_id").get(
        pk=log.assignment_id
    )
    log.delete()
    ledger_tally_refresh(ledger=TallyLedger.DUTY, org_ids=[org_id], years=[log.done_on.year])
    duty_log_points_refresh(year=log.done_on.year, member_ids=[member_id])
