"""Reads of the organisation tree."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404

from branches.labels import attach_labels
from branches.models import BranchCategory, Organization, OrgKind
from branches.paths import path_prefixes, subtree_q


def visible_node(user, pk: int) -> Organization:
    """A node of *user*'s part of the tree (with its parent), or 404: another township's
    node does not exist for them."""
    return get_object_or_404(Organization.objects.visible_to(user).select_related("parent"), pk=pk)


def member_counts_by_path(*, user) -> dict[str, int]:
    """Members on the roster under every node *user* may see, keyed by the node's path.

    One count per branch and one per group, through the relations the roster
    declares on the tree (``branch_members``, ``group_members``: branches sits
    below members and does not import it), then a roll-up to every ancestor
    by path prefix: a few thousand dictionary updates instead of one count
    query per node.
    """
    visible = Organization.objects.visible_to(user)
    counts: Counter[str] = Counter()
    for kind, relation in ((OrgKind.BRANCH, "branch_members"), (OrgKind.GROUP, "group_members")):
        on_roster = Q(**{f"{relation}__roster_status": "active"})
        rows = (
            visible.filter(kind=kind)
            .values_list("path")
            .annotate(n=Count(relation, filter=on_roster))
            .order_by()
        )
        for path, n in rows:
            if not n:
                continue
            if kind == OrgKind.GROUP:  # the branch above already counted its groups' members
                counts[path] += n
                continue
            for prefix in path_prefixes(path, include_self=True):
                counts[prefix] += n
    return counts


def member_counts_of(orgs: list[Organization]) -> dict[int, int]:
    """Members on the roster under each of *orgs* (a page of a list), keyed by id: two
    queries reading only the subtrees the page shows.

    ``member_counts_by_path`` counts the whole tree, joining every node to the
    member table (~60 ms at 70,000 members); a page of a hundred nodes needs
    the branches under its topmost nodes, each counted through the index on
    (branch, roster status), and its groups' own counts. A branch's count holds
    its groups' members, as there.
    """
    member = Organization._meta.get_field("branch_members").related_model
    on_roster = member.objects.filter(roster_status="active").order_by().values("branch_id")
    counts: Counter[int] = Counter()
    by_path = {o.path: o.pk for o in orgs if o.kind != OrgKind.GROUP}
    tops: list[str] = []
    for path in sorted(by_path):
        if not tops or not path.startswith(tops[-1]):
            tops.append(path)
    if tops:
        under = Q()
        for path in tops:
            under |= subtree_q(path)
        rows = (
            Organization.objects.filter(under)
            .exclude(kind=OrgKind.GROUP)
            .annotate(
                # COUNT(*), not COUNT(id): an index-only scan, a third of the time.
                n=Subquery(
                    on_roster.filter(branch_id=OuterRef("pk")).annotate(n=Count("*")).values("n")
                )
            )
            .values_list("path", "n")
        )
        for path, n in rows:
            for prefix in path_prefixes(path, include_self=True):
                if n and prefix in by_path:
                    counts[by_path[prefix]] += n
    groups = [o.pk for o in orgs if o.kind == OrgKind.GROUP]
    if groups:
        rows = (
            member.objects.filter(roster_status="active", group_id__in=groups)
            .values_list("group_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts.update(dict(rows))
    return counts


def orgs_without_founding(*, user, limit: int = 100) -> tuple[list[Organization], int]:
    """The nodes of *user*'s part of the tree without a 成立日期, in tree order, labelled.

    They owe meetings only from the day they were entered (``created_at``,
    ``activities.cadence.owes_from``), so whoever keeps the tree fills the date
    in. The first *limit* and how many there are: two queries and the labels'.
    """
    return _first_labelled(
        Organization.objects.visible_to(user).filter(founded_on__isnull=True), limit
    )


def orgs_undecided(*, user, limit: int = 100) -> tuple[list[Organization], int]:
    """The live nodes of *user*'s part of the tree whose category is 待确定, in tree order.

    What the move to the statistics' unit types (migration 0010) and old tree
    sheets could not settle: until someone picks, the reports count them apart.
    The first *limit* and how many there are, as ``orgs_without_founding``.
    """
    return _first_labelled(
        Organization.objects.visible_to(user).live().filter(category=BranchCategory.UNDECIDED),
        limit,
    )


def _first_labelled(orgs, limit: int) -> tuple[list[Organization], int]:
    listed = orgs.only("pk", "kind", "name", "path", "created_at", "dissolved_on").order_by("path")
    shown = list(listed[:limit])
    total = listed.count() if len(shown) == limit else len(shown)
    return attach_labels(shown), total
