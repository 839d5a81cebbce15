"""Reads of organisational life: who is expected, what is due, the worklist, the ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Q, Value, When

from activities.cadence import COMMITTEE_TITLES, obligations_of
from activities.models import (
    MEETING_ORG_KINDS,
    SECRETARY_LESSON_LABEL,
    Activity,
    ActivityKind,
    Attendance,
    AttendanceStatus,
)
from activities.periods import period_label
from branches.labels import attach_labels
from branches.models import Organization, OrgKind, Post
from members.choices import PartyStatus
from members.models import Member
from members.selectors import members_of_org_on


def open_posts_q(on: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})
    )


def expected_q(on: datetime.date) -> Q:
    """Members expected at a meeting held on *on*: the one rule (attendance, absences and
    their point deductions, the quorum all follow from it).

    Not expected: members whose membership is suspended (停止党籍) and members who
    had lost contact (失联) by that day; they may still be marked present when they
    come. 流动党员 stay expected: they may take part remotely. Lost contact is
    dated, so an earlier meeting still expects them; a suspension carries no date
    here, so it is read as it stands today.
    """
    return ~Q(party_status=PartyStatus.SUSPENDED) & (
        Q(lost_contact=False) | Q(lost_contact_on__gt=on)
    )


def not_expected_reason(member: Member) -> str:
    """Why ``expected_q`` leaves *member* out, in the words of the roster."""
    return "停止党籍" if member.party_status == PartyStatus.SUSPENDED else "失联"


def _attendee_pool(*, org: Organization, kind: str, on: datetime.date):
    if kind == ActivityKind.COMMITTEE:
        posts = Post.objects.filter(open_posts_q(on), org=org, title__in=COMMITTEE_TITLES)
        return Member.objects.filter(pk__in=posts.values("member_id"))
    # A general branch's (or branch's) members are those of every branch and group under it.
    return members_of_org_on(org=org, on=on)


def meeting_roster(*, org: Organization, kind: str, on: datetime.date):
    """Everyone who may be marked at *org*'s activity of *kind* on *on* (from dated
    history), each with ``expected`` (``expected_q``): one query."""
    expected = Case(
        When(expected_q(on), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    return _attendee_pool(org=org, kind=kind, on=on).annotate(expected=expected)


def expected_attendees(*, org: Organization, kind: str, on: datetime.date):
    """Members expected at *org*'s activity of *kind* on date *on*, from dated history."""
    return _attendee_pool(org=org, kind=kind, on=on).filter(expected_q(on))


@dataclass
class Obligation:
    """What one organisation owes for one rule in one period, and how it stands."""

    org: Organization
    kind: str
    period: str
    start: datetime.date
    end: datetime.date
    required: int
    done: int
    on_time: int
    status: str  # done | late | due | missing
    closed: bool  # the period has ended: only then does it count in a rate (cadence)
    by_secretary: bool = False  # only lessons the organisation's secretary gave count

    @property
    def kind_label(self) -> str:
        return SECRETARY_LESSON_LABEL if self.by_secretary else ActivityKind(self.kind).label

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.period)


def _status(required, done, on_time, closed) -> str:
    if done >= required:
        return "done" if on_time >= required else "late"
    return "missing" if closed else "due"


def obligations(*, orgs: list[Organization], start: datetime.date, today: datetime.date):
    """Every obligation of *orgs* for periods from *start* up to the one containing *today*,
    as ``activities.cadence`` decides them: three queries whatever the number of orgs."""
    return [
        Obligation(
            org,
            rule.kind,
            span.period,
            span.start,
            span.end,
            rule.times,
            done,
            on_time,
            _status(rule.times, done, on_time, span.closed),
            span.closed,
            rule.by_secretary,
        )
        for org, rule, span, done, on_time in obligations_of(
            orgs, start=start, until=today, today=today
        )
    ]


@dataclass
class BranchWork:
    branch: Organization
    items: list[Obligation] = field(default_factory=list)


@dataclass
class Worklist:
    today: datetime.date
    current: list[BranchWork]  # still owed in the open periods, by branch
    gaps: list[Obligation]  # missing in closed periods of this year
    done: int
    total: int


def worklist(*, user, root: Organization | None, today: datetime.date) -> Worklist:
    """The clerk's worklist under *root* (their node, or one county staff picked)."""
    visible = Organization.objects.visible_to(user).live()
    if root is not None:
        visible = visible.subtree(root)
    orgs = list(visible.filter(kind__in=MEETING_ORG_KINDS).select_related("parent"))
    attach_labels(orgs)
    year_start = datetime.date(today.year, 1, 1)
    all_items = obligations(orgs=orgs, start=year_start, today=today)
    open_items = [o for o in all_items if o.start <= today <= o.end]
    by_branch: dict[int, BranchWork] = {}
    for item in sorted(open_items, key=lambda o: (o.org.path, o.kind)):
        if item.status != "due":
            continue
        # A group's items under its branch; a branch's or general branch's under itself.
        branch = item.org.parent if item.org.kind == OrgKind.GROUP else item.org
        by_branch.setdefault(branch.pk, BranchWork(branch)).items.append(item)
    # Newest period first; within a period, tree order.
    gaps = sorted(
        (o for o in all_items if o.status == "missing"), key=lambda o: (o.org.path, o.kind)
    )
    gaps.sort(key=lambda o: o.start, reverse=True)
    return Worklist(
        today=today,
        current=sorted(by_branch.values(), key=lambda w: w.branch.path),
        gaps=gaps,
        done=sum(o.status in ("done", "late") for o in open_items),
        total=len(open_items),
    )


def ledger(*, branch: Organization, year: int):
    """Every activity of *branch* and its groups in *year*, oldest first, for the 台账."""
    return (
        Activity.objects.filter(org__in=Organization.objects.subtree(branch), held_on__year=year)
        .select_related("org")
        .order_by("held_on", "org__path", "id")
    )


def activity_attendance_rows(*, activity: Activity):
    return activity.attendance.select_related("member").order_by("is_guest", "status", "id")


@dataclass
class KindRate:
    kind: str
    label: str
    expected: int
    present: int
    leave: int
    absent: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


def member_attendance(*, member: Member, year: int):
    """A member's attendance rows of *year* and their rates by kind (one query each)."""
    rows = (
        Attendance.objects.filter(member=member, activity__held_on__year=year, is_guest=False)
        .select_related("activity__org")
        .order_by("-activity__held_on")
    )
    by_kind = (
        Attendance.objects.filter(member=member, activity__held_on__year=year, is_guest=False)
        .values("activity__kind")
        .annotate(
            expected=Count("pk"),
            present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
            leave=Count("pk", filter=Q(status=AttendanceStatus.LEAVE)),
            absent=Count("pk", filter=Q(status=AttendanceStatus.ABSENT)),
        )
        .order_by("activity__kind")
    )
    rates = [
        KindRate(
            r["activity__kind"],
            ActivityKind(r["activity__kind"]).label,
            r["expected"],
            r["present"],
            r["leave"],
            r["absent"],
        )
        for r in by_kind
    ]
    return rows, rates
