"""Writes of organisational life. Logging a meeting saves the record, its attendance,
the counts on the record and the month's tally in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Sum, Value, When
from django.db.models.functions import Least
from django.utils import timezone

from activities.cadence import MONTH_BITS, MONTH_MAX, by_secretary_q
from activities.models import (
    Activity,
    ActivityKind,
    ActivityTally,
    ActivityYearTally,
    Attachment,
    Attendance,
    AttendanceStatus,
    kinds_for,
)
from activities.periods import add_months, local_midnight_after, month_start, period_bounds
from activities.points.services import points_refresh_activity
from activities.selectors import meeting_roster, not_expected_reason
from branches.models import Organization
from members.choices import MemberCategory

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Types are recognised by their first bytes, never by the name or the browser's word.
SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"%PDF-": ("application/pdf", ".pdf"),
}


@dataclass(frozen=True)
class Mark:
    """One expected attendee's mark from the form."""

    member_id: int
    status: str
    reason: str = ""


DUPLICATE = "duplicate"


def _validate(*, org, kind, held_on, marks, expected, excused, today) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if kind not in kinds_for(org.kind):
        add("kind", f"{org.get_kind_display()}不能登记「{ActivityKind(kind).label}」。")
    if held_on > today:
        add("held_on", "活动日期不能晚于今天。")
    if org.founded_on and held_on < org.founded_on:
        add("held_on", f"活动日期早于「{org.name}」的成立日期 {org.founded_on:%Y-%m-%d}。")
    if org.dissolved_on and held_on > org.dissolved_on:
        add("held_on", f"「{org.name}」已于 {org.dissolved_on:%Y-%m-%d} 撤销，不能登记之后的活动。")
    by_id = {m.pk: m for m in expected}
    seen = set()
    for mark in marks:
        member = by_id.get(mark.member_id)
        if mark.member_id in excused:
            if mark.status != AttendanceStatus.PRESENT:
                other = excused[mark.member_id]
                add(
                    "attendance",
                    f"「{other.name}」{not_expected_reason(other)}，不计入应到人员，只能登记为出席。",
                )
            continue
        if member is None:
            add(
                "attendance",
                f"党员（编号 {mark.member_id}）在 {held_on:%Y-%m-%d} "
                f"不是「{org.name}」的应到人员。",
            )
            continue
        seen.add(mark.member_id)
        if mark.status not in AttendanceStatus.values:
            add("attendance", f"「{member.name}」的出席情况无效。")
        if mark.status == AttendanceStatus.LEAVE and not mark.reason.strip():
            add("attendance", f"「{member.name}」请假，必须填写请假事由。")
    missing = [m.name for pk, m in by_id.items() if pk not in seen]
    if missing:
        add("attendance", f"以下应到人员未填写出席情况：{'、'.join(missing)}。")
    return errors


def _quorate(kind, expected, marks) -> bool | None:
    # 支部党员大会: more than half of the voting (full) members present. Members not
    # expected (失联, 停止党籍) count on neither side, even when they came.
    if kind != ActivityKind.GENERAL_MEETING:
        return None
    full = {m.pk for m in expected if m.category == MemberCategory.FULL}
    present = sum(
        1 for mk in marks if mk.member_id in full and mk.status == AttendanceStatus.PRESENT
    )
    return present * 2 > len(full)


