"""Reads of the 结对帮扶 ledger: the scoped list of a year's pairings with their visit
counts, and the yearly summary of a node by child, summed in the database.

The list page, its export and its print read ``pair_rows``; the summary page
reads ``pair_summary``: the same numbers everywhere.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from activities.ledgers.selectors import (
    LedgerSummary,
    rolled_up,
    summed_by_child,
    tally_by_child,
    tally_totals,
)
from activities.models import Pairing, PartnerKind, TallyLedger
from activities.points.scheme import year_start
from branches.models import Organization
from branches.paths import subtree_q


def running_in(year: int, prefix: str = "") -> Q:
    """Pairings running at some time in *year*: begun by its last day, not ended before."""
    return Q(**{f"{prefix}started_on__lt": year_start(year + 1)}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gte": year_start(year)})
    )


def _in_year(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}visited_on__gte": year_start(year)}) & Q(
        **{f"{prefix}visited_on__lt": year_start(year + 1)}
    )


def pair_rows(*, user, year: int, node: Organization | None) -> QuerySet[Pairing]:
    """The pairings running in *year* in the user's scope (under *node*, if given), each
    with ``visit_count``, its visits in the year."""
    rows = Pairing.objects.visible_to(user).filter(running_in(year))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    return (
        rows.select_related("org", "member")
        .annotate(visit_count=Count("visits", filter=_in_year(year, "visits__")))
        .order_by("org__path", "started_on", "pk")
    )


PAIR_KEYS = ("pairings", "members", "households", "villages", "visits", "unvisited")


def pair_summary(*, node: Organization, year: int) -> LedgerSummary:
    """结对帮扶 of *node*'s year by child: pairings running in the year, members pairing,
    households and villages paired, the year's visits, and pairings without a visit in
    the year: three queries (pairings, visits, children).

    A member counts once in each row they pair in; a pairing is its branch's, so a
    branch's row is its own.

    The pairings (a few per branch) are counted live; the year's visits, and the
    running pairings with one, come from the kept tallies: 未走访 is the running
    pairings less those.
    """
    pairings = summed_by_child(
        Pairing.objects.filter(running_in(year)),
        node=node,
        path="org__path",
        pairings=Count("pk"),
        members=Count("member", distinct=True),
        households=Count("pk", filter=Q(partner_kind=PartnerKind.HOUSEHOLD)),
        villages=Count("pk", filter=Q(partner_kind=PartnerKind.VILLAGE)),
    )
    visits = tally_by_child(
        ledger=TallyLedger.PAIRS, year=year, node=node, metrics=["visits", "visited"]
    )
    sums = {}
    for path in pairings.keys() | visits.keys():
        row = {**pairings.get(path, {}), **visits.get(path, {})}
        row["unvisited"] = row.get("pairings", 0) - row.pop("visited", 0)
        sums[path] = row
    return rolled_up(node, year, sums, PAIR_KEYS)


def pair_totals(*, node: Organization, year: int) -> dict:
    """The 数据摘要's figures of 结对帮扶 under *node* in *year*, as ``pair_summary`` counts
    them: pairings running in the year and the year's visits. Two queries."""
    pairings = Pairing.objects.filter(
        subtree_q(node.path, prefix="org__"), running_in(year)
    ).count()
    visits = tally_totals(ledger=TallyLedger.PAIRS, year=year, node=node, metrics=["visits"])[
        "visits"
    ]
    return {"pairings": pairings, "visits": visits}
