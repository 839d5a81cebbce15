"""Writes of the 民情日志: a concern a cadre heard, and the secretary's check of a month.

A checked month is closed: the check says what the secretary read, so an entry
written into that month afterwards is refused rather than slipping in unread.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import DiaryCheck, DiaryEntry, DiaryOutcome, TallyLedger
from branches.dated import months_later
from branches.models import Organization, OrgKind
from members.models import Member


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month(month: datetime.date) -> str:
    return f"{month:%Y年%-m月}"


def _live_branch(org: Organization) -> None:
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：民情日志由党支部记。"})


def _member_of(org: Organization, member: Member, field: str) -> None:
    if member.branch_id != org.pk or not Member.objects.active().filter(pk=member.pk).exists():
        raise ValidationError({field: f"{member.name}不是{org.name}在册的党员。"})


@transaction.atomic
def diary_entry_record(
    *,
    org: Organization,
    cadre: Member,
    date: datetime.date,
    household: str,
    concern: str,
    action: str,
    outcome: str,
    passed_to: str = "",
    by,
) -> DiaryEntry:
    """Write down a villager's concern *cadre* of the branch *org* heard on *date*."""
    _live_branch(org)
    _member_of(org, cadre, "cadre")
    if date > timezone.localdate():
        raise ValidationError({"date": "走访日期不能晚于今天。"})
    # The same lock diary_check takes: an entry and the month's check never cross.
    list(Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk"))
    checked = DiaryCheck.objects.filter(org=org, month=month_of(date)).first()
    if checked is not None:
        raise ValidationError(
            {
                "date": f"{_month(checked.month)}的民情日志已于{checked.checked_on:%Y年%-m月%-d日}审阅，不能再补记。"
            }
        )
    if outcome == DiaryOutcome.REPORTED and not passed_to.strip():
        raise ValidationError({"passed_to": "已上报的须填写上报（转交）单位。"})
    entry = DiaryEntry(
        org=org,
        cadre=cadre,
        date=date,
        household=household.strip(),
        concern=concern.strip(),
        action=action.strip(),
        outcome=outcome,
        passed_to=passed_to.strip(),
        recorded_by=by,
    )
    entry.full_clean()
    entry.save()
    ledger_tally_refresh(ledger=TallyLedger.DIARY, org_ids=[org.pk], years=[date.year])
    return entry


@transaction.atomic
def diary_check(
    *,
    org: Organization,
    month: datetime.date,
    checked_on: datetime.date,
    checked_by: Member,
    comment: str = "",
    by,
) -> DiaryCheck:
    """Record the secretary's check (审阅) of the branch's diary for *month*.

    A month can be checked once it has begun (a secretary may read the first
    weeks at a branch meeting); once only; and a month that left concerns
    跟进中 needs a comment saying what is to be done about them.
    """
    _live_branch(org)
    month = month_of(month)
    today = timezone.localdate()
    if month > today:
        raise ValidationError({"month": f"{_month(month)}还没有开始，不能审阅。"})
    if checked_on > today:
        raise ValidationError({"checked_on": "审阅日期不能晚于今天。"})
    if checked_on < month:
        raise ValidationError({"checked_on": f"审阅日期不能早于{_month(month)}1日。"})
    _member_of(org, checked_by, "checked_by")
    # Two checks of one month at once both see none: one at a time per branch.
    list(Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk"))
    if DiaryCheck.objects.filter(org=org, month=month).exists():
        raise ValidationError({"month": f"{org.name}{_month(month)}的民情日志已审阅。"})
    following = DiaryEntry.objects.filter(
        org=org,
        date__gte=month,
        date__lt=months_later(month, 1),
        outcome=DiaryOutcome.FOLLOWING,
    ).count()
    if following and not comment.strip():
        raise ValidationError(
            {"comment": f"本月有{following}条诉求仍在跟进中：请在审阅意见中写明如何跟进。"}
        )
    check = DiaryCheck(
        org=org,
        month=month,
        checked_on=checked_on,
        checked_by=checked_by,
        comment=comment.strip(),
        recorded_by=by,
    )
    check.full_clean()
    check.save()
    ledger_tally_refresh(ledger=TallyLedger.DIARY, org_ids=[org.pk], years=[month.year])
    return check


@transaction.atomic
def diary_entry_delete(*, entry: DiaryEntry) -> None:
    """Take back an entry written by mistake, unless its month is checked: the check says
    what the secretary read, as it refuses a new entry of that month."""
    month = month_of(entry.date)
    if DiaryCheck.objects.filter(org_id=entry.org_id, month=month).exists():
        raise ValidationError(f"{_month(month)}的民情日志已审阅，不能再删除其中的记录。")
    entry.delete()
    ledger_tally_refresh(ledger=TallyLedger.DIARY, org_ids=[entry.org_id], years=[month.year])