@transaction.atomic
def activity_log(
    *,
    org: Organization,
    kind: str,
    held_on: datetime.date,
    marks: list[Mark],
    recorded_by,
    guests: list[str] = (),
    attachments: list = (),
    confirm_duplicate: bool = False,
    activity: Activity | None = None,
    **fields: Any,
) -> Activity:
    """Save a meeting with its attendance (or replace those of *activity* when editing).

    Raises ``ValidationError`` (a dict of field → messages) and writes
    nothing when anything is wrong. A second record of the same
    organisation, kind and date needs ``confirm_duplicate``.
    """
    _lock_orgs(org.pk, activity.org_id if activity else org.pk)
    today = timezone.localdate()
    roster = list(meeting_roster(org=org, kind=kind, on=held_on))
    expected = [m for m in roster if m.expected]
    # Members not expected (lost contact, suspended) are marked only when they came.
    excused = {m.pk: m for m in roster if not m.expected}
    marks = [mk for mk in marks if mk.member_id not in excused or mk.status]
    errors = _validate(
        org=org,
        kind=kind,
        held_on=held_on,
        marks=marks,
        expected=expected,
        excused=excused,
        today=today,
    )
    speaker = fields.get("speaker_member")
    if speaker is not None and speaker.pk not in {m.pk for m in roster}:
        errors.setdefault("speaker_member", []).append(
            f"授课党员「{speaker.name}」在 {held_on:%Y-%m-%d} 不是「{org.name}」的党员；"
            "其他人请只填写授课人姓名。"
        )
    for upload in attachments:
        check_attachment(upload, errors)
    twins = Activity.objects.filter(org=org, kind=kind, held_on=held_on)
    if activity is not None:
        twins = twins.exclude(pk=activity.pk)
    if not errors and twins.exists() and not confirm_duplicate:
        raise ValidationError(
            f"「{org.name}」在 {held_on:%Y-%m-%d} 已有一条「{ActivityKind(kind).label}」记录，"
            "确认无误后请勾选“确认重复登记”再保存。",
            code=DUPLICATE,
        )
    if errors:
        raise ValidationError(errors)

    old_key = (activity.org_id, activity.kind, month_start(activity.held_on)) if activity else None
    if activity is None:
        activity = Activity(logged_by=recorded_by, logged_at=timezone.now())
    activity.org, activity.kind, activity.held_on = org, kind, held_on
    for name, value in fields.items():
        setattr(activity, name, value)
    if activity.speaker_member is not None:
        activity.speaker = activity.speaker_member.name  # the name shown wherever it is read
    by_id = {m.pk: m for m in roster}
    counts = {s: sum(1 for mk in marks if mk.status == s) for s in AttendanceStatus.values}
    # A member not expected who came counts as expected and present: attendance, not
    # a rate above 100 %. The quorum (_quorate) counts the expected alone.
    activity.expected_count = len(expected) + sum(1 for mk in marks if mk.member_id in excused)
    activity.present_count = counts[AttendanceStatus.PRESENT]
    activity.leave_count = counts[AttendanceStatus.LEAVE]
    activity.absent_count = counts[AttendanceStatus.ABSENT]
    activity.guest_count = len(guests)
    activity.quorate = _quorate(kind, expected, marks)
    activity.full_clean()
    activity.save()

    _save_attendance(activity=activity, marks=marks, guests=guests, expected=by_id)
    points_refresh_activity(activity=activity)
    for upload in attachments:
        attachment_add(activity=activity, upload=upload, by=recorded_by)
    keys = {(org.pk, kind, month_start(held_on))}
    if old_key:
        keys.add(old_key)
    tally_refresh(keys=keys)
    return activity


