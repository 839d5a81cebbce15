"""Demo 谈心谈话: a year of talks in every branch, as a county keeps them.

Before each branch's 组织生活会 held this year, most of its required pairs talked;
in the cycle since (or since 1 January), most branches have talked every required
pair and a few still owe one to four; a cycle begun only weeks ago has about half
its pairs done. Some members also talk outside the pairs the rules require. Each
talk falls on a day both members were in the branch (their current membership).
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Max

from activities.ledgers.talks.selectors import branch_talks
from activities.models import Activity, ActivityKind, Talk
from branches.models import Organization, OrgKind
from branches.paths import PATH_STEP
from members.models import Member, Membership

SUMMARIES = [
    "交流近期思想和工作情况，互相提出改进意见",
    "谈对支部工作的意见建议，提出加强党员教育管理",
    "了解家庭和生产困难，鼓励积极参加组织生活",
    "交流学习党的创新理论的体会",
    "谈履职尽责情况，相互开展批评和自我批评",
    "听取对村级事务公开的意见",
    "谈联系服务群众情况，商量帮扶困难户的办法",
    "提醒按时交纳党费、参加组织生活",
    "交流发挥先锋模范作用的打算",
    "谈工作中存在的不足和整改打算",
    "",
]
# Of the branches, this share has talked every required pair of the current cycle.
COMPLETE = 0.85
# A cycle this short (days) is under way: about half its pairs talked so far.
YOUNG_CYCLE = 45


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def build_talks(*, rng: random.Random, today: datetime.date, users, clerks) -> dict[str, int]:
    """This year's 谈心谈话 of every branch; returns the count. *clerks* maps a county
    unit's id to the user who logs its records."""
    branches = list(
        Organization.objects.filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True)
        .order_by("path")
        .values_list("pk", "path")
    )
    units = dict(Organization.objects.filter(pk__in=list(clerks)).values_list("path", "pk"))
    cycles = branch_talks(branch_ids=[pk for pk, _path in branches], today=today)
    first = datetime.date(today.year, 1, 1)
    meetings = dict(
        Activity.objects.filter(
            kind=ActivityKind.LIFE_MEETING, held_on__gte=first, held_on__lt=today
        )
        .values("org_id")
        .annotate(last=Max("held_on"))
        .values_list("org_id", "last")
    )
    since = dict(
        Membership.objects.filter(ended_on__isnull=True).values_list("member_id", "started_on")
    )
    groups: dict[int, list[int]] = {}
    for pk, branch_id in Member.objects.active().values_list("pk", "branch_id").order_by("pk"):
        groups.setdefault(branch_id, []).append(pk)
    talks: list[Talk] = []
    for pk, path in branches:
        cycle = cycles[pk]
        by = clerks.get(units.get(path[: 2 * PATH_STEP]), users["admin"])
        pairs = list(cycle.required.values())
        # Each planned talk: the two (the responsible one first) and the days it may fall in.
        plan: list[tuple[int, int, datetime.date, datetime.date]] = []
        meeting = meetings.get(pk)
        if meeting is not None:  # the talks before this year's 组织生活会
            plan += [(a, b, first, meeting) for a, b in pairs if rng.random() < 0.9]
        owed = pairs
        if (today - cycle.start).days < YOUNG_CYCLE:
            owed = [p for p in pairs if rng.random() < 0.5]
        elif rng.random() > COMPLETE and pairs:
            owed = rng.sample(pairs, max(len(pairs) - rng.randint(1, 4), 0))
        plan += [(a, b, cycle.start, today) for a, b in owed]
        people = groups.get(pk, [])
        for a in people if len(people) > 1 else ():
            if rng.random() < 0.1:
                plan.append((a, rng.choice([p for p in people if p != a]), first, today))
        for a, b, start, end in plan:
            start = max(start, since.get(a, start), since.get(b, start))
            if start > end:
                continue
            if rng.random() < 0.2:
                a, b = b, a  # the member sought the talk
            talks.append(
                Talk(
                    org_id=pk,
                    talked_on=_day(rng, start, end),
                    initiator_id=a,
                    partner_id=b,
                    summary=rng.choice(SUMMARIES),
                    recorded_by=by,
                )
            )
    Talk.objects.bulk_create(talks, batch_size=2000, audit=False)
    return {"talks": len(talks)}
