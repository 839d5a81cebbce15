"""Writes of the working ledgers: 公开承诺 made, commented on by a leader, assessed by
the villagers and fulfilled; 设岗定责 posts set up, taken and left, and the work
done on them logged.

Each step is one row's write; fulfilment and a 履职记录 also rewrite the member's
derived points in the same transaction, so the statement never shows points
that the ledger's rows do not.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activities.models import DutyAssignment, DutyLog, DutyPost, Fulfilment, Pledge
from activities.points.ledgers import duty_log_points_refresh, pledge_points_refresh
from branches.models import Organization, OrgKind
from members.models import Member

# Who pledges as an organisation: the branches and the committees above them in a village.
PLEDGING_ORG_KINDS = (
    OrgKind.PRIMARY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.GROUP,
)


def _not_after_today(day: datetime.date, field: str, label: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"{label}不能晚于今天。"})


def _not_before_made(pledge: Pledge, day: datetime.date, field: str, label: str) -> None:
    if day < pledge.made_on:
        raise ValidationError(
            {field: f"{label}不能早于公开承诺日期（{pledge.made_on:%Y年%-m月%-d日}）。"}
        )


def _save(pledge: Pledge) -> Pledge:
    pledge.full_clean()
    pledge.save()
    return pledge


@transaction.atomic
def pledge_create(
    *,
    org: Organization,
    member: Member | None,
    made_on: datetime.date,
    category: str,
    text: str,
    due_on: datetime.date,
    by,
) -> Pledge:
    """Record a pledge made public on *made_on*, by *member* of *org* or by *org* itself.

    A member's pledge is kept where the member is (their group, or their
    branch outside any group), so the group's month report finds it.
    """
    _not_after_today(made_on, "made_on", "公开承诺日期")
    if member is not None:
        if member.branch_id != org.pk and member.group_id != org.pk:
            raise ValidationError({"member": f"{member.name}不是{org.name}的党员。"})
        org_id = member.group_id or member.branch_id
    else:
        if org.kind not in PLEDGING_ORG_KINDS:
            raise ValidationError({"member": f"{org.name}不是基层党组织：请选择承诺的党员。"})
        org_id = org.pk
    if due_on < made_on:
        raise ValidationError({"due_on": "完成时限不能早于公开承诺日期。"})
    pledge = Pledge(
        org_id=org_id,
        member=member,
        year=made_on.year,
        made_on=made_on,
        category=category,
        text=text.strip(),
        due_on=due_on,
        recorded_by=by,
    )
    return _save(pledge)


@transaction.atomic
def pledge_comment(
    *, pledge: Pledge, comment_by: str, comment_on: datetime.date, comment: str, by
) -> Pledge:
    """Record the leader's comment (领导点评) on the pledge: who, when, what."""
    _not_after_today(comment_on, "comment_on", "点评日期")
    _not_before_made(pledge, comment_on, "comment_on", "点评日期")
    pledge.comment_by, pledge.comment_on, pledge.comment = (
        comment_by.strip(),
        comment_on,
        comment.strip(),
    )
    return _save(pledge)


@transaction.atomic
def pledge_assess(
    *,
    pledge: Pledge,
    assessed_on: datetime.date,
    satisfied: int,
    fairly_satisfied: int,
    dissatisfied: int,
    by,
) -> Pledge:
    """Record the villagers' assessment (群众评议): how many judged it 满意, 基本满意, 不满意."""
    _not_after_today(assessed_on, "assessed_on", "群众评议日期")
    _not_before_made(pledge, assessed_on, "assessed_on", "群众评议日期")
    if satisfied + fairly_satisfied + dissatisfied == 0:
        raise ValidationError({"satisfied": "请填写参加评议的人数（满意、基本满意、不满意）。"})
    pledge.assessed_on = assessed_on
    pledge.satisfied, pledge.fairly_satisfied, pledge.dissatisfied = (
        satisfied,
        fairly_satisfied,
        dissatisfied,
    )
    return _save(pledge)


