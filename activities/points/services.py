"""Writes of the points ledger (党员积分): entries derived from attendance, manual
entries and their approval, and the 民主评议 appraisal.

Derived entries are a function of the attendance rows: they are rewritten
for a meeting whenever its attendance is saved, and for a whole year by
``points_recompute``, both with ``INSERT … SELECT`` so recomputing never
double-counts and a city's year takes seconds, not a loop over members."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from activities.models import (
    DEDUCTION_SOURCES,
    MANUAL_SOURCES,
    Activity,
    Appraisal,
    ApprovalLevel,
    Attendance,
    EntryStatus,
    PointEntry,
    PointRule,
    PointSource,
    RatingRule,
    in_force_q,
)
from activities.points.dues import dues_points_refresh
from activities.points.ledgers import ledger_points_refresh
from activities.points.scheme import year_start
from branches.models import OrgKind, is_county_unit
from members.models import Member, Membership

# --- Derived entries ----------------------------------------------------------------


def _insert_derived(*, year: int, extra_sql: str = "", params: tuple = ()) -> int:
    """Insert the entries of *year*'s attendance rows (filtered by *extra_sql*) in SQL.

    Present earns the attendance rule of the meeting's kind, absent without
    leave costs the absence rule; leave and guests earn nothing.
    """
    quote = connection.ops.quote_name
    entry, att, act, rule = (
        quote(m._meta.db_table) for m in (PointEntry, Attendance, Activity, PointRule)
    )
    on = year_start(year)
    now = timezone.now()
    sql = f"""
        INSERT INTO {entry} (member_id, org_id, year, date, source, activity_kind, activity_id,
                             points, reason, status, entered_at)
        SELECT att.member_id, act.org_id, %s, act.held_on, r.source, act.kind, act.id,
               r.points, '', %s, %s
        FROM {att} att
        JOIN {act} act ON act.id = att.activity_id
        JOIN {rule} r ON r.activity_kind = act.kind
             AND r.source = CASE att.status WHEN 'present' THEN 'attendance'
                                            WHEN 'absent' THEN 'absence' END
             AND r.valid_from <= %s AND (r.valid_to IS NULL OR r.valid_to >= %s)
        WHERE att.is_guest = %s AND att.member_id IS NOT NULL
          AND act.held_on >= %s AND act.held_on < %s {extra_sql}
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [year, EntryStatus.AUTO, now, on, on, False, on, year_start(year + 1), *params],
        )
        return cursor.rowcount


def points_refresh_activity(*, activity: Activity) -> None:
    """Rewrite the derived entries of one meeting from its attendance (two queries)."""
    # Nothing points at an entry and no signal listens: one DELETE statement.
    PointEntry.objects.filter(activity=activity).delete()
    _insert_derived(year=activity.held_on.year, extra_sql="AND act.id = %s", params=(activity.pk,))


@transaction.atomic
def points_recompute(*, year: int) -> int:
    """Rewrite every derived entry of *year* from the attendance; returns how many.

    Needed after a point rule of the year changes; running it twice gives
    the same ledger. Attendance, dues arrears and the working ledgers' items.
    """
    PointEntry.objects.filter(year=year, status=EntryStatus.AUTO, activity__isnull=False).delete()
    count = _insert_derived(year=year)
    return count + dues_points_refresh(year=year) + ledger_points_refresh(year=year)


# --- Manual entries -----------------------------------------------------------------


def _place_on(member: Member, on: datetime.date) -> int:
    row = (
        Membership.objects.on(on).filter(member=member).values_list("group_id", "branch_id").first()
    )
    if row:
        return row[0] or row[1]
    return member.group_id or member.branch_id


