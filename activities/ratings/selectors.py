"""Reads of the rating pages: the stored draft or the frozen publication covering a
node, its distribution, rows, ranking and differences."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from activities.models import (
    Activity,
    GroupRank,
    LastRankDecision,
    Rating,
    RatingPublication,
    RatingRule,
    RatingTally,
    in_force_q,
    stars_label,
)
from branches.labels import attach_labels
from branches.models import Organization, OrgKind, county_unit_q, is_county_unit
from branches.paths import PATH_STEP, path_prefixes, subtree_q

# Nodes a draft is computed and published for: a ranking within the township needs all
# its groups. "Township" is any unit directly under the county (county_unit_q): a 工委
# or a department's 基层党委 ranks its groups as a township does; a village 党委 under
# a township ranks within that township.
DRAFT_NODE_KINDS = (OrgKind.CITY, OrgKind.COUNTY)


def draft_node_q() -> Q:
    return Q(kind__in=DRAFT_NODE_KINDS) | county_unit_q()


def is_draft_node(node: Organization) -> bool:
    return node.kind in DRAFT_NODE_KINDS or is_county_unit(node)


FLAGGED_SHOWN = 200


# --- Publication --------------------------------------------------------------------


def publication_covering(*, node: Organization, year: int) -> RatingPublication | None:
    """The publication of *year* in force at *node* or one of its ancestors, if any."""
    return (
        RatingPublication.objects.in_force()
        .filter(year=year, org__path__in=path_prefixes(node.path, include_self=True))
        .select_related("org", "published_by")
        .first()
    )


def publication_overlapping(*, node: Organization, year: int) -> RatingPublication | None:
    """A publication of *year* in force at, above or below *node*: no member is published
    twice."""
    return (
        RatingPublication.objects.in_force()
        .filter(Q(subtree_q(node.path, prefix="org__")) | Q(org__path__in=path_prefixes(node.path)))
        .filter(year=year)
        .select_related("org", "published_by")
        .first()
    )


def withdrawn_publications(*, node: Organization, year: int) -> list[RatingPublication]:
    """The withdrawn publications of *year* at *node* or above, newest first: the record."""
    return list(
        RatingPublication.objects.filter(
            year=year,
            org__path__in=path_prefixes(node.path, include_self=True),
            withdrawn_at__isnull=False,
        )
        .select_related("org", "published_by", "withdrawn_by")
        .order_by("-withdrawn_at")
    )


def publish_refusals(*, node: Organization, year: int, today: datetime.date) -> list[str]:
    """Why *year* cannot be published for *node* now, whatever its draft holds.

    The one list the confirmation page shows and the publishing service
    enforces: a year under way (or to come), a year without a single meeting
    logged (every member would get the base points, every group tie), a
    node that is not a township or above, a year already published.
    """
    refusals = []
    if not is_draft_node(node):
        refusals.append("评星定级按乡镇（街道）或全县发布，请到乡镇党委或县委的页面发布。")
    if year >= today.year:
        refusals.append(f"{year}年度尚未结束，年度评星定级在次年（{year + 1}年1月1日起）发布。")
    elif not Activity.objects.filter(
        subtree_q(node.path, prefix="org__"),
        held_on__gte=datetime.date(year, 1, 1),
        held_on__lte=datetime.date(year, 12, 31),
    ).exists():
        refusals.append(
            f"{node.name}{year}年度没有登记任何组织生活，评星定级没有依据："
            "请先登记本年度的三会一课，或检查年度是否选错。"
        )
    published = publication_overlapping(node=node, year=year)
    if published is not None:
        refusals.append(
            f"{year}年度评星定级已于 {timezone.localtime(published.published_at):%Y-%m-%d} "
            f"按「{published.org.name}」发布，不能重复发布；如需更正，请在撤回期限内撤回后重新发布。"
        )
    return refusals


def rating_rule_of(year: int) -> RatingRule | None:
    """The rating rule in force on *year*'s 1 January: the one that governs the year."""
    return RatingRule.objects.filter(in_force_q(datetime.date(year, 1, 1))).first()


def draft_fingerprint(*, node: Organization, year: int) -> str:
    """A digest of what the confirmation page shows of the stored draft: two queries.

    Members per star level, and which groups are last, tied or decided with
    their leaders: publishing recomputes the draft and freezes it only when
    this digest is still the one the user confirmed.
    """
    counts = sorted(
        ratings_of(node=node, year=year, publication=None)
        .values_list("stars")
        .annotate(n=Count("pk"))
        .order_by()
    )
    flagged = list(
        ranks_of(node=node, year=year, publication=None)
        .filter(Q(is_last=True) | Q(tied=True))
        .values_list("group_id", "is_last", "tied", "decision_id", "leader_id")
        .order_by("group_id")
    )
    text = json.dumps([counts, flagged], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- Reads --------------------------------------------------------------------------


def ratings_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return Rating.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year, publication=publication
    )


def tallies_of(*, node: Organization, year: int, publication: RatingPublication | None):
    """The kept counts of ``ratings_of`` (``RatingTally``): per organisation and stars."""
    return RatingTally.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year, publication=publication
    )


def ranks_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return GroupRank.objects.filter(
        subtree_q(node.path, prefix="group__"), year=year, publication=publication
    )


