"""Points derived from the working ledgers (activities.ledgers): 兑现公开承诺.

A member's pledge recorded as 已兑现 earns the rule's points once, dated the
day it was fulfilled, in the organisation where the pledge is kept. Like the
attendance and dues entries these are rewritten from the ledger each time
(idempotent): a pledge set back to 部分兑现 loses its points at the next
refresh, and recomputing a year twice gives the same entries. A year's
entries follow the rule in force on its 1 January; without one there are
none, and the clerk's manual entries of earlier years stay as they were.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from activities.models import (
    EntryStatus,
    Fulfilment,
    Pledge,
    PointEntry,
    PointRule,
    PointSource,
    in_force_q,
)
from activities.points.scheme import year_start

# The reason is what the member's statement shows; the entry's column holds 200.
REASON_TEXT = 180


@transaction.atomic
def pledge_points_refresh(*, year: int, member_ids=None) -> int:
    """Rewrite *year*'s 兑现公开承诺 entries (of *member_ids*, or all); returns how many."""
    old = PointEntry.objects.filter(year=year, source=PointSource.PLEDGE, status=EntryStatus.AUTO)
    pledges = Pledge.objects.filter(
        member__isnull=False,
        fulfilment=Fulfilment.DONE,
        fulfilled_on__gte=year_start(year),
        fulfilled_on__lt=year_start(year + 1),
    )
    if member_ids is not None:
        old = old.filter(member_id__in=member_ids)
        pledges = pledges.filter(member_id__in=member_ids)
    old.delete()
    rule = PointRule.objects.filter(
        in_force_q(year_start(year)), source=PointSource.PLEDGE, activity_kind=""
    ).first()
    if rule is None:
        return 0
    now = timezone.now()
    entries = [
        PointEntry(
            member_id=member_id,
            org_id=org_id,
            year=year,
            date=fulfilled_on,
            source=PointSource.PLEDGE,
            points=rule.points,
            reason=f"兑现公开承诺：{text[:REASON_TEXT]}",
            status=EntryStatus.AUTO,
            entered_at=now,
        )
        for member_id, org_id, fulfilled_on, text in pledges.values_list(
            "member_id", "org_id", "fulfilled_on", "text"
        ).order_by("fulfilled_on", "pk")
    ]
    PointEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


def ledger_points_refresh(*, year: int) -> int:
    """Every ledger-derived entry of *year*, rewritten (``points_recompute`` calls this)."""
    return pledge_points_refresh(year=year)
