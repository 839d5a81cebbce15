"""Writes to the member registry. Every change of place goes through here, so the
member's current branch and group always equal their open membership row."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from branches.models import Organization
from members.choices import MembershipReason, RosterStatus
from members.models import Member, Membership, PiiAccess

# Roster statuses a member leaves to, with the membership end reason they record.
LEAVE_REASONS = {
    RosterStatus.TRANSFERRED_OUT: MembershipReason.TRANSFER_OUT,
    RosterStatus.LEFT_PARTY: MembershipReason.LEFT_PARTY,
    RosterStatus.DECEASED: MembershipReason.DECEASED,
}


@transaction.atomic
def member_create(
    *,
    name: str,
    id_number: str,
    branch: Organization,
    group: Organization | None = None,
    started_on: datetime.date,
    start_reason: str = MembershipReason.JOINED,
    **fields: Any,
) -> Member:
    """Put a new member on the roster and open their first membership row."""
    member = Member(name=name, id_number=id_number, branch=branch, group=group, **fields)
    member.full_clean()
    member.save()
    Membership.objects.create(
        member=member, branch=branch, group=group, started_on=started_on, start_reason=start_reason
    )
    return member


@transaction.atomic
def member_update(*, member: Member, **fields: Any) -> Member:
    """Change the member's own fields; their place changes only by ``member_transfer``."""
    if {"branch", "group", "roster_status"} & fields.keys():
        raise ValueError("use member_transfer / member_leave to change place or roster status")
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    branch: Organization,
    group: Organization | None = None,
    on: datetime.date,
    reason: str = MembershipReason.TRANSFER,
    note: str = "",
) -> Membership:
    """Move *member* to *branch* / *group* from date *on*, closing the open row."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.roster_status != RosterStatus.ACTIVE:
        raise ValidationError(f"{member.name}已不在册，不能转接组织关系。")
    current = member.memberships.open().get()
    if current.branch_id == branch.pk and current.group_id == (group.pk if group else None):
        raise ValidationError("新的党支部和党小组与现在相同。")
    if on < current.started_on:
        raise ValidationError(
            {"started_on": f"转接日期不能早于当前组织关系的起始日期 {current.started_on}。"}
        )
    member.branch, member.group = branch, group
    member.full_clean()
    member.save(update_fields=["branch", "group", "updated_at"])
    current.ended_on, current.end_reason = on, reason
    current.save(update_fields=["ended_on", "end_reason"])
    return Membership.objects.create(
        member=member, branch=branch, group=group, started_on=on, start_reason=reason, note=note
    )


@transaction.atomic
def member_leave(*, member: Member, status: str, on: datetime.date, reason: str) -> Member:
    """Take *member* off the roster (转出, 出党, 去世) from *on*; history stays."""
    if status not in LEAVE_REASONS:
        raise ValueError(f"not a leaving status: {status}")
    if not reason.strip():
        raise ValidationError({"left_reason": "离册必须填写原因。"})
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = member.memberships.open().get()
    if on < current.started_on:
        raise ValidationError({"left_on": f"离册日期不能早于 {current.started_on}。"})
    current.ended_on, current.end_reason = on, LEAVE_REASONS[status]
    current.save(update_fields=["ended_on", "end_reason"])
    member.roster_status, member.left_on, member.left_reason = status, on, reason
    member.full_clean()
    member.save()
    return member


def pii_access_record(*, user, action: str, member: Member | None = None, detail: str = ""):
    """Log that *user* saw whole ID numbers or phones (a member's page, an export)."""
    return PiiAccess.objects.create(user=user, action=action, member=member, detail=detail)
