"""Writes to the member registry. Every change of place goes through here, so the
member's current branch and group always equal their open membership row."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from branches.audit import acting_as
from branches.models import Organization, OrgKind
from members.choices import MembershipReason, PartyStatus, RosterStatus
from members.dates import months_later
from members.dues.services import dues_opening_set
from members.models import Member, Membership, PiiAccess, Transfer
from members.roster_plan import (
    KEEP_WHEN_BLANK,
    Plan,
    Row,
    StalePreview,
    cycle_collector_paused,
    left_as_is,
)
from members.standing import spells_follow_flags

# Roster statuses a member leaves to, with the membership end reason they record.
LEAVE_REASONS = {
    RosterStatus.TRANSFERRED_OUT: MembershipReason.TRANSFER_OUT,
    RosterStatus.LAPSED: MembershipReason.LAPSED,
    RosterStatus.RESIGNED: MembershipReason.RESIGNED,
    RosterStatus.REFUSED_TO_RESIGN: MembershipReason.REFUSED_TO_RESIGN,
    RosterStatus.EXPELLED: MembershipReason.EXPELLED,
    RosterStatus.DECEASED: MembershipReason.DECEASED,
    RosterStatus.CANCELLED: MembershipReason.CANCELLED,
}
# Leaving the Party (or dying) ends the 党籍 too, so the 党籍状态 column of the
# roster and its exports says how; a member transferred out keeps theirs.
LEAVE_PARTY_STATUS = {
    RosterStatus.LAPSED: PartyStatus.LAPSED,
    RosterStatus.RESIGNED: PartyStatus.RESIGNED,
    RosterStatus.REFUSED_TO_RESIGN: PartyStatus.REFUSED_TO_RESIGN,
    RosterStatus.EXPELLED: PartyStatus.EXPELLED,
    RosterStatus.DECEASED: PartyStatus.DECEASED,
    RosterStatus.CANCELLED: PartyStatus.CANCELLED,
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
    note: str = "",
    **fields: Any,
) -> Member:
    """Put a new member on the roster and open their first membership row (*note* on it)."""
    member = Member(name=name, id_number=id_number, branch=branch, group=group, **fields)
    member.full_clean()
    member.save()
    Membership.objects.create(
        member=member,
        branch=branch,
        group=group,
        started_on=started_on,
        start_reason=start_reason,
        note=note,
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


@dataclass(frozen=True)
class Move:
    """One member's new place: a branch and, inside it, a group (or none)."""

    member: Member
    branch_id: int
    group_id: int | None = None


def move_reason(*, old_branch_id: int, new_branch_id: int) -> str:
    """支部间转接 when the branch changes, 调整党小组 when only the group does."""
    if old_branch_id != new_branch_id:
        return MembershipReason.TRANSFER
    return MembershipReason.REGROUP


@transaction.atomic
def members_move(
    *, moves: list[Move], on: datetime.date, note: str = "", letter: Transfer | None = None
) -> list[Membership]:
    """Move members to new places from date *on*: the one way a member's place changes.

    Each open membership row ends on *on* and the next starts that day, with
    the reason ``move_reason`` gives; the members' current branch and group
    follow. In bulk (a roster import moves thousands): a few queries whatever
    the number. Nothing is written when any move is refused (a member not on
    the roster, the same place, a date before the open row, a group outside
    its branch, a member with an open 介绍信 other than *letter*, the one being
    received); the ``ValidationError`` names each.
    """
    pks = [m.member.pk for m in moves]
    members = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=pks)}
    current = {r.member_id: r for r in Membership.objects.open().filter(member_id__in=pks)}
    _check_moves(moves, members, current, on, letter)
    now, opened = timezone.now(), []
    for move in moves:
        member, row = members[move.member.pk], current[move.member.pk]
        reason = move_reason(old_branch_id=row.branch_id, new_branch_id=move.branch_id)
        row.ended_on, row.end_reason = on, reason
        member.branch_id, member.group_id, member.updated_at = move.branch_id, move.group_id, now
        opened.append(
            Membership(
                member=member,
                branch_id=move.branch_id,
                group_id=move.group_id,
                started_on=on,
                start_reason=reason,
                note=note,
            )
        )
    Membership.objects.bulk_update(list(current.values()), ["ended_on", "end_reason"])
    Member.objects.bulk_update(list(members.values()), ["branch", "group", "updated_at"])
    return Membership.objects.bulk_create(opened)


