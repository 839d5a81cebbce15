"""Reads of the 党员学习 ledger: the scoped list of sessions, each member's 学时 of a year
against their target, and the yearly summary of a node by child, summed in the database.

A member's 学时 of a year is the sum of the hours of the sessions they attended
that year; their target is the ``StudyTarget`` in force on the year's 1 January,
the secretaries' figure when they hold a 书记 post on the year's reference day
(its last day, or today while it runs). ``member_year`` is the one place that
says so: the branch's table, the summary and the 学习达标 points all read it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr

from activities.ledgers.selectors import LedgerSummary, rolled_up, tally_by_child, tally_totals
from activities.ledgers.tallies import hours_of
from activities.models import (
    LedgerMemberTally,
    StudyAttendance,
    StudySession,
    StudyTarget,
    TallyLedger,
    in_force_q,
)
from activities.points.scheme import year_start
from branches.models import Organization, Post, PostTitle, open_posts_q
from branches.paths import PATH_STEP, subtree_q
from members.models import Member

HOURS = DecimalField(max_digits=8, decimal_places=1)
ZERO = Decimal("0")


def target_of(year: int) -> StudyTarget | None:
    """The 学时 target a year is held to: the row in force on its 1 January."""
    return StudyTarget.objects.filter(in_force_q(year_start(year))).first()


def reference_day(year: int, today: datetime.date) -> datetime.date:
    """The day a member's 书记 post is looked at: the year's last day, or today while it runs."""
    return min(datetime.date(year, 12, 31), today)


def in_year(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}date__gte": year_start(year), f"{prefix}date__lt": year_start(year + 1)})


def secretary_q(on: datetime.date, member: str = "pk") -> Exists:
    """Whether the member holds a 书记 post (of any organisation) on *on*."""
    return Exists(
        Post.objects.filter(open_posts_q(on), member=OuterRef(member), title=PostTitle.SECRETARY)
    )


def target_expression(target: StudyTarget | None, on: datetime.date, member: str = "pk"):
    """The member's target as an SQL expression; ``None`` for a year without a rule."""
    if target is None:
        return Value(None, output_field=HOURS)
    return Case(
        When(secretary_q(on, member), then=Value(target.secretary_hours)),
        default=Value(target.member_hours),
        output_field=HOURS,
    )


def member_year(members: QuerySet, *, year: int, today: datetime.date) -> QuerySet:
    """*members* with their ``hours`` of *year*, ``target``, ``secretary`` and ``reached``."""
    target = target_of(year)
    on = reference_day(year, today)
    hours = (
        StudyAttendance.objects.filter(in_year(year, "session__"), member=OuterRef("pk"))
        .values("member")
        .annotate(total=Sum("session__hours"))
        .values("total")
    )
    annotated = members.annotate(
        hours=Coalesce(Subquery(hours, output_field=HOURS), Value(ZERO), output_field=HOURS),
        secretary=secretary_q(on),
        target=target_expression(target, on),
    )
    if target is None:
        return annotated.annotate(reached=Value(False))
    return annotated.annotate(
        reached=Case(When(hours__gte=F("target"), then=Value(True)), default=Value(False))
    )


# --- The list of sessions --------------------------------------------------------------


def session_rows(
    *, user, year: int, node: Organization | None, month: int | None, form: str
) -> QuerySet[StudySession]:
    """The year's sessions in the user's scope (under *node*, if given), filtered by month
    and form, each with ``attendees`` (how many members attended)."""
    rows = StudySession.objects.visible_to(user).filter(in_year(year))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    if month:
        rows = rows.filter(date__month=month)
    if form:
        rows = rows.filter(form=form)
    # A count per row, not a join grouped over the whole year: the page's 100 rows are
    # counted after the sort and the pager's count leaves it out.
    attendees = (
        StudyAttendance.objects.filter(session=OuterRef("pk"))
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        rows.select_related("org")
        .annotate(attendees=Coalesce(Subquery(attendees), 0))
        .order_by("org__path", "date", "pk")
    )


# --- A branch's members --------------------------------------------------------------------


@dataclass
class MemberYear:
    """A branch's year of study: its members' rows and how many reached their target."""

    rows: list
    members: int
    reached: int


def branch_members_year(
    *, branch: Organization, year: int, today: datetime.date, below: bool
) -> MemberYear:
    """The branch's members on the roster with their 学时, target, 达标 and shortfall
    (``short``), by name; only those below target when *below*. One query."""
    rows = list(
        member_year(Member.objects.active().filter(branch=branch), year=year, today=today)
        .only("pk", "name", "branch_id")
        .order_by("name", "pk")
    )
    for row in rows:
        row.short = max(row.target - row.hours, ZERO) if row.target is not None else None
    reached = sum(1 for r in rows if r.reached)
    shown = [r for r in rows if not r.reached] if below else rows
    return MemberYear(rows=shown, members=len(rows), reached=reached)


