"""Demo points: the year's ledger derived from the demo attendance and the dues ledger
(欠缴党费, built before), a few manual entries (most approved, some waiting), some
appraisal grades, and the draft ratings."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from activities.models import (
    Appraisal,
    AppraisalGrade,
    EntryStatus,
    PointEntry,
    PointRule,
    PointSource,
    in_force_q,
)
from activities.points.dues import dues_points_refresh
from activities.points.scheme import year_start
from activities.points.services import points_recompute
from activities.ratings.services import rating_draft_compute
from members.choices import MemberCategory

REASONS = {
    PointSource.VOLUNTEER: [
        "参加防汛值守志愿服务",
        "参加人居环境整治志愿服务",
        "参加敬老院志愿服务",
    ],
    PointSource.DUTY: ["设岗定责：政策宣传岗", "设岗定责：环境卫生监督岗", "设岗定责：矛盾调解岗"],
    PointSource.PAIRING: ["结对帮扶困难户", "结对帮扶留守儿童"],
    PointSource.DISCIPLINE: ["受到党内警告处分"],
}
WEIGHTS = {
    PointSource.VOLUNTEER: 50,
    PointSource.DUTY: 25,
    PointSource.PAIRING: 15,
    PointSource.DISCIPLINE: 2,
}


def build_points(*, rng: random.Random, today: datetime.date, county, members, users) -> dict:
    year = today.year
    points_recompute(year=year)
    # The 欠缴党费 deductions as of the build's day (points_recompute takes the clock's).
    dues_points_refresh(year=year, today=today)
    derived = PointEntry.objects.filter(year=year, status=EntryStatus.AUTO).count()
    rules = {r.source: r for r in PointRule.objects.filter(in_force_q(year_start(year)))}
    # Only what the year's scheme still takes by hand: a source the ledgers derive from
    # a year on (设岗定责, for one) has no manual rule in force that year.
    sources = [s for s in WEIGHTS if s in rules]
    now = timezone.now()
    entries = []
    for member in rng.sample(members, k=len(members) // 25):
        source = rng.choices(sources, weights=[WEIGHTS[s] for s in sources])[0]
        pending = rng.random() < 0.1
        on = year_start(year) + datetime.timedelta(days=rng.randrange((today.month - 1) * 30 + 1))
        entries.append(
            PointEntry(
                member=member,
                org_id=member.group_id or member.branch_id,
                year=year,
                date=min(on, today),
                source=source,
                points=Decimal(rules[source].points),
                reason=rng.choice(REASONS[source]),
                status=EntryStatus.PENDING if pending else EntryStatus.APPROVED,
                entered_by=users["admin"],
                entered_at=now,
                decided_by=None if pending else users["county"],
                decided_at=None if pending else now,
            )
        )
    PointEntry.objects.bulk_create(entries, batch_size=2000)
    grades = [
        Appraisal(
            member=member,
            branch_id=member.branch_id,
            year=year,
            grade=rng.choices(list(AppraisalGrade), weights=[30, 64, 5, 1])[0],
            entered_by=users["admin"],
        )
        for member in members
        if member.category == MemberCategory.FULL and rng.random() < 0.2
    ]
    Appraisal.objects.bulk_create(grades, batch_size=2000, audit=False)
    draft = rating_draft_compute(node=county, year=year, today=today)
    return {
        "point_entries": derived + len(entries),
        "ratings": len(draft.ratings),
    }