def _check_moves(moves, members, current, on, letter) -> None:
    groups = dict(
        Organization.objects.filter(pk__in={m.group_id for m in moves} - {None}).values_list(
            "pk", "parent_id"
        )
    )
    # A member with an open letter moves only by its receipt (transfer_receive closes
    # the letter first): a second move would leave the letter pointing elsewhere.
    letters = Transfer.objects.open().filter(member_id__in=[m.member.pk for m in moves])
    if letter is not None:
        letters = letters.exclude(pk=letter.pk)
    in_transit = set(letters.values_list("member_id", flat=True))
    errors = []
    for move in moves:
        member, row = members[move.member.pk], current.get(move.member.pk)
        if member.roster_status != RosterStatus.ACTIVE or row is None:
            errors.append(f"{member.name}已不在册，不能转接组织关系。")
        elif (row.branch_id, row.group_id) == (move.branch_id, move.group_id):
            errors.append("新的党支部和党小组与现在相同。")
        elif on < row.started_on:
            errors.append(f"转接日期不能早于当前组织关系的起始日期 {row.started_on}。")
        elif move.group_id is not None and groups.get(move.group_id) != move.branch_id:
            errors.append(f"{member.name}：党小组不在所转入的党支部内。")
        elif member.pk in in_transit:
            errors.append(f"{member.name}正在转出（介绍信未办结），请在组织关系转接中接收或退回。")
    if errors:
        raise ValidationError(errors)


def member_transfer(
    *,
    member: Member,
    branch: Organization,
    group: Organization | None = None,
    on: datetime.date,
    note: str = "",
) -> Membership:
    """Move one *member* to *branch* / *group* from date *on* (``members_move``)."""
    move = Move(member, branch.pk, group.pk if group else None)
    return members_move(moves=[move], on=on, note=note)[0]


@transaction.atomic
def member_leave(*, member: Member, status: str, on: datetime.date, reason: str) -> Member:
    """Take *member* off the roster (转出, one of the ways of leaving the Party, 去世)
    from *on*; history stays."""
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
    # Away, lost or suspended: each spell ends with the membership.
    for spell in member.spells.open():
        spell.ended_on, spell.end_note = max(on, spell.started_on), reason[:200]
        spell.save()
    member.roster_status, member.left_on, member.left_reason = status, on, reason
    member.party_status = LEAVE_PARTY_STATUS.get(status, member.party_status)
    member.full_clean()
    member.save()
    return member


# --- 组织关系转接 ----------------------------------------------------------------


def letter_valid_until(letter_date: datetime.date) -> datetime.date:
    """The last day a 介绍信 issued on *letter_date* is valid (``TRANSFER_LETTER_VALID_MONTHS``)."""
    return months_later(letter_date, settings.TRANSFER_LETTER_VALID_MONTHS)


def _first_of_month(day: datetime.date | None) -> datetime.date | None:
    return day.replace(day=1) if day else None