# --- The yearly summary by child -------------------------------------------------------

STUDY_KEYS = ("sessions", "hours", "members", "reached", "member_hours")


def _members_by_child(*, node: Organization, year: int, today: datetime.date) -> dict:
    """Members on the roster under *node* per child: how many, how many reached their
    target, and their 学时 summed. One statement: each member's 学时 of the year, kept
    in tenths per member (``LedgerMemberTally``: a row per member instead of the
    year's million attendance rows), joined to the members with the secretaries of
    the reference day, then grouped by child. A correlated lookup per member costs
    70,000 index walks at city scale; the ORM cannot join a derived table, so its
    three parts are the ORM's own SQL. Who reached their target stays live: it
    depends on the 书记 posts of the day and the target in force."""
    width = len(node.path) + PATH_STEP
    target = target_of(year)
    on = reference_day(year, today)
    members = (
        Member.objects.active()
        .filter(subtree_q(node.path, prefix="branch__"))
        .values(who=F("pk"), child=Substr("branch__path", 1, width))
        .order_by()
    )
    hours = (
        LedgerMemberTally.objects.filter(
            subtree_q(node.path, prefix="member__branch__"), ledger=TallyLedger.STUDY, year=year
        )
        .values(who=F("member_id"), hours=F("value"))
        .order_by()
    )
    secretaries = (
        Post.objects.filter(open_posts_q(on), title=PostTitle.SECRETARY)
        .values(who=F("member_id"))
        .distinct()
        .order_by()
    )
    parts = [q.query.sql_with_params() for q in (members, hours, secretaries)]
    reached, reached_params = "0", []
    if target is not None:
        reached = (
            "SUM(CASE WHEN COALESCE(h.hours, 0) >= "
            "(CASE WHEN s.who IS NULL THEN %s ELSE %s END) THEN 1 ELSE 0 END)"
        )
        # In tenths, as the tallies keep 学时: whole numbers on both databases.
        reached_params = [int(target.member_hours * 10), int(target.secretary_hours * 10)]
    sql = (
        f"SELECT m.child, COUNT(*), {reached}, SUM(h.hours) "
        f"FROM ({parts[0][0]}) m "
        f"LEFT JOIN ({parts[1][0]}) h ON h.who = m.who "
        f"LEFT JOIN ({parts[2][0]}) s ON s.who = m.who "
        "GROUP BY m.child"
    )
    params = [*reached_params, *parts[0][1], *parts[1][1], *parts[2][1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        child: {
            "members": count,
            "reached": int(done or 0),
            "member_hours": hours_of(total) if total else ZERO,
        }
        for child, count, done, total in rows
    }


def study_summary(*, node: Organization, year: int, today: datetime.date) -> LedgerSummary:
    """党员学习 of *node*'s year by child: sessions held and their 学时, members on the
    roster, those who reached their target, the share reached and the average 学时
    per member: four queries (the target, sessions by child, members by child,
    children).

    A county of 70,000 members sends a row per child, never a row per member. A
    session held by a township counts at the township's own row; its attendees'
    学时 count where they are on the roster.
    """
    sums = tally_by_child(
        ledger=TallyLedger.STUDY, year=year, node=node, metrics=["sessions", "hours"]
    )
    for values in sums.values():
        values["hours"] = hours_of(values["hours"]) if values["hours"] else None
    for child, values in _members_by_child(node=node, year=year, today=today).items():
        sums.setdefault(child, {}).update(values)
    summary = rolled_up(node, year, sums, STUDY_KEYS)
    for row in [*summary.rows, summary.own, summary.total]:
        values = row.values
        values["hours"] = values["hours"] or ZERO
        values["member_hours"] = values["member_hours"] or ZERO
        members_n = values["members"]
        values["share"] = round(100 * values["reached"] / members_n, 1) if members_n else None
        values["average"] = (
            (values["member_hours"] / members_n).quantize(Decimal("0.1")) if members_n else None
        )
    return summary


def study_totals(*, node: Organization, year: int) -> dict:
    """The 数据摘要's figures of 党员学习 under *node* in *year*, as ``study_summary``
    counts its sessions: how many were held and their 学时. One query. (Who reached
    their target is the summary's: at a county it weighs every member's year.)"""
    values = tally_totals(
        ledger=TallyLedger.STUDY, year=year, node=node, metrics=["sessions", "hours"]
    )
    values["hours"] = hours_of(values["hours"]) if values["hours"] else Decimal(0)
    return values
