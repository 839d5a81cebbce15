"""Demo 组织关系转接 (a few letters in each township, in every state a clerk meets)
and the dated spells of members away, lost or suspended.

Per township: members sent to the next township still waiting to be received,
one received today, one letter past its validity, one out of the county
waiting for its 回执 and one whose 回执 came back today, and a member arrived
from outside. Receipts fall on the build's last day, so the meeting history
built before (up to that day) stays true to where everyone was.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from branches.audit import acting_as
from branches.models import Organization
from members.dates import months_later
from members.models import Member, Spell, Transfer
from members.services import transfer_arrive, transfer_issue, transfer_receive
from members.standing import inflow_register

OUTSIDE = [
    ("中共深圳市宝安区新安街道工作委员会", "广东省深圳市"),
    ("中共苏州市吴中区木渎镇委员会", "江苏省苏州市"),
    ("中共杭州市萧山区城厢街道工作委员会", "浙江省杭州市"),
    ("中共郑州市金水区文化路街道工作委员会", "河南省郑州市"),
]


def build_transfers(
    *,
    rng: random.Random,
    today: datetime.date,
    townships: list[Organization],
    users: dict,
    person: Callable[[], tuple[str, str, datetime.date]],
) -> int:
    """The letters; how many. *person* gives a new name, ID number and birth date for each arrival."""
    user = users["admin"]
    count = 0
    with acting_as(user, "演示数据"):
        for index, township in enumerate(townships):
            # Members settled where they are: a letter may not predate their membership.
            members = list(
                Member.objects.filter(
                    branch__path__startswith=township.path,
                    memberships__ended_on__isnull=True,
                    memberships__started_on__lt=today - datetime.timedelta(days=200),
                )
                .select_related("branch")
                .order_by("pk")[:40]
            )
            if len(members) < 8:
                continue
            picked = rng.sample(members, 7)
            target = townships[(index + 1) % len(townships)]
            count += _township(rng, today, township, target, picked, user, person())
    return count


def _number(township: Organization, serial: int, today: datetime.date) -> str:
    return f"{township.name[:2]}组转〔{today.year}〕{serial}号"


def _township(rng, today, township, target, picked, user, arrival) -> int:
    day = datetime.timedelta(days=1)
    within = [
        _issue(
            picked[0], target, today - rng.randint(3, 20) * day, _number(township, 1, today), user
        ),
        _issue(
            picked[1], target, today - rng.randint(3, 20) * day, _number(township, 2, today), user
        ),
        _issue(
            picked[2], target, today - rng.randint(5, 30) * day, _number(township, 3, today), user
        ),
        # Issued five months ago and never taken up: past its validity.
        _issue(
            picked[3],
            target,
            today - rng.randint(130, 160) * day,
            _number(township, 4, today),
            user,
        ),
    ]
    target_branch = (
        Organization.objects.filter(kind="branch", path__startswith=target.path, dissolved_on=None)
        .order_by("path")
        .first()
    )
    if target_branch is not None:
        transfer_receive(transfer=within[2], on=today, user=user, branch=target_branch)
    outside_org, place = rng.choice(OUTSIDE)
    for member, serial, received in ((picked[4], 5, False), (picked[5], 6, True)):
        letter = transfer_issue(
            member=member,
            kind=Transfer.Kind.OUT,
            outside_org=outside_org,
            outside_place=place,
            letter_number=_number(township, serial, today),
            letter_date=today - rng.randint(10, 40) * day,
            dues_paid_until=today.replace(day=1),
            user=user,
        )
        if received:
            transfer_receive(transfer=letter, on=today, user=user)
    arrived = picked[6]
    transfer_arrive(
        user=user,
        branch=arrived.branch,
        group=None,
        on=today,
        outside_org=outside_org,
        outside_place=place,
        letter_number=f"外〔{today.year}〕{rng.randint(10, 300)}号",
        letter_date=today - rng.randint(5, 25) * day,
        dues_paid_until=today.replace(day=1),
        name=arrival[0],
        id_number=arrival[1],
        category="full",
        # Joined between 22 and 30, at least two years before arriving.
        joined_on=min(
            arrival[2].replace(year=arrival[2].year + rng.randint(22, 30), day=1),
            today.replace(year=today.year - 2, day=1),
        ),
    )
    return 7


def _issue(member, target, on, number, user) -> Transfer:
    return transfer_issue(
        member=member,
        kind=Transfer.Kind.WITHIN,
        to_org=target,
        letter_number=number,
        letter_date=on,
        dues_paid_until=on.replace(day=1),
        user=user,
    )


EMPLOYERS = [
    "建筑工地",
    "电子厂",
    "物流公司",
    "餐饮店",
    "服装厂",
    "装修公司",
    "家政公司",
    "汽车配件厂",
]
EFFORTS = [
    "多次拨打手机无人接听，向其亲属打听未果",
    "原手机号已停机，走访家人称长期无联系",
    "委托外出务工党员在当地查找，未找到",
]


def build_spells(*, rng: random.Random, today: datetime.date, members: list[Member]) -> int:
    """Dated spells for the demo's members who are away, lost or suspended: the flags
    the roster carries, with the dates and details a clerk would have recorded."""
    rows = []
    for member in members:
        if member.is_mobile:
            since = today - datetime.timedelta(days=rng.randint(20, 1200))
            mobile_org = f"{member.mobile_destination}流动党员党支部" if rng.random() < 0.3 else ""
            rows.append(
                Spell(
                    member=member,
                    kind=Spell.Kind.AWAY,
                    started_on=max(since, member.joined_on or since),
                    destination=member.mobile_destination,
                    employer=f"{member.mobile_destination}某{rng.choice(EMPLOYERS)}",
                    contact=member.mobile_phone,
                    mobile_org=mobile_org,
                )
            )
        if member.lost_contact:
            rows.append(
                Spell(
                    member=member,
                    kind=Spell.Kind.LOST,
                    started_on=member.lost_contact_on,
                    efforts=rng.choice(EFFORTS),
                )
            )
        if member.party_status == "suspended":
            decided = months_later(member.lost_contact_on, 6) + datetime.timedelta(
                days=rng.randint(0, 40)
            )
            rows.append(
                Spell(
                    member=member,
                    kind=Spell.Kind.SUSPENDED,
                    started_on=min(decided, today),
                    decision_number=f"{member.branch.name[:3]}支〔{decided.year}〕{rng.randint(1, 9)}号",
                )
            )
    Spell.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


INFLOW_ORIGINS = [
    ("中共某县城关镇委员会", "四川省"),
    ("中共某县柳林乡委员会", "贵州省"),
    ("中共某县红旗镇委员会", "河南省"),
    ("中共某县新华街道工作委员会", "湖南省"),
]
INFLOW_WORK = ["县工业园区某机械厂", "镇上某物流站", "县城某超市", "村里的蔬菜种植合作社"]


def build_inflows(
    *, rng: random.Random, today: datetime.date, townships: list[Organization], names
) -> int:
    """Two or three members of other places registered with a branch of each township."""
    count = 0
    for township in townships:
        branches = list(
            Organization.objects.filter(
                kind="branch", path__startswith=township.path, dissolved_on=None
            ).order_by("path")[:20]
        )
        for _ in range(rng.randint(2, 3) if branches else 0):
            origin, place = rng.choice(INFLOW_ORIGINS)
            inflow_register(
                branch=rng.choice(branches),
                name=names(),
                origin_org=origin,
                origin_place=place,
                employer=rng.choice(INFLOW_WORK),
                arrived_on=today - datetime.timedelta(days=rng.randint(30, 700)),
            )
            count += 1
    return count