def point_entry_errors(
    *, source: str, date: datetime.date, points: Decimal | None, reason: str
) -> dict[str, str]:
    """What is wrong with a manual entry, by field (the admin form shows these too)."""
    errors: dict[str, str] = {}
    if source not in MANUAL_SOURCES:
        errors["source"] = (
            "只能手工登记志愿服务、设岗定责、结对帮扶和违规违纪；欠缴党费按党费台账自动扣分。"
        )
    elif not PointRule.objects.filter(in_force_q(year_start(date.year)), source=source).exists():
        errors["source"] = f"{date.year}年度没有「{PointSource(source).label}」的积分规则。"
    if not reason.strip():
        errors["reason"] = "请填写事由。"
    if date > timezone.localdate():
        errors["date"] = "日期不能晚于今天。"
    if points is not None and points <= 0:
        errors["points"] = "请填写分值的大小（正数），加分或扣分由积分项目决定。"
    return errors


def point_entry_create(
    *, member: Member, source: str, date: datetime.date, points: Decimal | None, reason: str, by
) -> PointEntry:
    """Enter a manual gain or loss; it counts only once another user approves it.

    *points* is the size of the gain or loss (its sign follows the source);
    left empty, the rule's points are used.
    """
    errors = point_entry_errors(source=source, date=date, points=points, reason=reason)
    if errors:
        raise ValidationError(errors)
    rule = PointRule.objects.get(in_force_q(year_start(date.year)), source=source)
    size = abs(points if points is not None else rule.points)
    entry = PointEntry(
        member=member,
        org_id=_place_on(member, date),
        year=date.year,
        date=date,
        source=source,
        points=-size if source in DEDUCTION_SOURCES else size,
        reason=reason.strip(),
        status=EntryStatus.PENDING,
        entered_by=by,
        entered_at=timezone.now(),
    )
    entry.full_clean()
    entry.save()
    return entry


def appraisal_save(*, appraisal: Appraisal, by) -> Appraisal:
    """Save a democratic appraisal grade under the member's branch, as entered by *by*."""
    appraisal.branch_id = appraisal.member.branch_id
    appraisal.entered_by = by
    appraisal.full_clean()
    appraisal.save()
    return appraisal


def _allowed(cache: dict[int, bool], user, year: int) -> bool:
    if year not in cache:
        cache[year] = approval_level_allows(user, year)
    return cache[year]


def approval_level_allows(user, year: int) -> bool:
    """Whether *user*'s place in the tree is the level that approves manual entries."""
    if user.is_superuser:
        return True
    rule = RatingRule.objects.filter(in_force_q(year_start(year))).first()
    level = rule.approval_level if rule else ApprovalLevel.TOWNSHIP
    if user.org is None:
        return False
    if user.org.kind in (OrgKind.CITY, OrgKind.COUNTY):
        return True
    # "Township" approval: any unit directly under the county (a 工委 approves its own).
    return level == ApprovalLevel.TOWNSHIP and is_county_unit(user.org)


@transaction.atomic
def point_entries_decide(*, entries, by, approve: bool) -> int:
    """Approve (or reject) pending manual entries, all or none.

    The approver needs the approval permission, must sit at the approving
    level and cannot decide an entry they entered themselves.
    """
    if not by.has_perm("activities.approve_pointentry"):
        raise PermissionDenied("没有审批积分的权限。")
    rows = list(
        entries.visible_to(by)
        .select_for_update(of=("self",))
        .select_related("member")
        .order_by("pk")
    )
    problems = []
    allowed: dict[int, bool] = {}  # per year: the rule of the year says which level approves
    for entry in rows:
        label = f"{entry.member.name} {entry.date:%Y-%m-%d} {entry.get_source_display()}"
        if entry.status != EntryStatus.PENDING:
            problems.append(f"{label}：状态为「{entry.get_status_display()}」，不是待审批。")
        elif entry.entered_by_id == by.pk:
            problems.append(f"{label}：不能审批自己登记的积分，须由另一人审批。")
        elif not _allowed(allowed, by, entry.year):
            problems.append(f"{label}：按评星定级规则，手工积分由上级审批。")
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    for entry in rows:
        entry.status = EntryStatus.APPROVED if approve else EntryStatus.REJECTED
        entry.decided_by, entry.decided_at = by, now
    PointEntry.objects.bulk_update(rows, ["status", "decided_by", "decided_at"])
    return len(rows)
