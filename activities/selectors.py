"""Reads of organisational life: who is expected, what is due, the worklist, the ledger."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Q, Value, When
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from activities.cadence import (
    COMMITTEE_TITLES,
    committee_terms,
    each_obligation,
    governed_spans,
    obligations_of,
    tallies,
)
from activities.models import (
    MEETING_ORG_KINDS,
    SECRETARY_LESSON_LABEL,
    Activity,
    ActivityKind,
    Attendance,
    AttendanceStatus,
    CadenceRule,
)
from activities.periods import period_label
from branches.labels import labels_by_pk
from branches.models import Organization, OrgKind, Post, open_posts_q
from members.choices import PartyStatus
from members.models import Member, Spell
from members.selectors import members_of_org_on


def expected_q(on: datetime.date) -> Q:
    """Members expected at a meeting held on *on*: the one rule (attendance, absences and
    their point deductions, the quorum all follow from it).

    Not expected: members suspended (停止党籍) or out of contact (失联) on that day,
    from their dated spells (members.standing); they may still be marked present
    when they come. 流动党员 stay expected: they may take part remotely. A meeting
    before the member was lost, or after contact was regained, expects them.
    """
    spells = Spell.objects.on(on).filter(
        member_id=OuterRef("pk"), kind__in=(Spell.Kind.SUSPENDED, Spell.Kind.LOST)
    )
    return ~Q(Exists(spells))


def not_expected_reason(member: Member) -> str:
    """Why ``expected_q`` leaves *member* out, in the words of the roster."""
    return "停止党籍" if member.party_status == PartyStatus.SUSPENDED else "失联"


def _attendee_pool(*, org: Organization, kind: str, on: datetime.date):
    if kind == ActivityKind.EXCHANGE:
        # The township's 经验交流会 gathers the groups that present, not a roster: nobody
        # is expected, so it moves no attendance rate and no points.
        return Member.objects.none()
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
    html: str = ""  # the items as the page lists them (items_html), set by the view

    @property
    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """The items as the page prints them: (organisation id, kind, what, when, the log
        form's query string).

        Plain strings in a tuple: a township lists hundreds of items, and every
        attribute, date or number the template resolves itself costs far more.
        """
        return [
            (
                str(item.org.pk),
                item.kind,
                item.kind_label
                if item.org.pk == self.branch.pk
                else f"{item.org.name} · {item.kind_label}",
                f"{item.period_label}（已{item.done}/应{item.required}）",
                f"org={item.org.pk}&kind={item.kind}",
            )
            for item in self.items
        ]

    def items_html(self, *, log_url: str, can_log: bool) -> SafeString:
        """The items' list entries, each with its log link when the user may log.

        Built here rather than in the template: a township lists about a
        thousand items, and the template's loop was half the page's time.
        """
        link = '<a class="button" href="{}?{}">登记</a>' if can_log else ""
        return format_html_join(
            "\n",
            '<li data-org="{}" data-kind="{}"><span class="what">{}</span>'
            '<span class="when">{}</span>' + link + "</li>",
            (
                (org_id, kind, what, when, log_url, query)
                if can_log
                else (org_id, kind, what, when)
                for org_id, kind, what, when, query in self.rows
            ),
        )


class GapLine(NamedTuple):
    """One organisation's gaps of one kind this year: "1月、2月、第2季度"."""

    org_label: str
    kind_label: str
    periods: str
    count: int
    log_query: str  # the log form for the newest of them (org, kind, its last day)


GAPS_SHOWN = 50  # lines on the page unless the clerk asks for all of them


@dataclass
class Worklist:
    today: datetime.date
    current: list[BranchWork]  # still owed in the open periods, by branch
    gaps: list[Obligation]  # missing in closed periods of this year, newest first
    done: int
    total: int


def worklist_gap_lines(work: Worklist, *, limit: int | None) -> tuple[list[GapLine], int]:
    """*work*'s gaps one line per organisation and kind, in tree order, each line's
    periods oldest first; the first *limit* lines (all of them for None) and how
    many lines there are. One query: the labels of the organisations shown."""
    grouped: dict[tuple[int, str], list[Obligation]] = {}
    for gap in sorted(work.gaps, key=lambda o: (o.org.path, o.kind_label, o.start)):
        grouped.setdefault((gap.org.pk, gap.kind_label), []).append(gap)
    shown = list(grouped.values())[:limit]
    labels = labels_by_pk({gaps[0].org for gaps in shown})
    year = f"{work.today.year}年"
    lines = []
    for gaps in shown:
        newest = gaps[-1]
        periods = "、".join(g.period_label.removeprefix(year) or "全年" for g in gaps)
        query = f"org={newest.org.pk}&kind={newest.kind}&held_on={newest.end.isoformat()}"
        lines.append(GapLine(labels[newest.org.pk], newest.kind_label, periods, len(gaps), query))
    return lines, len(grouped)


def _open_and_missing(orgs: list[Organization], *, ids, start: datetime.date, today: datetime.date):
    """``obligations_of`` for *orgs* (whose ids the subquery *ids* selects) without the
    on-time counts: the worklist tells owed from done, never late from on time, and
    skipping them is a third of the tallies query's work."""
    until = min(today, datetime.date(start.year, 12, 31))
    # Measured at city scale on PostgreSQL: the tallies run fastest on a list of the
    # ids (a subquery or a path range: 2-4 times slower), the committee posts on the
    # subquery (half the time of a list, which Django prepares value by value).
    counts = tallies(
        Q(org_id__in=[o.pk for o in orgs]), year=start.year, until=until, on_time=False
    )
    return each_obligation(
        orgs,
        spans=governed_spans(CadenceRule.objects.all(), start=start, until=until, today=today),
        counts=counts.counts,
        has_committee=committee_terms(org_ids=ids, start=start, end=until),
        today=today,
        on_time=False,
    )


# What the worklist reads of each organisation: a township's thousand rows, so no
# more than that.
WORKLIST_ORG_FIELDS = ("kind", "name", "path", "founded_on", "created_at", "dissolved_on")


def worklist(*, user, root: Organization | None, today: datetime.date) -> Worklist:
    """The clerk's worklist under *root* (their node, or one county staff picked)."""
    visible = Organization.objects.visible_to(user).live()
    if root is not None:
        visible = visible.subtree(root)
    scope = visible.filter(kind__in=MEETING_ORG_KINDS)
    orgs = list(scope.only(*WORKLIST_ORG_FIELDS, "parent"))
    # A group's items go under its branch, which is in the list already: joining
    # every row's parent would build a thousand more objects.
    by_pk = {o.pk: o for o in orgs}
    missing = {o.parent_id for o in orgs if o.kind == OrgKind.GROUP} - by_pk.keys()
    if missing:  # a group picked as the root
        by_pk.update(Organization.objects.only(*WORKLIST_ORG_FIELDS).in_bulk(missing))
    open_items: list[Obligation] = []
    gaps: list[Obligation] = []
    done = 0
    # A township owes thousands of obligations a year, most of them met: only the
    # ones still owed become objects.
    for org, rule, span, count, _ in _open_and_missing(
        orgs, ids=scope.values("pk"), start=datetime.date(today.year, 1, 1), today=today
    ):
        is_open = span.start <= today <= span.end
        if count >= rule.times:
            done += is_open
            continue
        if not (is_open or span.closed):
            continue
        item = Obligation(
            org, rule.kind, span.period, span.start, span.end, rule.times, count, 0,
            "missing" if span.closed else "due", span.closed, rule.by_secretary,
        )  # fmt: skip
        (gaps if span.closed else open_items).append(item)
    by_branch: dict[int, BranchWork] = {}
    for item in sorted(open_items, key=lambda o: (o.org.path, o.kind)):
        # A group's items under its branch; a branch's or general branch's under itself.
        branch = by_pk[item.org.parent_id] if item.org.kind == OrgKind.GROUP else item.org
        by_branch.setdefault(branch.pk, BranchWork(branch)).items.append(item)
    # Newest period first; within a period, tree order.
    gaps.sort(key=lambda o: (o.org.path, o.kind))
    gaps.sort(key=lambda o: o.start, reverse=True)
    return Worklist(
        today=today,
        current=sorted(by_branch.values(), key=lambda w: w.branch.path),
        gaps=gaps,
        done=done,
        total=done + len(open_items),
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
