"""Writes of a member's standing: 外出 and 返回 (流动党员), 失联 and 恢复联系,
停止党籍, 恢复党籍 and 除名 – each a dated ``Spell``, the member's flags following –
and of members of other places registered here (流入, ``Inflow``).

Kept beside ``members/services.py`` (places and letters), which it uses to take
a member off the roster. Every step checks the rule it applies and says it in
the clerk's words when refused; nothing is written then.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from branches.models import Organization, OrgKind
from members.choices import DatePrecision, PartyStatus, RosterStatus
from members.dates import months_later
from members.dues.selectors import ARREARS_RULE, arrears_months
from members.idcard import IdNumberError, parse_id_number
from members.models import Inflow, Member, Spell

# 党员失联满六个月 → 停止党籍; 停止党籍满两年仍无法取得联系 → 按自行脱党除名
# (中组部《关于加强和改进流动党员管理工作的意见》 and the rules for lost members);
# 外出满六个月且地点固定 → 转移组织关系 (surfaced, not enforced).
LOST_MONTHS_BEFORE_SUSPENSION = 6
SUSPENDED_MONTHS_BEFORE_STRIKING_OFF = 24
AWAY_MONTHS_BEFORE_TRANSFER = 6

Kind = Spell.Kind


def _on_roster(member_pk: int) -> Member:
    member = Member.objects.select_for_update().get(pk=member_pk)
    if member.roster_status != RosterStatus.ACTIVE:
        raise ValidationError(f"{member.name}已不在册。")
    return member


def _check_day(on: datetime.date, *, after: datetime.date | None = None, what: str = "") -> None:
    if on > timezone.localdate():
        raise ValidationError({"on": "日期不能晚于今天。"})
    if after is not None and on < after:
        raise ValidationError({"on": f"日期不能早于{what} {after}。"})


def _open(member: Member, kind: str) -> Spell | None:
    return member.spells.open().filter(kind=kind).first()


def _close(spell: Spell, on: datetime.date, note: str, decision_number: str = "") -> None:
    spell.ended_on, spell.end_note, spell.end_decision_number = on, note, decision_number
    spell.full_clean()
    spell.save()


def _save(member: Member) -> Member:
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def member_away(
    *,
    member: Member,
    on: datetime.date,
    destination: str,
    employer: str = "",
    contact: str = "",
    mobile_org: str = "",
) -> Spell:
    """外出: the member works away from home from *on* (a 流动党员, still expected at meetings)."""
    member = _on_roster(member.pk)
    if _open(member, Kind.AWAY):
        raise ValidationError(f"{member.name}已登记外出，请先登记返回。")
    if not destination.strip():
        raise ValidationError({"destination": "请填写外出地点。"})
    _check_day(on)
    spell = Spell(
        member=member,
        kind=Kind.AWAY,
        started_on=on,
        destination=destination.strip(),
        employer=employer.strip(),
        contact=contact.strip(),
        mobile_org=mobile_org.strip(),
    )
    spell.full_clean()
    spell.save()
    member.is_mobile, member.mobile_destination = True, spell.destination
    _save(member)
    return spell


@transaction.atomic
def member_return(*, member: Member, on: datetime.date) -> Spell:
    """返回: the member is back from working away on *on*."""
    member = _on_roster(member.pk)
    spell = _open(member, Kind.AWAY)
    if spell is None:
        raise ValidationError(f"{member.name}没有未结束的外出登记。")
    _check_day(on, after=spell.started_on, what="外出日期")
    _close(spell, on, "返回")
    member.is_mobile, member.mobile_destination = False, ""
    _save(member)
    return spell


@transaction.atomic
def member_lost(*, member: Member, on: datetime.date, efforts: str) -> Spell:
    """失联: nobody has reached the member since *on*; *efforts* says what was tried."""
    member = _on_roster(member.pk)
    if _open(member, Kind.LOST):
        raise ValidationError(f"{member.name}已登记为失联党员。")
    if not efforts.strip():
        raise ValidationError({"efforts": "请写明查找情况（如何联系过、向谁打听过）。"})
    _check_day(on)
    spell = Spell(member=member, kind=Kind.LOST, started_on=on, efforts=efforts.strip())
    spell.full_clean()
    spell.save()
    member.lost_contact, member.lost_contact_on = True, on
    member.lost_contact_on_precision = DatePrecision.DAY
    _save(member)
    return spell


@transaction.atomic
def member_found(*, member: Member, on: datetime.date) -> Spell:
    """恢复联系: contact regained on *on* (a suspended member needs 恢复党籍 instead)."""
    member = _on_roster(member.pk)
    spell = _open(member, Kind.LOST)
    if spell is None:
        raise ValidationError(f"{member.name}不是失联党员。")
    if _open(member, Kind.SUSPENDED):
        raise ValidationError(f"{member.name}已停止党籍：取得联系后须由支部作出恢复党籍的决定。")
    _check_day(on, after=spell.started_on, what="失联日期")
    _close(spell, on, "恢复联系")
    member.lost_contact, member.lost_contact_on = False, None
    _save(member)
    return spell


@transaction.atomic
def member_suspend(*, member: Member, on: datetime.date, decision_number: str) -> Spell:
    """停止党籍: the branch's decision of *on* on a member lost for six months or more."""
    member = _on_roster(member.pk)
    lost = _open(member, Kind.LOST)
    if lost is None:
        raise ValidationError(f"{member.name}不是失联党员，不能以失联为由停止党籍。")
    if _open(member, Kind.SUSPENDED):
        raise ValidationError(f"{member.name}已停止党籍。")
    due = months_later(lost.started_on, LOST_MONTHS_BEFORE_SUSPENSION)
    if on < due:
        raise ValidationError(
            {"on": f"失联未满六个月（自 {lost.started_on} 起，{due} 满六个月）。"}
        )
    if not decision_number.strip():
        raise ValidationError({"decision_number": "请填写支部决定的文号或会议记录编号。"})
    _check_day(on)
    spell = Spell(
        member=member, kind=Kind.SUSPENDED, started_on=on, decision_number=decision_number.strip()
    )
    spell.full_clean()
    spell.save()
    member.party_status = PartyStatus.SUSPENDED
    _save(member)
    return spell