def rating_summary(
    *, node: Organization, year: int, publication=None, by_child: StarsByChild | None = None
) -> dict:
    """Star distribution, flagged groups, undecided ties, when the rows were computed and
    the rule that governs the year: four queries (three given *by_child*, the stars
    report's sums, which hold the distribution).

    At county level the flagged groups run to hundreds; the first
    ``FLAGGED_SHOWN`` are listed, the ranking pages and exports hold them all.
    """
    if by_child is not None:  # the stars report summed them already, per child
        counts, computed_at = by_child.counts, by_child.computed_at
    else:
        kept = tallies_of(node=node, year=year, publication=publication)
        counts, computed_at = {}, None
        for stars, n, at in (
            kept.values_list("stars").annotate(n=Sum("count"), at=Max("computed_at")).order_by()
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
    ranks = ranks_of(node=node, year=year, publication=publication)
    flags = ranks.filter(Q(is_last=True) | Q(tied=True, decision__isnull=True)).aggregate(
        last=Count("pk", filter=Q(is_last=True)), undecided=Count("pk", filter=Q(is_last=False))
    )
    flagged = ranks.filter(is_last=True)
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
        "flagged_count": flags["last"],
        "undecided_count": flags["undecided"],
        "computed_at": computed_at,
        "rule": rating_rule_of(year),
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
        .select_related("group__parent", "scope_org", "leader", "decision")
        .order_by("scope_org__path", "rank", "group__path")
    )


def decision_applied(decision: LastRankDecision) -> bool:
    """Whether the draft follows *decision* (its groups were still tied when recomputed)."""
    return GroupRank.objects.filter(decision=decision, publication__isnull=True).exists()


@dataclass
class Tie:
    """Groups tied at the bottom of one ranking (a township or a branch), and its decisions."""

    scope_org: Organization
    ranks: list[GroupRank] = field(default_factory=list)
    decisions: list[LastRankDecision] = field(default_factory=list)

    @property
    def decision(self) -> LastRankDecision | None:
        """The decision the draft applies (the latest made for exactly these groups)."""
        return self.ranks[0].decision if self.ranks else None

    @property
    def last_names(self) -> str:
        return "、".join(r.group.name for r in self.ranks if r.is_last)


def draft_node_of(unit: Organization) -> Organization:
    """The nearest node at or above *unit* whose draft is computed (its township)."""
    nodes = Organization.objects.filter(
        draft_node_q(), path__in=path_prefixes(unit.path, include_self=True)
    )
    return nodes.order_by("-path").first()


def ties_of(*, node: Organization, year: int) -> list[Tie]:
    """The ties at the bottom of the draft rankings under *node*, each with the decisions
    recorded for its ranking, undecided ties first: four queries.

    The tied rows with their groups, leaders and applied decisions; the
    groups' ancestors for their labels; the decisions of the year for those
    rankings; the names of groups earlier decisions named.
    """
    ranks = list(
        ranks_of(node=node, year=year, publication=None)
        .filter(tied=True)
        .select_related("group", "scope_org", "leader", "decision__decided_by")
        .order_by("scope_org__path", "group__path")
    )
    attach_labels(r.group for r in ranks)
    ties: dict[int, Tie] = {}
    for r in ranks:
        ties.setdefault(r.scope_org_id, Tie(scope_org=r.scope_org)).ranks.append(r)
    decisions = list(
        LastRankDecision.objects.filter(year=year, scope_org_id__in=list(ties))
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    )
    names = dict(
        Organization.objects.filter(
            pk__in={pk for d in decisions for pk in d.last_group_ids}
        ).values_list("pk", "name")
    )
    for d in decisions:
        d.last_group_names = [names.get(pk, str(pk)) for pk in d.last_group_ids]
        ties[d.scope_org_id].decisions.append(d)
    return sorted(ties.values(), key=lambda t: (t.decision is not None, t.scope_org.path))


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


@dataclass
class StarsByChild:
    """The stars report's sums: a row per child, and the whole node's stars → members
    and when its ratings were computed (what ``rating_summary`` would count again)."""

    rows: list[StarsRow]
    counts: dict[int, int]
    computed_at: datetime.datetime | None


def stars_by_child(*, node: Organization, year: int, publication=None) -> StarsByChild:
    """The star distribution of each child of *node*: two queries.

    The children, and the kept tallies (``RatingTally``) summed in the
    database per child – the first levels of the organisation's path – and
    stars. Under a branch, members outside any group are left out of the
    children's rows (their organisation's path is the branch's own) but not
    out of the node's counts.
    """
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    rows = {c.path: StarsRow(org=c, counts=[0] * 6) for c in children}
    width = len(node.path) + PATH_STEP
    counted = (
        tallies_of(node=node, year=year, publication=publication)
        .annotate(child=Substr("org__path", 1, width))
        .values_list("child", "stars")
        .annotate(n=Sum("count"), points=Sum("points"), at=Max("computed_at"))
        .order_by()
    )
    counts: dict[int, int] = {}
    computed_at = None
    for child, stars, n, points, at in counted:
        counts[stars] = counts.get(stars, 0) + n
        computed_at = max(computed_at, at) if computed_at else at
        row = rows.get(child)
        if row is None:
            continue
        row.counts[5 - stars] += n
        row.total += n
        row.points_sum += points
    return StarsByChild([rows[c.path] for c in children], counts, computed_at)