@transaction.atomic
def transfer_issue(
    *,
    member: Member,
    kind: str,
    letter_number: str,
    letter_date: datetime.date,
    user,
    to_org: Organization | None = None,
    outside_org: str = "",
    outside_place: str = "",
    dues_paid_until: datetime.date | None = None,
    note: str = "",
) -> Transfer:
    """Issue a 介绍信 for *member*: to a node of the county (县内) or out of it (县外).

    The member stays where they are, marked 转出中, until the receipt
    (``transfer_receive``). Refused with a ``ValidationError`` naming the
    field: a member not on the roster or with a letter still open, a
    destination that is not a live organisation above a group (or the
    member's own branch), a letter dated in the future or before the
    member's current membership began.
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    errors: dict[str, str] = {}
    if member.roster_status != RosterStatus.ACTIVE:
        errors["member"] = f"{member.name}已不在册，不能开具组织关系介绍信。"
    elif member.transfers.open().exists():
        errors["member"] = f"{member.name}已有一封未办结的组织关系介绍信，请先办结或退回。"
    if kind == Transfer.Kind.WITHIN:
        if to_org is None or not to_org.is_live or to_org.kind == OrgKind.GROUP:
            errors["to_org"] = "请选择县内接收的党组织（乡镇党委、党委、党总支或党支部）。"
        elif to_org.pk == member.branch_id:
            errors["to_org"] = "接收党组织就是该党员现在的党支部。"
        outside_org = outside_place = ""
    elif kind == Transfer.Kind.OUT:
        if not outside_org.strip():
            errors["outside_org"] = "转出县外须填写接收党组织名称。"
        to_org = None
    else:
        raise ValueError(f"not a kind of letter one issues: {kind}")
    today = timezone.localdate()
    if letter_date > today:
        errors["letter_date"] = "开具日期不能晚于今天。"
    elif letter_date < member.memberships.open().get().started_on:
        errors["letter_date"] = "开具日期不能早于该党员现在组织关系的起始日期。"
    if not letter_number.strip():
        errors["letter_number"] = "请填写介绍信编号。"
    if errors:
        raise ValidationError(errors)
    return _letter_saved(
        member=member,
        kind=kind,
        from_branch_id=member.branch_id,
        to_org=to_org,
        outside_org=outside_org,
        outside_place=outside_place,
        letter_number=letter_number,
        letter_date=letter_date,
        dues_paid_until=dues_paid_until,
        note=note,
        issued_by=user,
    )


def _letter_saved(
    *,
    outside_org: str,
    outside_place: str,
    letter_number: str,
    letter_date,
    dues_paid_until,
    **fields,
) -> Transfer:
    """A transfer with its letter's fields as kept: trimmed, valid for the set months,
    dues paid to the first of their month."""
    transfer = Transfer(
        outside_org=outside_org.strip(),
        outside_place=outside_place.strip(),
        letter_number=letter_number.strip(),
        letter_date=letter_date,
        valid_until=letter_valid_until(letter_date),
        dues_paid_until=_first_of_month(dues_paid_until),
        **fields,
    )
    transfer.full_clean()
    transfer.save()
    return transfer


@transaction.atomic
def transfer_receive(
    *,
    transfer: Transfer,
    on: datetime.date,
    user,
    branch: Organization | None = None,
    group: Organization | None = None,
) -> Transfer:
    """Record that a letter was received on *on*.

    Inside the county: the receiving side picks the *branch* (and *group*)
    under the letter's organisation, and the member moves there on *on*
    through ``members_move``. Out of the county: the 回执 came back, and the
    member leaves the roster (转出) on *on*.
    """
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _check_open(transfer, on)
    if transfer.kind == Transfer.Kind.WITHIN:
        _check_receiving_branch(transfer, branch, group)
        members_move(
            moves=[Move(transfer.member, branch.pk, group.pk if group else None)],
            on=on,
            note=f"组织关系介绍信 {transfer.letter_number}",
            letter=transfer,
        )
        transfer.to_branch = branch
    else:
        member_leave(
            member=transfer.member,
            status=RosterStatus.TRANSFERRED_OUT,
            on=on,
            reason=f"转至{transfer.destination}（介绍信 {transfer.letter_number}）",
        )
    transfer.state, transfer.received_on, transfer.received_by = Transfer.State.RECEIVED, on, user
    transfer.save()
    return transfer


def _check_open(transfer: Transfer, on: datetime.date) -> None:
    if transfer.state != Transfer.State.ISSUED:
        raise ValidationError(f"这封介绍信已{transfer.get_state_display()[1:]}，不能再办理。")
    if on > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天。"})
    if on < transfer.letter_date:
        raise ValidationError({"on": f"日期不能早于介绍信开具日期 {transfer.letter_date}。"})


def _check_receiving_branch(transfer, branch, group) -> None:
    if branch is None or branch.kind != OrgKind.BRANCH or not branch.is_live:
        raise ValidationError({"branch": "请选择接收的党支部。"})
    if not branch.path.startswith(transfer.to_org.path):
        raise ValidationError({"branch": f"「{branch.name}」不在「{transfer.to_org.name}」之下。"})
    if group is not None and group.parent_id != branch.pk:
        raise ValidationError({"group": f"党小组「{group.name}」不在「{branch.name}」内。"})


@transaction.atomic
def transfer_close(
    *, transfer: Transfer, state: str, on: datetime.date, reason: str, user
) -> Transfer:
    """End an open letter without a move: 退回 (with the reason) or 过期 (past its validity).

    The member stays where they were; a new letter may be issued.
    """
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _check_open(transfer, on)
    if state == Transfer.State.EXPIRED and on <= transfer.valid_until:
        raise ValidationError({"on": f"介绍信有效期至 {transfer.valid_until}，尚未过期。"})
    if state == Transfer.State.RETURNED and not reason.strip():
        raise ValidationError({"reason": "退回须填写原因。"})
    if state not in (Transfer.State.RETURNED, Transfer.State.EXPIRED):
        raise ValueError(f"not a closing state: {state}")
    with acting_as(user, reason.strip()):
        transfer.state, transfer.closed_on = state, on
        transfer.close_reason = reason.strip() or "超过有效期未办理"
        transfer.save()
    return transfer


@transaction.atomic
def transfer_arrive(
    *,
    user,
    branch: Organization,
    group: Organization | None,
    on: datetime.date,
    outside_org: str,
    outside_place: str,
    letter_number: str,
    letter_date: datetime.date,
    dues_paid_until: datetime.date | None = None,
    note: str = "",
    **member_fields: Any,
) -> Transfer:
    """A member arriving from outside the county with a 介绍信: on the roster from *on*."""
    errors = {}
    if not outside_org.strip():
        errors["outside_org"] = "请填写原党组织名称。"
    if not letter_number.strip():
        errors["letter_number"] = "请填写介绍信编号。"
    if on > timezone.localdate():
        errors["on"] = "接收日期不能晚于今天。"
    elif on < letter_date:
        errors["on"] = f"接收日期不能早于介绍信开具日期 {letter_date}。"
    if errors:
        raise ValidationError(errors)
    member = member_create(
        branch=branch,
        group=group,
        started_on=on,
        start_reason=MembershipReason.TRANSFER_IN,
        **member_fields,
    )
    if dues_paid_until is not None:
        # The letter says how far dues are paid: the member's opening position here.
        Member.objects.filter(pk=member.pk).update_derived(
            dues_paid_until=_first_of_month(dues_paid_until)
        )
        dues_opening_set(member_ids=[member.pk], with_amount=False)
    return _letter_saved(
        member=member,
        kind=Transfer.Kind.IN,
        state=Transfer.State.RECEIVED,
        to_branch=branch,
        outside_org=outside_org,
        outside_place=outside_place,
        letter_number=letter_number,
        letter_date=letter_date,
        dues_paid_until=dues_paid_until,
        received_on=on,
        received_by=user,
        issued_by=user,
        note=note,
    )


def pii_access_record(*, user, action: str, member: Member | None = None, detail: str = ""):
    """Log that *user* saw whole ID numbers or phones (a member's page, an export)."""
    return PiiAccess.objects.create(user=user, action=action, member=member, detail=detail)


# --- Writing a confirmed roster import --------------------------------------------


@transaction.atomic
def roster_commit(
    *,
    plan: Plan,
    user,
    skip_invalid: bool,
    expected_fingerprint: str | None = None,
    reason: str = "",
) -> dict:
    """Write a checked roster plan's new and changed rows in bulk, all or nothing.

    Rejected rows stop everything unless *skip_invalid*. With
    *expected_fingerprint* (from the preview) any change to the matched
    members since then aborts the write. Members whose branch or group
    changed are moved through ``members_move``, on the import's date.

    On PostgreSQL new and changed members go through ``COPY`` into a
    temporary table and one set-based ``INSERT`` / ``UPDATE`` each
    (``AuditedQuerySet.copy_create`` / ``copy_update``); elsewhere through
    ``bulk_create`` / ``bulk_update``. Both write the same rows and the same
    history, in SQL (``branches.audit``).
    """
    if plan.count("rejected") and not skip_invalid:
        raise ValueError("有被拒绝的行；修改文件后重新导入，或明确选择只导入有效行。")
    if expected_fingerprint is not None and expected_fingerprint != plan.fingerprint:
        raise StalePreview("预览之后这些党员的数据已被修改，请重新上传并预览。")
    today = timezone.localdate()
    with acting_as(user, reason), cycle_collector_paused():
        fresh = [r for r in plan.rows if r.action == "new"]
        new = _members_create(_new_member(r.values) for r in fresh)
        Membership.objects.open_for_new_members(
            new, since=today, reason=MembershipReason.ROSTER, note="花名册导入"
        )
        changed = [r for r in plan.rows if r.action == "changed"]
        _update_fields(changed)
        moves = [_move(r) for r in changed if {"branch", "group"} & r.changes.keys()]
        if moves:
            members_move(moves=moves, on=today, note="花名册导入")
        # The roster's 流动 / 失联 / 党籍 columns: dated spells from the import's day.
        spells_follow_flags(Member.objects.active(), on=today)
        # The roster's two dues columns are the members' opening position in the ledger.
        dues = [
            pk
            for pk, r in zip(new, fresh, strict=True)
            if r.values.get("monthly_dues") is not None
            or r.values.get("dues_paid_until") is not None
        ] + [r.existing.pk for r in changed if DUES_COLUMNS & r.changes.keys()]
        if dues:
            dues_opening_set(member_ids=dues, by=user)
    return plan.counts


DUES_COLUMNS = {"monthly_dues", "dues_paid_until"}


def _new_member(values: dict) -> dict:
    """A new member's fields as ``Member(**fields)`` takes them."""
    # One cheap test per value, then the few columns that hold a default: every new row.
    fields = {k: val for k, val in values.items() if val is not None}
    if "group" in values:
        fields["group"] = values["group"]
    for name in KEEP_WHEN_BLANK & fields.keys():
        if left_as_is(values, name):
            del fields[name]
    for flag in ("lost_contact", "is_mobile"):
        fields.setdefault(flag, False)
    fields["roster_status"] = RosterStatus.ACTIVE
    return fields


def copies() -> bool:
    """Whether roster writes go through ``COPY`` (PostgreSQL) rather than bulk statements."""
    return connection.vendor == "postgresql"


def _members_create(rows: Iterable[dict]) -> list[int]:
    """The new members' pks, in the rows' order.

    A thousand at a time where they are model instances: 70,000 at once
    would hold ~150 MB more.
    """
    if copies():
        return Member.objects.copy_create(rows)
    pks, rows = [], iter(rows)
    while batch := [Member(**f) for f in islice(rows, 1000)]:
        pks += [m.pk for m in Member.objects.bulk_create(batch)]
    return pks


def _update_fields(rows: list[Row]) -> None:
    """The changed rows' own fields, in bulk; their place moves separately."""
    names = {n for r in rows for n in r.changes} - {"branch", "group"}
    now = timezone.now()
    for row in rows:
        for name in names & row.changes.keys():
            setattr(row.existing, name, row.changes[name][1])
        row.existing.updated_at = now
    if not rows:
        return
    members, fields = [r.existing for r in rows], [*names, "updated_at"]
    if copies():
        Member.objects.copy_update(members, fields)
    else:
        Member.objects.bulk_update(members, fields, batch_size=1000)


def _move(row: Row) -> Move:
    member, changes = row.existing, row.changes
    branch_id = changes["branch"][1] if "branch" in changes else member.branch_id
    group_id = changes["group"][1] if "group" in changes else member.group_id
    return Move(member, branch_id, group_id)