@transaction.atomic
def member_restore(*, member: Member, on: datetime.date, decision_number: str) -> Spell:
    """恢复党籍: contact regained and the branch restores the member on *on*."""
    member = _on_roster(member.pk)
    suspended = _open(member, Kind.SUSPENDED)
    if suspended is None:
        raise ValidationError(f"{member.name}未被停止党籍。")
    if not decision_number.strip():
        raise ValidationError({"decision_number": "请填写恢复党籍决定的文号。"})
    _check_day(on, after=suspended.started_on, what="停止党籍日期")
    _close(suspended, on, "恢复党籍", decision_number.strip())
    lost = _open(member, Kind.LOST)
    if lost is not None:
        _close(lost, on, "恢复联系")
    member.party_status = PartyStatus.NORMAL
    member.lost_contact, member.lost_contact_on = False, None
    _save(member)
    return suspended


@transaction.atomic
def member_strike_off(*, member: Member, on: datetime.date, decision_number: str) -> Member:
    """除名: still unreachable two years after the suspension; struck off as 自行脱党."""
    from members.services import member_leave  # services imports this module

    member = _on_roster(member.pk)
    suspended = _open(member, Kind.SUSPENDED)
    if suspended is None:
        raise ValidationError(f"{member.name}未被停止党籍，不能以失联为由除名。")
    due = months_later(suspended.started_on, SUSPENDED_MONTHS_BEFORE_STRIKING_OFF)
    if on < due:
        raise ValidationError(
            {"on": f"停止党籍未满两年（自 {suspended.started_on} 起，{due} 满两年）。"}
        )
    if not decision_number.strip():
        raise ValidationError({"decision_number": "请填写除名决定的文号。"})
    return member_leave(
        member=member,
        status=RosterStatus.LAPSED,
        on=on,
        reason=f"停止党籍满两年仍无法取得联系，按自行脱党除名（{decision_number.strip()}）",
    )


