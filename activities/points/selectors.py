"""Reads of the points ledger: a member's statement, the year's sums, the share of
优秀 appraisals."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from activities.models import (
    ActivityKind,
    Appraisal,
    AppraisalGrade,
    EntryStatus,
    PointEntry,
    PointSource,
)
from activities.points.scheme import scheme_for, score
from members.models import Member


def excellent_share(*, branch_id: int, year: int) -> tuple[int, int]:
    """(优秀, graded) among a branch's appraisals of *year*: DOMAIN's guide is a third at most."""
    counts = Appraisal.objects.filter(branch_id=branch_id, year=year).aggregate(
        excellent=Count("pk", filter=Q(grade=AppraisalGrade.EXCELLENT)), graded=Count("pk")
    )
    return counts["excellent"], counts["graded"]


# --- Reads --------------------------------------------------------------------------


def member_sums(*, member_ids, year: int) -> dict[int, dict[tuple[str, str], Decimal]]:
    """Counted points per member and (source, kind) for *year*: one grouped query."""
    sums: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    rows = (
        PointEntry.objects.counted()
        .filter(year=year, member_id__in=member_ids)
        .values_list("member_id", "source", "activity_kind")
        .annotate(points=Sum("points"))
        .order_by()
    )
    for member_id, source, kind, points in rows:
        sums[member_id][(source, kind)] = points
    return sums


def statement(*, member: Member, year: int) -> dict:
    """A member's points statement (积分明细) for *year*: every entry and the scored total."""
    scheme = scheme_for(year)
    entries = list(
        PointEntry.objects.filter(member=member, year=year)
        .select_related("activity", "org", "entered_by", "decided_by")
        .order_by("date", "pk")
    )
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if entry.status in (EntryStatus.AUTO, EntryStatus.APPROVED):
            sums[(entry.source, entry.activity_kind)] += entry.points
    result = score(dict(sums), scheme)
    for line in result.lines:
        kind = ActivityKind(line["kind"]).label if line["kind"] else ""
        line["label"] = f"{PointSource(line['source']).label}{'·' + kind if kind else ''}"
    return {
        "entries": entries,
        "score": result,
        "stars": scheme.stars_for(result.total),
        "pending": sum(1 for e in entries if e.status == EntryStatus.PENDING),
    }


def entry_reason(entry: PointEntry) -> str:
    if entry.activity_id:
        return f"{entry.get_activity_kind_display()}：{entry.activity.topic}"
    return entry.reason
