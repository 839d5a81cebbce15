"""Points derived from the working ledgers (activities.ledgers): 兑现公开承诺,
设岗定责履职, 结对帮扶走访 and 学习达标.

A member's pledge recorded as 已兑现 earns the rule's points once, dated the
day it was fulfilled, in the organisation where the pledge is kept; each
履职记录 of a member on a duty post earns the rule's points once, dated the
day the work was done, in the post's branch; each visit of a member to the
household or village they pair with earns them the rule's points once, dated
the day of the visit, in the pairing's branch (a unit's visits earn nobody
points); a member whose 学时 of the year reach their target
(activities.ledgers.study) earns the rule's points once for that year, dated
the day of the session that reached it, in the organisation that held it. Like the attendance and dues
entries these are rewritten from the ledger each time (idempotent): a pledge
set back to 部分兑现 loses its points at the next refresh, and recomputing a
year twice gives the same entries. A year's entries follow the rule in force
on its 1 January; without one there are none, and the clerk's manual entries
of earlier years stay as they were. The yearly cap is applied when the year
is rated, so every item stays on the statement.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import F, Sum, Window
from django.utils import timezone

from activities.ledgers.study.selectors import (
    in_year,
    reference_day,
    target_expression,
    target_of,
)
from activities.models import (
    DutyLog,
    EntryStatus,
    Fulfilment,
    PairingVisit,
    Pledge,
    PointEntry,
    PointRule,
    PointSource,
    StudyAttendance,
    in_force_q,
)
from activities.points.scheme import year_start
from branches.pg_copy import copy_insert

# The reason is what the member's statement shows; the entry's column holds 200.
REASON_TEXT = 180


# A whole year's rewrite (a county's 履职记录 and visits: hundreds of thousands at city
# scale) goes through COPY on PostgreSQL, several times faster than the ORM's INSERT; a
# member's refresh after a write stays an INSERT.
COPY_ABOVE = 5000
ENTRY_FIELDS = [
    "member_id",
    "org_id",
    "year",
    "date",
    "source",
    "activity_kind",
    "points",
    "reason",
    "status",
    "entered_at",
]


def _rewrite(*, year: int, source: str, member_ids, items) -> int:
    """Replace *year*'s derived entries of *source* (of *member_ids*, or all) with one per
    item of *items*: ``(member_id, org_id, date, reason)`` rows, read after the delete."""
    old = PointEntry.objects.filter(year=year, source=source, status=EntryStatus.AUTO)
    if member_ids is not None:
        old = old.filter(member_id__in=member_ids)
    old.delete()
    rule = PointRule.objects.filter(
        in_force_q(year_start(year)), source=source, activity_kind=""
    ).first()
    if rule is None:
        return 0
    now = timezone.now()
    rows = [
        (member_id, org_id, year, day, source, "", rule.points, reason, EntryStatus.AUTO, now)
        for member_id, org_id, day, reason in items
    ]
    if connection.vendor == "postgresql" and len(rows) > COPY_ABOVE:
        with connection.cursor() as cursor:
            copy_insert(cursor, PointEntry, ENTRY_FIELDS, rows)
    else:
        entries = [PointEntry(**dict(zip(ENTRY_FIELDS, row, strict=True))) for row in rows]
        PointEntry.objects.bulk_create(entries, batch_size=2000)
    return len(rows)


@transaction.atomic
def pledge_points_refresh(*, year: int, member_ids=None) -> int:
    """Rewrite *year*'s 兑现公开承诺 entries (of *member_ids*, or all); returns how many."""
    pledges = Pledge.objects.filter(
        member__isnull=False,
        fulfilment=Fulfilment.DONE,
        fulfilled_on__gte=year_start(year),
        fulfilled_on__lt=year_start(year + 1),
    )
    if member_ids is not None:
        pledges = pledges.filter(member_id__in=member_ids)
    rows = pledges.values_list("member_id", "org_id", "fulfilled_on", "text").order_by(
        "fulfilled_on", "pk"
    )
    items = (
        (member_id, org_id, day, f"兑现公开承诺：{text[:REASON_TEXT]}")
        for member_id, org_id, day, text in rows
    )
    return _rewrite(year=year, source=PointSource.PLEDGE, member_ids=member_ids, items=items)


