"""Demo 远程教育站点: most village branches keep one station, checked by the township's
clerk month after month.

About nine village (农村) branches in ten have a station, most set up years ago in
the village committee's rooms (a television and a set-top box, some a computer or
a projector), a few this spring; its manager is one of the branch's members,
those holding a post first. The clerk checks each station in most months: in a
year a station misses one or two months, so ten or eleven of the twelve are
checked. Most months it ran normally, played two to eight times; every third
station had a month when the set-top box or the television failed (设备故障), every
fifth a month it played nothing (未开展: a busy farming month).

Bulk-written without history rows, like the rest of the demo; stations earn no points.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import F

from activities.models import Station, StationCheck, StationState
from branches.dated import months_later
from branches.models import BranchCategory, Organization, OrgKind, Post

WITH_STATION = 0.9
ROOMS = ["村委会二楼会议室", "村党群服务中心", "村文化活动室", "村部一楼远教室", "村党员活动室"]
NOTES = ["", "", "", "音响一套", "卫星接收天线", "DVD播放机"]
FAULTS = [
    "机顶盒无信号，已联系县远教中心维修",
    "电视机无法开机，已报修",
    "网络中断，已联系运营商",
    "投影仪灯泡损坏，待更换",
]
IDLE = ["农忙时节未组织收看", "站点会议室装修，暂停收看"]


def _days(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange(max((end - start).days, 0) + 1))


def build_stations(*, rng: random.Random, today: datetime.date, clerks: dict, users) -> dict:
    """This year's 远程教育 stations of the village branches and their monthly checks;
    *clerks* maps each county unit's pk to the account that keeps its records."""
    units = {o.path: clerks[o.pk] for o in Organization.objects.filter(pk__in=clerks)}
    villages = list(
        Organization.objects.filter(
            kind=OrgKind.BRANCH, category=BranchCategory.VILLAGE, dissolved_on__isnull=True
        ).order_by("path")
    )
    keepers: dict[int, int] = {}
    for org_id, member_id in (
        Post.objects.filter(org__in=villages, ended_on__isnull=True, member__branch_id=F("org_id"))
        .order_by("org_id", "pk")
        .values_list("org_id", "member_id")
    ):
        keepers.setdefault(org_id, member_id)
    year = today.year
    stations: list[Station] = []
    for branch in villages:
        manager = keepers.get(branch.pk)
        if manager is None or rng.random() >= WITH_STATION:
            continue
        opened = (
            _days(rng, datetime.date(year, 3, 1), datetime.date(year, 4, 30))
            if rng.random() < 0.08
            else _days(rng, datetime.date(2012, 1, 1), datetime.date(year - 1, 12, 31))
        )
        if opened > today:
            continue
        stations.append(
            Station(
                org_id=branch.pk,
                name=f"{branch.name.removesuffix('党支部')}党员远程教育站点",
                address=rng.choice(ROOMS),
                has_tv=rng.random() < 0.95,
                has_set_top_box=rng.random() < 0.9,
                has_computer=rng.random() < 0.5,
                has_projector=rng.random() < 0.2,
                equipment_note=rng.choice(NOTES),
                manager_id=manager,
                opened_on=opened,
                recorded_by=users["admin"],
            )
        )
    Station.objects.bulk_create(stations, batch_size=2000, audit=False)
    paths = dict(Organization.objects.filter(kind=OrgKind.BRANCH).values_list("pk", "path"))
    checks = []
    this_month = today.replace(day=1)
    for index, station in enumerate(stations):
        path = paths[station.org_id]
        clerk = next((u for p, u in units.items() if path.startswith(p)), None) or users["admin"]
        skipped = set(rng.sample(range(1, 13), k=rng.choice((1, 2))))
        month = max(datetime.date(year, 1, 1), station.opened_on.replace(day=1))
        months = []
        while month < this_month:
            if month.month not in skipped:
                months.append(month)
            month = months_later(month, 1)
        # Every third station had a month of 设备故障, every fifth one without a showing.
        fault = rng.choice(months) if months and index % 3 == 0 else None
        idle = rng.choice(months) if months and index % 5 == 2 else None
        for month in months:
            state = (
                StationState.FAULT
                if month == fault
                else StationState.IDLE
                if month == idle
                else StationState.NORMAL
            )
            checks.append(_check(rng, station, month, today, clerk, state))
    StationCheck.objects.bulk_create(checks, batch_size=2000, audit=False)
    return {"stations": len(stations), "station_checks": len(checks)}


def _check(rng, station, month, today, clerk, state) -> StationCheck:
    last = months_later(month, 1) - datetime.timedelta(days=1)
    playbacks, comment = rng.randint(2, 8), ""
    if state == StationState.FAULT:
        playbacks, comment = rng.randint(0, 3), rng.choice(FAULTS)
    elif state == StationState.IDLE:
        playbacks, comment = 0, rng.choice(IDLE)
    return StationCheck(
        station=station,
        month=month,
        checked_on=min(_days(rng, max(month.replace(day=15), station.opened_on), last), today),
        state=state,
        playbacks=playbacks,
        comment=comment,
        checked_by=clerk,
    )