def _lock_orgs(*org_ids: int) -> None:
    """Serialise the writes of an organisation's meetings until this transaction ends.

    Without it two clerks saving the same meeting at once both pass the
    duplicate check and both save. ``FOR NO KEY UPDATE`` leaves rows that
    merely point at the organisation (members, meetings) free to be written.
    SQLite ignores it: its IMMEDIATE transactions already let one writer in.
    """
    locked = Organization.objects.select_for_update(no_key=True).filter(pk__in=set(org_ids))
    list(locked.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def activity_delete(*, activity: Activity) -> None:
    _lock_orgs(activity.org_id)
    key = (activity.org_id, activity.kind, month_start(activity.held_on))
    activity.attendance.all().bulk_delete()
    activity.attachments.all().delete()
    activity.delete()
    tally_refresh(keys={key})


def _save_attendance(*, activity: Activity, marks: list[Mark], guests, expected) -> None:
    """Write the attendance in bulk: new rows created, changed rows updated, both audited.

    A handful of queries whatever the number of attendees; rows of people no
    longer expected (the date changed) and the guests are replaced.
    """
    existing = {a.member_id: a for a in activity.attendance.filter(is_guest=False)}
    new, changed = [], []
    for mk in marks:
        member = expected[mk.member_id]
        values = {
            "status": mk.status,
            "reason": mk.reason.strip() if mk.status == AttendanceStatus.LEAVE else "",
            "was_mobile": member.is_mobile,
            "was_full_member": member.category == MemberCategory.FULL,
        }
        row = existing.pop(mk.member_id, None)
        if row is None:
            new.append(Attendance(activity=activity, member=member, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed.append(row)
    stale = [row.pk for row in existing.values()]
    if stale:
        Attendance.objects.filter(pk__in=stale).bulk_delete()
    activity.attendance.filter(is_guest=True).bulk_delete()
    new += [
        Attendance(
            activity=activity, guest_name=name, status=AttendanceStatus.PRESENT, is_guest=True
        )
        for name in guests
    ]
    Attendance.objects.bulk_create(new)
    if changed:
        Attendance.objects.bulk_update(
            changed, ["status", "reason", "was_mobile", "was_full_member"]
        )


def check_attachment(upload, errors: dict[str, list[str]]) -> None:
    name = getattr(upload, "name", "附件")
    if upload.size > MAX_ATTACHMENT_BYTES:
        errors.setdefault("attachments", []).append(f"附件「{name}」超过 10 MB。")
        return
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in SIGNATURES):
        errors.setdefault("attachments", []).append(
            f"附件「{name}」不是 JPG、PNG 或 PDF 文件（按文件内容判断）。"
        )


def attachment_add(*, activity: Activity, upload, by) -> Attachment:
    head = upload.read(8)
    upload.seek(0)
    content_type, suffix = next(v for sig, v in SIGNATURES.items() if head.startswith(sig))
    original = upload.name[:200]
    upload.name = f"upload{suffix}"  # stored under a random name with the true suffix
    return Attachment.objects.create(
        activity=activity,
        file=upload,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        uploaded_by=by,
    )


def _tally_values(month: datetime.date) -> dict:
    ends = {
        p: local_midnight_after(period_bounds(month, p)[1]) for p in ("month", "quarter", "year")
    }
    return {
        "count": Count("pk"),
        "on_time_month": Count("pk", filter=Q(logged_at__lt=ends["month"])),
        "on_time_quarter": Count("pk", filter=Q(logged_at__lt=ends["quarter"])),
        "on_time_year": Count("pk", filter=Q(logged_at__lt=ends["year"])),
        "expected": Sum("expected_count"),
        "present": Sum("present_count"),
        "leave": Sum("leave_count"),
        "absent": Sum("absent_count"),
        "by_secretary": Count("pk", filter=by_secretary_q()),
    }


def tally_refresh(*, keys) -> None:
    """Recompute the tallies of the given (org id, kind, month) keys from the activities.

    Written in place (insert or update on the key), never deleted and
    created again, so two transactions refreshing one key cannot collide on
    the unique key; the callers' organisation lock keeps the counts right.
    """
    for org_id, kind, month in keys:
        _month_refresh(org_id, kind, month)
    for org_id, kind, year in {(o, k, m.year) for o, k, m in keys}:
        _year_refresh(org_id, kind, year)


def _month_refresh(org_id: int, kind: str, month: datetime.date) -> None:
    activities = Activity.objects.filter(
        org_id=org_id, kind=kind, held_on__gte=month, held_on__lt=add_months(month, 1)
    )
    values = activities.aggregate(**_tally_values(month))
    if not values["count"]:
        ActivityTally.objects.filter(org_id=org_id, kind=kind, month=month).delete()
        return
    tally = ActivityTally(
        org_id=org_id, kind=kind, month=month, **{k: v or 0 for k, v in values.items()}
    )
    ActivityTally.objects.bulk_create(
        [tally],
        update_conflicts=True,
        unique_fields=["org", "kind", "month"],
        update_fields=list(values),
    )


# The packed columns of ActivityYearTally and the monthly counts they pack.
PACKED = {
    "count_packed": "count",
    "on_time_month_packed": "on_time_month",
    "on_time_quarter_packed": "on_time_quarter",
    "on_time_year_packed": "on_time_year",
    "by_secretary_packed": "by_secretary",
}


def _year_refresh(org_id: int, kind: str, year: int) -> None:
    """Pack the year's monthly tallies of one organisation and kind into its year row."""
    months = list(
        ActivityTally.objects.filter(
            org_id=org_id,
            kind=kind,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
        ).values("month", "expected", "present", *PACKED.values())
    )
    values = dict.fromkeys([*PACKED, "expected", "present"], 0)
    for row in months:
        shift = MONTH_BITS * (row["month"].month - 1)
        for packed, monthly in PACKED.items():
            values[packed] += min(row[monthly], MONTH_MAX) << shift
        values["expected"] += row["expected"]
        values["present"] += row["present"]
    if not months:
        ActivityYearTally.objects.filter(org_id=org_id, kind=kind, year=year).delete()
        return
    ActivityYearTally.objects.bulk_create(
        [ActivityYearTally(org_id=org_id, kind=kind, year=year, **values)],
        update_conflicts=True,
        unique_fields=["org", "kind", "year"],
        update_fields=list(values),
    )


@transaction.atomic
def tally_rebuild(*, start: datetime.date, end: datetime.date) -> int:
    """Recompute every tally of the months from *start* to *end* (one query a month)."""
    created = 0
    month = month_start(start)
    while month <= end:
        ActivityTally.objects.filter(month=month).delete()
        rows = (
            Activity.objects.filter(held_on__gte=month, held_on__lt=add_months(month, 1))
            .values("org_id", "kind")
            .annotate(**_tally_values(month))
            .order_by()
        )
        tallies = [ActivityTally(month=month, **row) for row in rows]
        ActivityTally.objects.bulk_create(tallies, batch_size=2000)
        created += len(tallies)
        month = add_months(month, 1)
    for year in range(start.year, end.year + 1):
        year_tally_rebuild(year=year)
    return created


def year_tally_rebuild(*, year: int) -> int:
    """Pack every monthly tally of *year* into the year rows again: one grouped query."""
    ActivityYearTally.objects.filter(year=year).delete()
    weight = Case(
        *[
            When(month=datetime.date(year, m, 1), then=Value(2 ** (MONTH_BITS * (m - 1))))
            for m in range(1, 13)
        ],
        output_field=BigIntegerField(),
    )
    packed = {p: Sum(Least(F(monthly), Value(MONTH_MAX)) * weight) for p, monthly in PACKED.items()}
    rows = (
        ActivityTally.objects.filter(
            month__gte=datetime.date(year, 1, 1), month__lte=datetime.date(year, 12, 1)
        )
        .values("org_id", "kind")
        .annotate(**packed, expected=Sum("expected"), present=Sum("present"))
        .order_by()
    )
    years = [ActivityYearTally(year=year, **row) for row in rows]
    ActivityYearTally.objects.bulk_create(years, batch_size=2000)
    return len(years)
