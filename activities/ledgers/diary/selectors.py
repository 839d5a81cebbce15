"""Reads of the 民情日志: the scoped list with its filters and the months' checks at its
foot, the secretary's unchecked months for the worklist, and the yearly summary of
a node by child, summed in the database.

The list page, its export and its print read ``diary_rows``; the summary page
reads ``diary_summary``: the same numbers everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth

from activities.ledgers.selectors import LedgerSummary, rolled_up, tally_by_child
from activities.models import DiaryCheck, DiaryEntry, DiaryOutcome, TallyLedger
from activities.points.scheme import year_start
from branches.models import Organization
from branches.paths import subtree_q

# The worklist names at most this many unchecked branch-months; the rest are counted.
WORK_SHOWN = 60


def month_checked() -> Exists:
    """Whether the entry's month of its branch has its check (the tallies count it too)."""
    # Year and month apart: a truncation cannot take an outer reference.
    return Exists(
        DiaryCheck.objects.filter(
            org=OuterRef("org"),
            month__year=ExtractYear(OuterRef("date")),
            month__month=ExtractMonth(OuterRef("date")),
        )
    )


def diary_rows(
    *, user, year: int, node: Organization | None, month: int | None, outcome: str
) -> QuerySet[DiaryEntry]:
    """The year's entries in the user's scope (under *node*, if given), filtered by
    month and outcome, each with ``checked`` (its month has been checked)."""
    rows = DiaryEntry.objects.visible_to(user).filter(
        date__gte=year_start(year), date__lt=year_start(year + 1)
    )
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    if month:
        rows = rows.filter(date__month=month)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return (
        rows.select_related("org", "cadre")
        .annotate(checked=month_checked())
        .order_by("org__path", "date", "pk")
    )


def diary_checks(
    *, user, year: int, node: Organization | None, month: int | None
) -> QuerySet[DiaryCheck]:
    """The year's checks in the same scope and month as the list: the print's foot."""
    checks = DiaryCheck.objects.visible_to(user).filter(month__year=year)
    if node is not None:
        checks = checks.filter(subtree_q(node.path, prefix="org__"))
    if month:
        checks = checks.filter(month__month=month)
    return checks.select_related("org", "checked_by").order_by("org__path", "month")


# --- The worklist --------------------------------------------------------------------


@dataclass
class UncheckedBranch:
    """A branch's months of the year with entries but no check, oldest first."""

    org_id: int
    name: str
    months: list[dict] = field(default_factory=list)


def diary_work(*, user, root: Organization, today: datetime.date) -> dict:
    """The worklist's 民情日志待审阅: months of this year before the current one in which a
    branch under *root* wrote entries that nobody checked, by branch. One query (the
    first ``WORK_SHOWN`` branch-months; the count beyond them from the same rows)."""
    months = (
        DiaryEntry.objects.visible_to(user)
        .filter(
            subtree_q(root.path, prefix="org__"),
            date__gte=year_start(today.year),
            date__lt=today.replace(day=1),
        )
        .filter(~Q(month_checked()))
        .annotate(month=TruncMonth("date"))
        .values("org_id", "org__name", "org__path", "month")
        .annotate(
            entries=Count("pk"),
            following=Count("pk", filter=Q(outcome=DiaryOutcome.FOLLOWING)),
        )
        .order_by("org__path", "month")
    )
    rows = list(months[: WORK_SHOWN + 1])
    branches: dict[int, UncheckedBranch] = {}
    for row in rows[:WORK_SHOWN]:
        branch = branches.setdefault(
            row["org_id"], UncheckedBranch(org_id=row["org_id"], name=row["org__name"])
        )
        branch.months.append(row)
    return {"branches": list(branches.values()), "more": len(rows) > WORK_SHOWN}


# --- The yearly summary by child -------------------------------------------------------

DIARY_KEYS = ("entries", "resolved", "reported", "following", "months", "checked")


def diary_summary(*, node: Organization, year: int) -> LedgerSummary:
    """民情日志 of *node*'s year by child: entries, resolved, passed on (已上报), still
    跟进中, and the branch-months with entries and how many of them were checked: two
    queries (sums, children).

    Every figure is the branch's own (a branch-month is one branch's), so the
    kept tallies (``activities.ledgers.tallies.diary_counts``) sum to them.
    """
    sums = tally_by_child(ledger=TallyLedger.DIARY, year=year, node=node, metrics=DIARY_KEYS)
    return rolled_up(node, year, sums, DIARY_KEYS)
