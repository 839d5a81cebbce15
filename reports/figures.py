"""The overview's member figures per organisation and day, computed once and kept.

Counting a county's members (70,000 membership rows, thirty-odd conditional
counts) on every request is most of the overview's cost, and the figures
depend on the day asked for (ages, probation), so they cannot be kept up to
date as data changes alone. Instead each organisation's figures for a day
are computed when a report first needs them and stored (``MemberFigures``)
with the organisation's ``MemberStamp`` counter, which database triggers
raise in the same transaction as any change to its memberships or members.
A row whose counter no longer matches is recomputed, so a report never reads
figures older than the data it describes:

- the counter is read before the data, so figures stored with counter *v*
  hold everything committed up to *v* (perhaps more, never less);
- any later committed change raises the counter past *v*, and the row is
  computed again on the next read.

After a change only the touched organisations are recomputed; a county's
overview reads about 1,700 short rows instead of counting every member.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from branches.models import Organization, OrgKind
from branches.paths import path_successor, subtree_q
from members.models import Membership, Spell
from reports.models import MemberFigures

# Rows older than this are dropped when figures are next computed: a day asked for
# again later is simply computed again.
KEEP = datetime.timedelta(days=7)
# Above this many stale organisations the subtree is counted whole, not by an id list.
IN_LIST_MAX = 500
# Members suspended on the day (停止党籍) are members in no figure but this one, which
# counts them apart, as the statistics list them.
SUSPENDED_FIGURE = "suspended"


def layout_of(keys: list[str]) -> str:
    """A short hash of the figures' keys: rows of another definition are not read."""
    return hashlib.sha256(",".join(keys).encode()).hexdigest()[:16]


def figures_by_org(
    *, node: Organization, on: datetime.date, figures: list[tuple], groups: bool
) -> dict[int, tuple[str, str, list[int]]]:
    """pk → (path, kind, counts in *figures*' order) for the organisations members belong
    to in *node*'s subtree, as of *on*: with *groups*, for its party groups only (a
    branch's or a group's overview); otherwise for every other organisation.

    Two queries when every row is current (the rows with their counters, and
    nothing else); after a change, two more for the organisations it touched.
    """
    keys = [key for key, _label, _q in figures]
    layout = layout_of(keys)
    stored = _stored(node, on, groups)
    result: dict[int, tuple[str, str, list[int]]] = {}
    stale: dict[int, int] = {}  # pk → the counter the new row is computed at
    for pk, path, kind, _parent, version, row_version, row_layout, counts in stored:
        if row_version is not None and row_version == version and row_layout == layout:
            result[pk] = (path, kind, [int(n) for n in counts.split(",")])
        else:
            stale[pk] = version
    if stale:
        paths = {pk: (path, kind) for pk, path, kind, *_rest in stored}
        covered_by = {pk: parent if groups else pk for pk, _path, _kind, parent, *_rest in stored}
        computed = _compute(node, on, figures, stale, groups)
        now = timezone.now()
        rows = []
        for pk, version in stale.items():
            counts = computed.get(pk, [0] * len(keys))
            result[pk] = (*paths[pk], counts)
            rows.append(
                MemberFigures(
                    org_id=pk,
                    branch_id=covered_by[pk],
                    day=on,
                    version=version,
                    layout=layout,
                    counts=",".join(map(str, counts)),
                    computed_at=now,
                )
            )
        MemberFigures.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["day", "org"],
            update_fields=["branch", "version", "layout", "counts", "computed_at"],
        )
        MemberFigures.objects.filter(computed_at__lt=now - KEEP).delete()
    return result


def figure_by_org(
    *, node: Organization, on: datetime.date, figures: list[tuple], key: str
) -> dict[str, int]:
    """path → one figure (*key*) of each organisation members belong to in *node*'s
    subtree, as of *on*: ``figures_by_org`` reading one number of each kept row
    instead of all of them (the 党员增减 table reads the totals of two days)."""
    keys = [k for k, _label, _q in figures]
    index, layout = keys.index(key), layout_of(keys)
    stored = _stored(node, on, False)
    current = all(
        row_version == version and row_layout == layout
        for _pk, _path, _kind, _parent, version, row_version, row_layout, _counts in stored
    )
    if not current:
        kept = figures_by_org(node=node, on=on, figures=figures, groups=False)
        return {path: counts[index] for path, _kind, counts in kept.values()}
    return {path: int(counts.split(",", index + 1)[index]) for _pk, path, *_rest, counts in stored}


def _stored(node: Organization, on: datetime.date, groups: bool) -> list[tuple]:
    """The organisations of the subtree with their counter and any stored row for *on*."""
    org = Organization._meta.db_table
    stamp = "reports_memberstamp"
    kept = MemberFigures._meta.db_table
    upper = path_successor(node.path)
    where = ["o.path >= %s"]
    params: list = [on, node.path]
    if upper is not None:
        where.append("o.path < %s")
        params.append(upper)
    where.append("o.kind = %s" if groups else "o.kind <> %s")
    params.append(OrgKind.GROUP)
    # A group's memberships name its branch: the group is covered by the branch's counter.
    covered_by = "o.parent_id" if groups else "o.id"
    sql = (
        f"SELECT o.id, o.path, o.kind, o.parent_id, COALESCE(s.version, 0), "
        f"f.version, f.layout, f.counts "
        f"FROM {org} o "
        f"LEFT JOIN {stamp} s ON s.branch_id = {covered_by} "
        f"LEFT JOIN {kept} f ON f.org_id = o.id AND f.day = %s "
        f"WHERE {' AND '.join(where)}"
    )
    # The join's parameter comes first in the text.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _compute(node, on, figures, stale: dict[int, int], groups: bool) -> dict[int, list[int]]:
    """Count the stale organisations' members as of *on*: one grouped query, and one
    more for the suspended members when *figures* count them."""
    by = "group_id" if groups else "branch_id"
    memberships = Membership.objects.on(on)
    if len(stale) <= IN_LIST_MAX:
        memberships = memberships.filter(**{f"{by}__in": list(stale)})
    else:
        memberships = memberships.filter(
            subtree_q(node.path, prefix="group__" if groups else "branch__")
        )
    # Excluded in WHERE, the suspension is one anti-join, not a test per figure.
    suspended = Exists(
        Spell.objects.on(on).filter(member_id=OuterRef("member_id"), kind=Spell.Kind.SUSPENDED)
    )
    counted = [(key, q) for key, _label, q in figures if key != SUSPENDED_FIGURE]
    rows = (
        memberships.exclude(suspended)
        .values(by)
        .annotate(**{key: Count("pk", filter=condition) for key, condition in counted})
        .order_by()
        .values_list(by, *[key for key, _q in counted])
    )
    found = {pk: dict(zip([k for k, _q in counted], counts, strict=True)) for pk, *counts in rows}
    if any(key == SUSPENDED_FIGURE for key, _label, _q in figures):
        apart = memberships.filter(suspended).values(by).annotate(n=Count("pk")).order_by()
        for pk, n in apart.values_list(by, "n"):
            found.setdefault(pk, {})[SUSPENDED_FIGURE] = n
    keys = [key for key, _label, _q in figures]
    return {pk: [row.get(k, 0) for k in keys] for pk, row in found.items() if pk is not None}
