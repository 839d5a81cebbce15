"""The demo's 党员学习教育: last year whole and this year to date.

Each live branch studies once or twice a month (集中学习 most often, a 党课 or
远程教育 now and then, sometimes 网络学习), two to four 学时 a time; most
members come nearly every time and reach the 32 学时, about one in eight comes
only now and then and falls short. Each township trains its branch secretaries
three times a year (8 学时 each), so most secretaries reach their 56. Only
members already in the branch on the day attend. Its own random stream, so
the rest of the demo is left as it was; the 学习达标 points follow from the
points' recompute, which runs after.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from activities.models import StudyAttendance, StudyForm, StudySession
from branches.dated import months_later
from branches.models import COMMITTEE_KINDS, Organization, OrgKind, Post, PostTitle
from members.models import Membership
from reports.demo.bulk import insert_rows

TOPICS = [
    "学习《中国共产党章程》",
    "学习习近平新时代中国特色社会主义思想",
    "学习党的二十届四中全会精神",
    "学习《中国共产党纪律处分条例》",
    "学习乡村振兴政策",
    "学习《中国共产党党员教育管理工作条例》",
    "观看警示教育片",
    "学习党史：红船精神",
    "学习基层治理典型经验",
    "学习安全生产和防汛知识",
    "学习惠农补贴政策",
    "学习移风易俗有关规定",
]
FORMS = [StudyForm.CLASS] * 5 + [StudyForm.LESSON] * 2 + [StudyForm.REMOTE] * 2 + [StudyForm.ONLINE]
HOURS = [Decimal(h) for h in ("2", "2", "2.5", "3", "3", "3.5", "4")]
# Who comes: most members nearly every time, the rest now and then.
REGULAR, REGULAR_COMES, OTHERS_COME = 0.88, 0.93, 0.45
TRAINING_MONTHS = (3, 6, 9)


def _day(rng: random.Random, month: datetime.date, today: datetime.date) -> datetime.date:
    last = min(months_later(month, 1) - datetime.timedelta(days=1), today)
    return month + datetime.timedelta(days=rng.randrange((last - month).days + 1))


def build_study(*, rng: random.Random, today: datetime.date, users) -> dict[str, int]:
    """Last year's and this year's study sessions with attendance; returns the counts."""
    by = users["admin"]
    branches = list(
        Organization.objects.filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True).order_by("path")
    )
    # Each member in their branch since when (the history moved some of them).
    people: dict[int, list[tuple[int, datetime.date]]] = {}
    for member_id, branch_id, since in (
        Membership.objects.filter(ended_on__isnull=True, member__roster_status="active")
        .order_by("member_id")
        .values_list("member_id", "branch_id", "started_on")
    ):
        people.setdefault(branch_id, []).append((member_id, since))
    keen = {pk: rng.random() < REGULAR for group in people.values() for pk, _ in group}
    sessions: list[StudySession] = []
    attendees: list[list[int]] = []
    first = datetime.date(today.year - 1, 1, 1)
    for branch in branches:
        month = first
        while month <= today:
            for _ in range(rng.choice((1, 2))):
                day = _day(rng, month, today)
                sessions.append(
                    StudySession(
                        org_id=branch.pk,
                        date=day,
                        topic=rng.choice(TOPICS),
                        form=rng.choice(FORMS),
                        hours=rng.choice(HOURS),
                        recorded_by=by,
                    )
                )
                attendees.append(
                    [
                        pk
                        for pk, since in people.get(branch.pk, [])
                        if since <= day
                        and rng.random() < (REGULAR_COMES if keen[pk] else OTHERS_COME)
                    ]
                )
            month = months_later(month, 1)
    trained = _training(rng, today, people, sessions, attendees, by)
    created = StudySession.objects.bulk_create(sessions, batch_size=2000, audit=False)
    # Two million rows at city scale: through COPY (reports.demo.bulk), not as instances.
    rows = [(s.pk, pk) for s, members in zip(created, attendees, strict=True) for pk in members]
    insert_rows(StudyAttendance, ["session_id", "member_id"], rows)
    return {"study_sessions": len(sessions), "study_attendance": len(rows), "trainings": trained}


def _training(rng, today, people, sessions, attendees, by) -> int:
    """Each township's (or 工委's) 书记培训 (8 学时) in March, June and September, for those holding a
    书记 post in it who were in their branch on the day."""
    since = {pk: day for group in people.values() for pk, day in group}
    posts = (
        Post.objects.filter(title=PostTitle.SECRETARY, ended_on__isnull=True)
        .order_by("org__path", "member_id")
        .values_list("org__path", "member_id")
    )
    count = 0
    units = Organization.objects.filter(kind__in=COMMITTEE_KINDS, parent__kind=OrgKind.COUNTY)
    for township in units.order_by("path"):
        theirs = sorted(
            {pk for path, pk in posts if path.startswith(township.path) and pk in since}
        )
        short = township.name.removesuffix("党工委").removesuffix("党委")
        for year in (today.year - 1, today.year):
            for month in TRAINING_MONTHS:
                start = datetime.date(year, month, 1)
                if start > today:
                    continue
                day = _day(rng, start, today)
                sessions.append(
                    StudySession(
                        org_id=township.pk,
                        date=day,
                        topic=f"{short}党组织书记培训班",
                        form=StudyForm.CLASS,
                        hours=Decimal("8"),
                        recorded_by=by,
                    )
                )
                attendees.append([pk for pk in theirs if since[pk] <= day and rng.random() < 0.95])
                count += 1
    return count
