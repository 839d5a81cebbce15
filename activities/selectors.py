"""Reads of organisational life: who is expected, what is due, the worklist, the ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q

from activities.models import (
    Activity,
    ActivityKind,
    ActivityTally,
    Attendance,
    AttendanceStatus,
    CadenceRule,
    Period,
)
from activities.periods import months_between, period_bounds, period_label
from branches.models import Organization, OrgKind, Post, PostTitle
from members.models import Member
from members.selectors import members_of_org_on

COMMITTEE_TITLES = (
    PostTitle.SECRETARY,
    PostTitle.DEPUTY_SECRETARY,
    PostTitle.ORGANIZATION,
    PostTitle.PUBLICITY,
    PostTitle.DISCIPLINE,
)
# A branch "has a committee" (支委会) when at least this many committee posts are held.
COMMITTEE_MIN_POSTS = 3


def open_posts_q(on: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})
    )


def expected_attendees(*, org: Organization, kind: str, on: datetime.date):
    """Members expected at *org*'s activity of *kind* on date *on*, from dated history."""
    if kind == ActivityKind.COMMITTEE:
        posts = Post.objects.filter(open_posts_q(on), org=org, title__in=COMMITTEE_TITLES)
        return Member.objects.filter(pk__in=posts.values("member_id"))
    return members_of_org_on(org=org, on=on)


def committee_terms(*, org_ids, start: datetime.date, end: datetime.date):
    """Committee posts of *org_ids* held at some time in [start, end], one query.

    Returns a function telling whether a branch had a committee (支委会) on
    a date, so each period is judged by the committee it had then.
    """
    terms: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = {}
    rows = Post.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=start),
        org_id__in=org_ids,
        title__in=COMMITTEE_TITLES,
        started_on__lte=end,
    ).values_list("org_id", "member_id", "started_on", "ended_on")
    for org_id, member_id, started_on, ended_on in rows:
        terms.setdefault(org_id, []).append((member_id, started_on, ended_on))

    def has_committee(org_id: int, on: datetime.date) -> bool:
        held = {m for m, s, e in terms.get(org_id, ()) if s <= on and (e is None or e > on)}
        return len(held) >= COMMITTEE_MIN_POSTS

    return has_committee


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

    @property
    def kind_label(self) -> str:
        return ActivityKind(self.kind).label

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.period)


ON_TIME_COLUMN = {Period.MONTH: 1, Period.QUARTER: 2, Period.YEAR: 3}


def _status(required, done, on_time, end, today) -> str:
    if done >= required:
        return "done" if on_time >= required else "late"
    return "missing" if end < today else "due"


def obligations(*, orgs: list[Organization], start: datetime.date, today: datetime.date):
    """Every obligation of *orgs* for periods from *start* up to the one containing *today*.

    Four queries whatever the number of organisations: rules, committees,
    tallies (one row per organisation, kind and month) and nothing per row.
    A period follows the rule valid on its first day.
    """
    org_ids = [o.pk for o in orgs]
    # From the start of the widest period containing *start*: a year (or quarter)
    # that began before *start* still counts the meetings held in it before then.
    first_month = period_bounds(start, Period.YEAR)[0]
    # (count, on time by month end, by quarter end, by year end) per org, kind and
    # month, as plain tuples: thousands of rows at county level.
    tallies: dict[tuple[int, str, datetime.date], tuple[int, int, int, int]] = {
        (org_id, kind, month): tuple(counts)
        for org_id, kind, month, *counts in ActivityTally.objects.filter(
            org_id__in=org_ids, month__gte=first_month, month__lte=today
        ).values_list(
            "org_id", "kind", "month", "count", "on_time_month", "on_time_quarter", "on_time_year"
        )
    }
    has_committee = committee_terms(org_ids=org_ids, start=first_month, end=today)
    all_rules = list(CadenceRule.objects.all())
    by_kind: dict[str, list[Organization]] = {}
    for org in orgs:
        by_kind.setdefault(org.kind, []).append(org)
    result: list[Obligation] = []
    for period in Period.values:
        period_start, _ = period_bounds(start, period)
        while period_start <= today:
            p_start, p_end = period_bounds(period_start, period)
            rules = [
                r
                for r in all_rules
                if r.period == period
                and r.valid_from <= p_start
                and (r.valid_to is None or r.valid_to >= p_start)
            ]
            months = months_between(p_start, p_end)
            column = ON_TIME_COLUMN[period]
            for rule in rules:
                for org in by_kind.get(rule.org_kind, ()):
                    if not _live_during(org, p_start, p_end):
                        continue
                    # Judged by the committee the branch had at the period's end (or today).
                    if rule.kind == ActivityKind.COMMITTEE and not has_committee(
                        org.pk, min(p_end, today)
                    ):
                        continue
                    rows = [tallies.get((org.pk, rule.kind, m)) for m in months]
                    done = sum(t[0] for t in rows if t)
                    on_time = sum(t[column] for t in rows if t)
                    result.append(
                        Obligation(
                            org,
                            rule.kind,
                            period,
                            p_start,
                            p_end,
                            rule.times,
                            done,
                            on_time,
                            _status(rule.times, done, on_time, p_end, today),
                        )
                    )
            period_start = p_end + datetime.timedelta(days=1)
    return result


def _live_during(org: Organization, start: datetime.date, end: datetime.date) -> bool:
    if org.founded_on and org.founded_on > end:
        return False
    return not (org.dissolved_on and org.dissolved_on < start)


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
    orgs = list(visible.filter(kind__in=(OrgKind.BRANCH, OrgKind.GROUP)).select_related("parent"))
    year_start = datetime.date(today.year, 1, 1)
    all_items = obligations(orgs=orgs, start=year_start, today=today)
    open_items = [o for o in all_items if o.start <= today <= o.end]
    by_branch: dict[int, BranchWork] = {}
    for item in sorted(open_items, key=lambda o: (o.org.path, o.kind)):
        if item.status != "due":
            continue
        branch = item.org if item.org.kind == OrgKind.BRANCH else item.org.parent
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