@transaction.atomic
def pledge_fulfil(
    *, pledge: Pledge, fulfilment: str, fulfilled_on: datetime.date, evidence: str, by
) -> Pledge:
    """Record how the pledge was kept (践诺), and rewrite the member's derived points."""
    if fulfilment not in (Fulfilment.DONE, Fulfilment.PARTLY, Fulfilment.NOT):
        raise ValidationError({"fulfilment": "请选择已兑现、部分兑现或未兑现。"})
    _not_after_today(fulfilled_on, "fulfilled_on", "兑现日期")
    _not_before_made(pledge, fulfilled_on, "fulfilled_on", "兑现日期")
    if not evidence.strip():
        raise ValidationError({"evidence": "请说明兑现情况（做了什么、效果如何）。"})
    if pledge.member_id:
        # Two of a member's pledges fulfilled at the same moment would each rewrite the
        # member's entries from what they see: one at a time, the second sees both.
        list(Member.objects.select_for_update().filter(pk=pledge.member_id).values_list("pk"))
    before = pledge.fulfilled_on
    pledge.fulfilment, pledge.fulfilled_on, pledge.evidence = (
        fulfilment,
        fulfilled_on,
        evidence.strip(),
    )
    _save(pledge)
    if pledge.member_id:
        years = {fulfilled_on.year} | ({before.year} if before else set())
        for year in sorted(years):
            pledge_points_refresh(year=year, member_ids=[pledge.member_id])
    return pledge


# --- 设岗定责 ------------------------------------------------------------------------------


def _day(day: datetime.date) -> str:
    return f"{day:%Y年%-m月%-d日}"


@transaction.atomic
def duty_post_create(
    *, org: Organization, name: str, duty: str, set_up_on: datetime.date, by
) -> DutyPost:
    """Set up a duty post (设岗) in the branch *org*, from *set_up_on*."""
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：岗位设在党支部。"})
    _not_after_today(set_up_on, "set_up_on", "设岗日期")
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
        raise ValidationError({"member": f"{post.name}已于{_day(post.ended_on)}撤岗。"})
    if member.branch_id != post.org_id or not Member.objects.active().filter(pk=member.pk).exists():
        raise ValidationError({"member": f"{member.name}不是{post.org.name}在册的党员。"})
    if DutyAssignment.objects.filter(post=post, member=member, ended_on__isnull=True).exists():
        raise ValidationError({"member": f"{member.name}已在{post.name}上。"})
    _not_after_today(started_on, "started_on", "上岗日期")
    if started_on < post.set_up_on:
        raise ValidationError(
            {"started_on": f"上岗日期不能早于设岗日期（{_day(post.set_up_on)}）。"}
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
            {"assignment": f"{assignment.member.name}已于{_day(assignment.ended_on)}离岗。"}
        )
    _not_after_today(ended_on, "ended_on", "离岗日期")
    if ended_on < assignment.started_on:
        raise ValidationError(
            {"ended_on": f"离岗日期不能早于上岗日期（{_day(assignment.started_on)}）。"}
        )
    # The logs stay where they are: ending before one of them would leave it off the post.
    later = assignment.logs.filter(done_on__gt=ended_on).order_by("-done_on").first()
    if later is not None:
        raise ValidationError(
            {"ended_on": f"{_day(later.done_on)}还有履职记录，离岗日期不能早于它。"}
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
    _not_after_today(done_on, "done_on", "履职日期")
    if done_on < assignment.started_on:
        raise ValidationError(
            {"done_on": f"履职日期不能早于上岗日期（{_day(assignment.started_on)}）。"}
        )
    if assignment.ended_on is not None and done_on > assignment.ended_on:
        raise ValidationError(
            {"done_on": f"履职日期不能晚于离岗日期（{_day(assignment.ended_on)}）。"}
        )
    if not text.strip():
        raise ValidationError({"text": "请填写履职情况（做了什么）。"})
    # As with pledges: two logs of one member saved at once each rewrite the member's
    # entries from what they see; one at a time, the second sees both.
    list(Member.objects.select_for_update().filter(pk=assignment.member_id).values_list("pk"))
    log = DutyLog(assignment=assignment, done_on=done_on, text=text.strip(), recorded_by=by)
    log.full_clean()
    log.save()
    duty_log_points_refresh(year=done_on.year, member_ids=[assignment.member_id])
    return log