@transaction.atomic
def member_lapse_dues(*, member: Member, on: datetime.date, decision_number: str) -> Member:
    """除名 for dues: six months in a row without paying and without a good reason
    (党章第九条: regarded as 自行脱党, struck off by the branch's decision)."""
    from members.services import member_leave  # services imports this module

    member = _on_roster(member.pk)
    _check_day(on)
    months = arrears_months(member.dues_paid_until, on)
    if months < ARREARS_RULE:
        until = f"{member.dues_paid_until:%Y年%m月}" if member.dues_paid_until else "未记录"
        raise ValidationError(
            {"on": f"党费缴至{until}，到{on:%Y年%m月%d日}连续未交纳党费{months}个月，不满六个月。"}
        )
    if not decision_number.strip():
        raise ValidationError({"decision_number": "请填写支部大会除名决定的文号。"})
    return member_leave(
        member=member,
        status=RosterStatus.LAPSED,
        on=on,
        reason=(
            f"没有正当理由连续{months}个月不交纳党费，按党章第九条视为自行脱党，"
            f"经支部大会决定除名（{decision_number.strip()}）"
        ),
    )


def spells_follow_flags(members, *, on: datetime.date) -> tuple[int, int]:
    """Make *members*' spells agree with their flags; (opened, closed).

    For flags set or cleared without a spell (a roster import, data from before
    spells were kept): 外出 opens on *on*, 失联 on its recorded date,
    停止党籍 six months after that (the earliest the rule allows) or on *on*;
    a spell whose flag was cleared ends on *on*. Set-based: a few queries
    whatever the number of members.
    """
    flags = {
        Kind.AWAY: Q(is_mobile=True),
        Kind.LOST: Q(lost_contact=True),
        Kind.SUSPENDED: Q(party_status=PartyStatus.SUSPENDED),
    }
    opened: list[Spell] = []
    closed: list[Spell] = []
    for kind, flag in flags.items():
        spells = Spell.objects.open().filter(kind=kind)
        without = members.filter(flag).exclude(Exists(spells.filter(member=OuterRef("pk"))))
        opened += [_spell_from_flags(member, kind, on) for member in without]
        stale = spells.filter(member__in=members.exclude(flag)).select_related("member")
        for spell in stale:
            spell.ended_on, spell.end_note = max(on, spell.started_on), "花名册更新"
            closed.append(spell)
    Spell.objects.bulk_create(opened)
    Spell.objects.bulk_update(closed, ["ended_on", "end_note"])
    return len(opened), len(closed)


def _spell_from_flags(member: Member, kind: str, on: datetime.date) -> Spell:
    if kind == Kind.AWAY:
        return Spell(member=member, kind=kind, started_on=on, destination=member.mobile_destination)
    since = member.lost_contact_on
    if kind == Kind.LOST:
        return Spell(member=member, kind=kind, started_on=since or on, efforts="（登记时已失联）")
    started = min(months_later(since, LOST_MONTHS_BEFORE_SUSPENSION), on) if since else on
    return Spell(member=member, kind=kind, started_on=started)


@transaction.atomic
def inflow_register(
    *,
    branch: Organization,
    name: str,
    origin_org: str,
    arrived_on: datetime.date,
    id_number: str = "",
    **fields,
) -> Inflow:
    """流入: a member of another place registered with *branch* from *arrived_on*."""
    errors = {}
    if branch.kind != OrgKind.BRANCH or not branch.is_live:
        errors["branch"] = "请选择联系的党支部。"
    if arrived_on > timezone.localdate():
        errors["arrived_on"] = "流入日期不能晚于今天。"
    if id_number.strip():
        try:
            id_number = parse_id_number(id_number).number
        except IdNumberError as exc:
            errors["id_number"] = str(exc)
        else:
            if Member.objects.active().filter(id_number=id_number).exists():
                errors["id_number"] = "该身份证号的党员在本县花名册中，不是流入党员。"
    if errors:
        raise ValidationError(errors)
    inflow = Inflow(
        branch=branch,
        name=name.strip(),
        origin_org=origin_org.strip(),
        arrived_on=arrived_on,
        id_number=id_number.strip(),
        **fields,
    )
    inflow.full_clean()
    inflow.save()
    return inflow


@transaction.atomic
def inflow_leave(*, inflow: Inflow, on: datetime.date) -> Inflow:
    """The member registered here went back (or on) on *on*."""
    inflow = Inflow.objects.select_for_update().get(pk=inflow.pk)
    if inflow.left_on is not None:
        raise ValidationError(f"{inflow.name}已于 {inflow.left_on} 登记离开。")
    _check_day(on, after=inflow.arrived_on, what="流入日期")
    inflow.left_on = on
    inflow.full_clean()
    inflow.save()
    return inflow