@transaction.atomic
def duty_log_points_refresh(*, year: int, member_ids=None) -> int:
    """Rewrite *year*'s 设岗定责履职 entries (of *member_ids*, or all); returns how many."""
    logs = DutyLog.objects.filter(done_on__gte=year_start(year), done_on__lt=year_start(year + 1))
    if member_ids is not None:
        logs = logs.filter(assignment__member_id__in=member_ids)
    rows = logs.values_list(
        "assignment__member_id",
        "assignment__post__org_id",
        "done_on",
        "assignment__post__name",
        "text",
    ).order_by("done_on", "pk")
    items = (
        (member_id, org_id, day, f"设岗定责履职：{name}：{text}"[:REASON_TEXT])
        for member_id, org_id, day, name, text in rows
    )
    return _rewrite(year=year, source=PointSource.DUTY_LOG, member_ids=member_ids, items=items)


@transaction.atomic
def pairing_visit_points_refresh(*, year: int, member_ids=None) -> int:
    """Rewrite *year*'s 结对帮扶走访 entries (of *member_ids*, or all); returns how many."""
    visits = PairingVisit.objects.filter(
        pairing__member__isnull=False,
        visited_on__gte=year_start(year),
        visited_on__lt=year_start(year + 1),
    )
    if member_ids is not None:
        visits = visits.filter(pairing__member_id__in=member_ids)
    rows = visits.values_list(
        "pairing__member_id",
        "pairing__org_id",
        "visited_on",
        "pairing__partner_name",
        "help_given",
    ).order_by("visited_on", "pk")
    items = (
        (member_id, org_id, day, f"结对帮扶走访：{partner}：{text}"[:REASON_TEXT])
        for member_id, org_id, day, partner, text in rows
    )
    return _rewrite(year=year, source=PointSource.PAIRING_VISIT, member_ids=member_ids, items=items)


@transaction.atomic
def study_points_refresh(*, year: int, member_ids=None, today: datetime.date | None = None) -> int:
    """Rewrite *year*'s 学习达标 entries (of *member_ids*, or all); returns how many.

    Each member's sessions of the year run in date order with their running sum
    of 学时 (a window in the database); the session that reached the member's
    target is the one whose running sum reaches it while the sum before it did
    not: one row per member who reached it, whatever the number of sessions.
    """

    target = target_of(year)
    if target is None:
        return _rewrite(year=year, source=PointSource.STUDY, member_ids=member_ids, items=())
    on = reference_day(year, today or timezone.localdate())
    rows = StudyAttendance.objects.filter(in_year(year, "session__"))
    if member_ids is not None:
        rows = rows.filter(member_id__in=member_ids)
    rows = (
        rows.annotate(
            target=target_expression(target, on, member="member_id"),
            running=Window(
                Sum("session__hours"),
                partition_by=[F("member_id")],
                order_by=[F("session__date").asc(), F("session_id").asc()],
            ),
        )
        .annotate(before=F("running") - F("session__hours"))
        .filter(running__gte=F("target"), before__lt=F("target"))
        .values_list("member_id", "session__org_id", "session__date", "target")
        .order_by("session__date", "member_id")
    )
    items = (
        (member_id, org_id, day, f"学习达标：{year}年学习满{hours.normalize():f}学时")
        for member_id, org_id, day, hours in rows
    )
    return _rewrite(year=year, source=PointSource.STUDY, member_ids=member_ids, items=items)


def ledger_points_refresh(*, year: int) -> int:
    """Every ledger-derived entry of *year*, rewritten (``points_recompute`` calls this)."""
    return (
        pledge_points_refresh(year=year)
        + duty_log_points_refresh(year=year)
        + pairing_visit_points_refresh(year=year)
        + study_points_refresh(year=year)
    )
