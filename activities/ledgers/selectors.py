"""What every working ledger reads the same way: the yearly summary of a node by child
(drill-down), summed in the database, and the span of a year a dated row runs in.

Each ledger's own reads are in its package (``pledges``, ``duty``, …); they
build their summaries on ``summed_by_child`` and ``rolled_up``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django.db.models.functions import Substr

from activities.points.scheme import year_start
from branches.models import Organization
from branches.paths import PATH_STEP, subtree_q


@dataclass
class SummaryRow:
    org: Organization
    label: str = ""
    values: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.label or self.org.name


@dataclass
class LedgerSummary:
    """A node's year in one ledger: a row per child, the node's own row, the total."""

    node: Organization
    year: int
    rows: list[SummaryRow]
    own: SummaryRow
    total: SummaryRow


def summed_by_child(queryset, *, node: Organization, path: str, **aggregates):
    """*aggregates* of *queryset* per child of *node* (the first levels of *path*): one
    grouped query. Rows kept at *node* itself come back under the node's own path."""
    return {row.pop("child"): row for row in by_child(queryset, node=node, path=path, **aggregates)}


def by_child(queryset, *, node: Organization, path: str, **aggregates):
    """``summed_by_child``'s grouped query, unevaluated (to be joined to another by a union)."""
    width = len(node.path) + PATH_STEP
    return (
        queryset.filter(subtree_q(node.path, prefix=path.removesuffix("path")))
        .annotate(child=Substr(path, 1, width))
        .values("child")
        .annotate(**aggregates)
        .order_by()
    )


def tally_by_child(*, ledger: str, year: int, node: Organization, metrics) -> dict:
    """*ledger*'s kept tallies of *year* (``activities.ledgers.tallies``) summed per child
    of *node*, one figure per metric: one grouped query over a row or so per
    organisation, whatever the number of the ledger's rows."""
    from activities.models import LedgerTally

    return summed_by_child(
        LedgerTally.objects.filter(ledger=ledger, year=year),
        node=node,
        path="org__path",
        **{m: Sum("value", filter=Q(metric=m), default=0) for m in metrics},
    )


def tally_totals(*, ledger: str, year: int, node: Organization, metrics) -> dict:
    """*ledger*'s kept tallies of *year* summed over *node*'s subtree: one query."""
    from activities.models import LedgerTally

    return LedgerTally.objects.filter(
        subtree_q(node.path, prefix="org__"), ledger=ledger, year=year
    ).aggregate(**{m: Sum("value", filter=Q(metric=m), default=0) for m in metrics})


def rolled_up(node: Organization, year: int, sums: dict, keys) -> LedgerSummary:
    """The summary's rows from ``summed_by_child``'s sums: every child shown, zeros too."""
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    empty = dict.fromkeys(keys, 0)
    rows = [SummaryRow(org=c, values={**empty, **sums.get(c.path, {})}) for c in children]
    own = SummaryRow(
        org=node, label=f"{node.name}（本级）", values={**empty, **sums.get(node.path, {})}
    )
    total = SummaryRow(
        org=node,
        label="合计",
        values={k: sum((s.get(k) or 0) for s in sums.values()) for k in keys},
    )
    return LedgerSummary(node=node, year=year, rows=rows, own=own, total=total)


def running_in_year(year: int, start: str, end: str, prefix: str = "") -> Q:
    """Rows running at some time in *year*: begun by its last day, not ended before its first."""
    return Q(**{f"{prefix}{start}__lt": year_start(year + 1)}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gte": year_start(year)})
    )
