"""Reads of the rating pages: the stored draft or the frozen publication covering a
node, its distribution, rows, ranking and differences."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Sum

from activities.models import (
    GroupRank,
    Rating,
    RatingPublication,
    stars_label,
)
from branches.labels import attach_labels
from branches.models import Organization
from branches.paths import PATH_STEP, path_prefixes, subtree_q

# Nodes a draft is computed for: a ranking within the township needs all its groups.


FLAGGED_SHOWN = 200


# --- Publication --------------------------------------------------------------------


def publication_covering(*, node: Organization, year: int) -> RatingPublication | None:
    """The publication of *year* at *node* or one of its ancestors, if any."""
    return (
        RatingPublication.objects.filter(
            year=year, org__path__in=path_prefixes(node.path, include_self=True)
        )
        .select_related("org", "published_by")
        .first()
    )


# --- Reads --------------------------------------------------------------------------


def ratings_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return Rating.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year, publication=publication
    )


def ranks_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return GroupRank.objects.filter(
        subtree_q(node.path, prefix="group__"), year=year, publication=publication
    )


def rating_summary(*, node: Organization, year: int, publication=None) -> dict:
    """Star distribution, flagged groups and when the rows were computed: three queries.

    At county level the flagged groups run to hundreds; the first
    ``FLAGGED_SHOWN`` are listed, the ranking pages and exports hold them all.
    """
    ratings = ratings_of(node=node, year=year, publication=publication)
    counts, computed_at = {}, None
    for stars, n, at in (
        ratings.values_list("stars").annotate(n=Count("pk"), at=Max("computed_at")).order_by()
    ):
        counts[stars] = n
        computed_at = max(computed_at, at) if computed_at else at
    total = sum(counts.values())
    distribution = [
        {
            "stars": stars,
            "label": stars_label(stars),
            "count": counts.get(stars, 0),
            "share": counts.get(stars, 0) / total if total else None,
        }
        for stars in range(5, -1, -1)
    ]
    flagged = ranks_of(node=node, year=year, publication=publication).filter(is_last=True)
    flagged_count = flagged.count()
    shown = list(
        flagged.select_related("group", "scope_org", "leader").order_by("group__path")[
            :FLAGGED_SHOWN
        ]
    )
    attach_labels(r.group for r in shown)
    return {
        "distribution": distribution,
        "total": total,
        "flagged": shown,
        "flagged_count": flagged_count,
        "computed_at": computed_at,
    }


def rating_rows(*, node: Organization, year: int, publication=None):
    return (
        ratings_of(node=node, year=year, publication=publication)
        .select_related("member", "org", "branch")
        .order_by("branch__path", "org__path", "member__name", "member_id")
    )


def group_ranking(*, node: Organization, year: int, publication=None):
    return (
        ranks_of(node=node, year=year, publication=publication)
        .select_related("group__parent", "scope_org", "leader")
        .order_by("scope_org__path", "rank", "group__path")
    )


def rating_differences(*, node: Organization, year: int, publication) -> list[dict]:
    """Members whose current draft differs from the published rating: two queries."""
    fields = ("member_id", "member__name", "org__name", "total", "stars")
    published = {
        r[0]: r
        for r in ratings_of(node=node, year=year, publication=publication).values_list(*fields)
    }
    draft = {
        r[0]: r for r in ratings_of(node=node, year=year, publication=None).values_list(*fields)
    }
    rows = []
    for member_id in sorted(set(published) | set(draft)):
        old, new = published.get(member_id), draft.get(member_id)
        if old and new and old[3:] == new[3:]:
            continue
        name, org = (new or old)[1:3]
        rows.append(
            {
                "name": name,
                "org": org,
                "published_total": old[3] if old else None,
                "published_stars": old[4] if old else None,
                "draft_total": new[3] if new else None,
                "draft_stars": new[4] if new else None,
            }
        )
    return rows


@dataclass
class StarsRow:
    """One child of a node in the star distribution: members per star count."""

    org: Organization
    counts: list[int]  # members with 5, 4, 3, 2, 1 stars, then 不合格
    total: int = 0
    points_sum: Decimal = Decimal(0)

    @property
    def average_points(self) -> Decimal | None:
        return (self.points_sum / self.total).quantize(Decimal("0.1")) if self.total else None


def stars_by_child(*, node: Organization, year: int, publication=None) -> list[StarsRow]:
    """The star distribution of each child of *node*, rolled up by path: three queries.

    One grouped count of the ratings per organisation and stars, one read of
    those organisations' paths, one of the children; each row rolls up to the
    child its path starts with (under a branch, members outside any group
    are left out of the children's rows).
    """
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    rows = {c.path: StarsRow(org=c, counts=[0] * 6) for c in children}
    width = len(node.path) + PATH_STEP
    counted = list(
        ratings_of(node=node, year=year, publication=publication)
        .values_list("org_id", "stars")
        .annotate(n=Count("pk"), points=Sum("total"))
        .order_by()
    )
    paths = dict(
        Organization.objects.filter(pk__in={row[0] for row in counted}).values_list("pk", "path")
    )
    for org_id, stars, n, points in counted:
        row = rows.get(paths[org_id][:width])
        if row is None:
            continue
        row.counts[5 - stars] += n
        row.total += n
        row.points_sum += points
    return [rows[c.path] for c in children]
