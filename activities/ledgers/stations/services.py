"""Writes of the 远程教育站点 ledger: a station set up, its details changed or its closing,
and the clerk's monthly check of it.

A month's check is one row: recording a second check of a month is refused (two
clerks at once see the first); the station's page offers the month's check to be
corrected instead, to whoever holds that permission.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activities.ledgers.services import day_label, not_after_today
from activities.models import MAX_PLAYBACKS, Station, StationCheck, StationState
from branches.models import Organization, OrgKind
from members.models import Member

# The details a clerk may change on a station (its branch never changes).
DETAILS = (
    "name",
    "address",
    "has_tv",
    "has_set_top_box",
    "has_computer",
    "has_projector",
    "equipment_note",
    "manager",
    "opened_on",
    "closed_on",
)


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_label(month: datetime.date) -> str:
    return f"{month:%Y年%-m月}"


def _live_branch(org: Organization) -> None:
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：远程教育站点由党支部设立。"})


def _manager_of(org: Organization, member: Member) -> None:
    if member.branch_id != org.pk or not Member.objects.active().filter(pk=member.pk).exists():
        raise ValidationError({"manager": f"{member.name}不是{org.name}在册的党员。"})


def _strip(text: str) -> str:
    return (text or "").strip()


@transaction.atomic
def station_create(
    *,
    org: Organization,
    name: str,
    address: str,
    manager: Member,
    opened_on: datetime.date,
    has_tv: bool = False,
    has_set_top_box: bool = False,
    has_computer: bool = False,
    has_projector: bool = False,
    equipment_note: str = "",
    by,
) -> Station:
    """Register the branch *org*'s 远程教育 station, opened on *opened_on*."""
    _live_branch(org)
    _manager_of(org, manager)
    not_after_today(opened_on, "opened_on", "建站日期")
    station = Station(
        org=org,
        name=_strip(name),
        address=_strip(address),
        has_tv=has_tv,
        has_set_top_box=has_set_top_box,
        has_computer=has_computer,
        has_projector=has_projector,
        equipment_note=_strip(equipment_note),
        manager=manager,
        opened_on=opened_on,
        recorded_by=by,
    )
    station.full_clean()
    station.save()
    return station


@transaction.atomic
def station_change(*, station: Station, by, **details) -> Station:
    """Change the station's details (equipment, manager, …) or close it (``closed_on``).

    Its checks stay inside its life: it cannot be opened after, nor closed
    before, a month already checked.
    """
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise TypeError(f"station_change: unknown details {sorted(unknown)}")
    station = Station.objects.select_for_update().get(pk=station.pk)
    for name, value in details.items():
        setattr(station, name, _strip(value) if isinstance(value, str) else value)
    _manager_of(station.org, station.manager)
    not_after_today(station.opened_on, "opened_on", "建站日期")
    if station.closed_on is not None:
        not_after_today(station.closed_on, "closed_on", "停用日期")
    months = StationCheck.objects.filter(station=station).order_by("month")
    first, last = months.first(), months.last()
    if first is not None and month_of(station.opened_on) > first.month:
        raise ValidationError(
            {"opened_on": f"该站点{month_label(first.month)}已有检查记录，建站日期不能晚于该月。"}
        )
    if last is not None and station.closed_on and month_of(station.closed_on) < last.month:
        raise ValidationError(
            {"closed_on": f"该站点{month_label(last.month)}已有检查记录，停用日期不能早于该月。"}
        )
    station.full_clean()
    station.save()
    return station


def _check_rules(
    *,
    station: Station,
    month: datetime.date,
    checked_on: datetime.date,
    state: str,
    playbacks: int,
    comment: str,
) -> None:
    """What every check of a month obeys, first recorded or corrected."""
    today = timezone.localdate()
    if month > today:
        raise ValidationError({"month": f"{month_label(month)}还没有开始，不能检查。"})
    if month < month_of(station.opened_on):
        raise ValidationError(
            {"month": f"该站点{day_label(station.opened_on)}建站，不能检查此前的月份。"}
        )
    if station.closed_on and month > month_of(station.closed_on):
        raise ValidationError(
            {"month": f"该站点已于{day_label(station.closed_on)}停用，不能检查此后的月份。"}
        )
    not_after_today(checked_on, "checked_on", "检查日期")
    if checked_on < month:
        raise ValidationError({"checked_on": f"检查日期不能早于{month_label(month)}1日。"})
    if not 0 <= playbacks <= MAX_PLAYBACKS:
        raise ValidationError({"playbacks": f"播放次数应在0到{MAX_PLAYBACKS}次之间。"})
    if state == StationState.IDLE and playbacks:
        raise ValidationError({"playbacks": "未开展的月份播放次数应为0。"})
    if state == StationState.NORMAL and not playbacks:
        raise ValidationError(
            {"playbacks": "运行正常的月份应填写播放次数；没有播放的请选“未开展”。"}
        )
    if state == StationState.FAULT and not comment:
        raise ValidationError({"comment": "设备故障的，请在检查情况中写明哪件设备出了什么故障。"})


@transaction.atomic
def station_check_record(
    *,
    station: Station,
    month: datetime.date,
    checked_on: datetime.date,
    state: str,
    playbacks: int,
    comment: str = "",
    by,
) -> StationCheck:
    """Record the clerk's check of *station* for *month* (any day of it): once a month."""
    month, comment = month_of(month), _strip(comment)
    # Two checks of one month at once both see none: one at a time per station.
    station = Station.objects.select_for_update().get(pk=station.pk)
    _check_rules(
        station=station,
        month=month,
        checked_on=checked_on,
        state=state,
        playbacks=playbacks,
        comment=comment,
    )
    done = StationCheck.objects.filter(station=station, month=month).first()
    if done is not None:
        raise ValidationError(
            {
                "month": f"{station.name}{month_label(month)}已于{day_label(done.checked_on)}检查，"
                "一个月只登记一次：请修改该月的检查记录。"
            }
        )
    check = StationCheck(
        station=station,
        month=month,
        checked_on=checked_on,
        state=state,
        playbacks=playbacks,
        comment=comment,
        checked_by=by,
    )
    check.full_clean()
    check.save()
    return check


@transaction.atomic
def station_check_change(
    *,
    check: StationCheck,
    checked_on: datetime.date,
    state: str,
    playbacks: int,
    comment: str = "",
    by,
) -> StationCheck:
    """Correct a month's check; the history keeps what it said and who recorded it."""
    check = StationCheck.objects.select_for_update().select_related("station").get(pk=check.pk)
    comment = _strip(comment)
    _check_rules(
        station=check.station,
        month=check.month,
        checked_on=checked_on,
        state=state,
        playbacks=playbacks,
        comment=comment,
    )
    check.checked_on, check.state = checked_on, state
    check.playbacks, check.comment = playbacks, comment
    check.full_clean()
    check.save()
    return check
