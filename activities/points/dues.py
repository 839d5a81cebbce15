"""The 欠缴党费 deduction, derived from the dues ledger (``members.dues``).

Every full three months in a row that a member owed and neither paid nor
was exempted from costs the deduction once, dated the last day of the third
month, in the organisation the member owed to. The entries are rewritten
from the ledger each time (idempotent), so a late payment that settles the
months removes the deduction at the next refresh and nothing is ever
deducted twice. A year's deductions come from the rule in force on its
1 January; without one there is none.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from activities.models import EntryStatus, PointEntry, PointRule, PointSource, in_force_q
from members.dues.rules import add_months, month_start, span_label
from members.models import DuesLine

RUN = 3


def arrears_runs(months: list[datetime.date]) -> list[list[datetime.date]]:
    """Consecutive months (sorted input) grouped into runs."""
    runs: list[list[datetime.date]] = []
    for month in months:
        if runs and add_months(runs[-1][-1], 1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


@transaction.atomic
def dues_points_refresh(*, year: int, member_ids=None, today: datetime.date | None = None) -> int:
    """Rewrite *year*'s derived 欠缴党费 entries from the ledger; returns how many."""
    today = today or timezone.localdate()
    old = PointEntry.objects.filter(
        year=year, source=PointSource.DUES_ARREARS, status=EntryStatus.AUTO
    )
    if member_ids is not None:
        old = old.filter(member_id__in=member_ids)
    old.delete()
    start = datetime.date(year, 1, 1)
    rule = PointRule.objects.filter(
        in_force_q(start), source=PointSource.DUES_ARREARS, activity_kind=""
    ).first()
    if rule is None:
        return 0
    closed = min(month_start(today), datetime.date(year + 1, 1, 1))
    # From a year earlier, so a run that began last year is cut into threes the same way.
    lines = DuesLine.objects.filter(
        month__gte=add_months(start, -12), month__lt=closed, exempt=False, paid__lte=0
    )
    if member_ids is not None:
        lines = lines.filter(member_id__in=member_ids)
    by_member: dict[int, list[tuple[datetime.date, int]]] = {}
    for member_id, month, org_id in lines.values_list("member_id", "month", "org_id").order_by(
        "member_id", "month"
    ):
        by_member.setdefault(member_id, []).append((month, org_id))
    now = timezone.now()
    entries = []
    for member_id, rows in by_member.items():
        org_of = dict(rows)
        for run in arrears_runs([month for month, _org in rows]):
            for n in range(RUN, len(run) + 1, RUN):
                first, last = run[n - RUN], run[n - 1]
                if last.year != year:
                    continue
                entries.append(
                    PointEntry(
                        member_id=member_id,
                        org_id=org_of[last],
                        year=year,
                        date=add_months(last, 1) - datetime.timedelta(days=1),
                        source=PointSource.DUES_ARREARS,
                        points=rule.points,
                        reason=f"{span_label(first, last)}未交纳党费",
                        status=EntryStatus.AUTO,
                        entered_at=now,
                    )
                )
    PointEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)
