"""The year's star ratings (评星定级) and the party-group ranking: computing the draft,
publishing a frozen snapshot, and the reads of the rating pages.

The draft for a node is computed in a bounded number of queries: one for the
members' places at the year's end, one grouped sum of the ledger, one for
the appraisal grades, a few for the groups' compliance and leaders; the
scoring of the tens of thousands of members runs over plain tuples, and the
rows are written in bulk. Pages then read the stored rows.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from activities.models import (
    Appraisal,
    AppraisalGrade,
    GroupRank,
    RankingScope,
    Rating,
    RatingPublication,
    RatingRule,
    stars_label,
)
from activities.points import Scheme, member_sums, scheme_for, score, year_start
from activities.selectors import obligations
from branches.audit import acting_as
from branches.labels import attach_labels
from branches.models import Organization, OrgKind, Post, PostTitle
from branches.paths import PATH_STEP, path_prefixes, subtree_q
from members.models import Membership

# Nodes a draft is computed for: a ranking within the township needs all its groups.
DRAFT_NODE_KINDS = (OrgKind.CITY, OrgKind.COUNTY, OrgKind.TOWNSHIP)
HUNDRED = Decimal(100)


def reference_date(year: int, today: datetime.date) -> datetime.date:
    """The day whose places count: the year's last day, or today for the year under way."""
    return min(datetime.date(year, 12, 31), today)


def _members_on(node: Organization, on: datetime.date):
    return Membership.objects.on(on).filter(subtree_q(node.path, prefix="branch__"))


# --- Group ranking ------------------------------------------------------------------


@dataclass
class RankedGroup:
    group: Organization
    scope_org_id: int
    member_count: int
    compliance: Decimal | None
    average_points: Decimal
    score: Decimal
    leader_id: int | None
    rank: int = 0
    group_count: int = 0
    is_last: bool = False


def _compliance(groups: list[Organization], year: int, today: datetime.date) -> dict:
    """Share of each group's meetings due in *year* (closed periods) that were held."""
    until = min(year_start(year + 1), today)
    done: Counter = Counter()
    due: Counter = Counter()
    for ob in obligations(orgs=groups, start=year_start(year), today=until):
        if ob.start.year != year or ob.status == "due":
            continue
        due[ob.org.pk] += 1
        done[ob.org.pk] += ob.status in ("done", "late")
    return {
        pk: (Decimal(done[pk]) / Decimal(n)).quantize(Decimal("0.0001")) for pk, n in due.items()
    }


def _township_of(path: str, townships: dict[str, int]) -> int | None:
    return next(
        (townships[p] for p in path_prefixes(path, include_self=True) if p in townships), None
    )


def rank_groups(
    *, node: Organization, year: int, today: datetime.date, rule: RatingRule, totals: dict
) -> list[RankedGroup]:
    """Rank the groups under *node* by compliance and their members' average points.

    *totals* maps each group id to its members' year totals. Groups without
    members are not ranked. Every group tied at the bottom of a ranking of
    at least ``rule.min_groups`` groups is last.
    """
    ref = reference_date(year, today)
    groups = [
        g
        for g in Organization.objects.filter(subtree_q(node.path), kind=OrgKind.GROUP)
        if totals.get(g.pk)
    ]
    compliance = _compliance(groups, year, today)
    leaders = dict(
        Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=ref),
            org_id__in=[g.pk for g in groups],
            title=PostTitle.GROUP_LEADER,
            started_on__lte=ref,
        ).values_list("org_id", "member_id")
    )
    townships = {}
    if rule.ranking_scope == RankingScope.TOWNSHIP:
        townships = dict(
            Organization.objects.filter(
                Q(subtree_q(node.path)) | Q(pk=node.pk), kind=OrgKind.TOWNSHIP
            ).values_list("path", "pk")
        )
    units: dict[int, list[RankedGroup]] = defaultdict(list)
    for group in groups:
        points = totals[group.pk]
        average = (sum(points) / len(points)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rate = compliance.get(group.pk)
        value = rule.weight_compliance * (HUNDRED if rate is None else rate * HUNDRED)
        value += rule.weight_points * average
        unit = group.parent_id
        if rule.ranking_scope == RankingScope.TOWNSHIP:
            unit = _township_of(group.path, townships) or group.parent_id
        ranked = RankedGroup(
            group=group,
            scope_org_id=unit,
            member_count=len(points),
            compliance=rate,
            average_points=average,
            score=value.quantize(Decimal("0.01"), ROUND_HALF_UP),
            leader_id=leaders.get(group.pk),
        )
        units[unit].append(ranked)
    result = []
    for members in units.values():
        members.sort(key=lambda r: (-r.score, r.group.path))
        lowest = members[-1].score
        applies = rule.last_rank_enabled and len(members) >= rule.min_groups
        for r in members:
            r.rank = 1 + sum(1 for other in members if other.score > r.score)
            r.group_count = len(members)
            r.is_last = applies and r.score == lowest
        result += members
    return result


# --- Draft --------------------------------------------------------------------------


@dataclass
class Draft:
    ratings: list[Rating]
    ranks: list[GroupRank]


def _rating_rows(*, places, scores, grades, last_groups, scheme: Scheme, year, now):
    rule = scheme.rating
    rows = []
    for member_id, branch_id, group_id in places:
        result = scores[member_id]
        points_stars = scheme.stars_for(result.total)
        stars, notes = points_stars, []
        grade = grades.get(member_id, "")
        if grade == AppraisalGrade.UNQUALIFIED and rule.unqualified_appraisal_caps and stars:
            stars = 0
            notes.append("民主评议不合格，评定为不合格")
        if group_id in last_groups and stars > rule.last_rank_cap_stars:
            stars = rule.last_rank_cap_stars
            notes.append(
                f"所在党小组排名末位，本年度最高评为{stars_label(rule.last_rank_cap_stars)}"
            )
        rows.append(
            Rating(
                year=year,
                member_id=member_id,
                org_id=group_id or branch_id,
                branch_id=branch_id,
                base=result.base,
                additions=result.additions,
                deductions=result.deductions,
                capped=result.capped,
                total=result.total,
                points_stars=points_stars,
                appraisal=grade,
                stars=stars,
                note="；".join(notes),
                computed_at=now,
            )
        )
    return rows


def check_draft_node(node: Organization) -> None:
    if node.kind not in DRAFT_NODE_KINDS:
        raise ValidationError("评星定级草稿按乡镇（街道）或全县计算，请选择乡镇党委或县委。")


@transaction.atomic
def rating_draft_compute(*, node: Organization, year: int, today=None) -> Draft:
    """Recompute the draft ratings and group ranking of *year* for everyone under *node*."""
    check_draft_node(node)
    today = today or timezone.localdate()
    if year > today.year:
        raise ValidationError(f"{year}年度尚未开始。")
    scheme = scheme_for(year)
    if scheme.rating is None or not scheme.bands:
        raise ValidationError(f"{year}年1月1日没有有效的评星定级规则或星级分档，请先在后台设置。")
    members = _members_on(node, reference_date(year, today))
    places = list(members.values_list("member_id", "branch_id", "group_id"))
    member_ids = members.values("member_id")
    sums = member_sums(member_ids=member_ids, year=year)
    grades = dict(
        Appraisal.objects.filter(year=year, member_id__in=member_ids).values_list(
            "member_id", "grade"
        )
    )
    scores = {m: score(sums.get(m, {}), scheme) for m, _branch_id, _group_id in places}
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for member_id, _branch_id, group_id in places:
        if group_id:
            totals[group_id].append(scores[member_id].total)
    ranked = rank_groups(node=node, year=year, today=today, rule=scheme.rating, totals=totals)
    now = timezone.now()
    ratings = _rating_rows(
        places=places,
        scores=scores,
        grades=grades,
        last_groups={r.group.pk for r in ranked if r.is_last},
        scheme=scheme,
        year=year,
        now=now,
    )
    ranks = [
        GroupRank(
            year=year,
            group=r.group,
            scope_org_id=r.scope_org_id,
            member_count=r.member_count,
            compliance=r.compliance,
            average_points=r.average_points,
            score=r.score,
            rank=r.rank,
            group_count=r.group_count,
            is_last=r.is_last,
            leader_id=r.leader_id,
            computed_at=now,
        )
        for r in ranked
    ]
    drafts = Rating.objects.filter(year=year, publication__isnull=True)
    drafts.filter(Q(subtree_q(node.path, prefix="org__")) | Q(member_id__in=member_ids)).delete()
    GroupRank.objects.filter(
        subtree_q(node.path, prefix="group__"), year=year, publication__isnull=True
    ).delete()
    Rating.objects.bulk_create(ratings, batch_size=2000)
    GroupRank.objects.bulk_create(ranks, batch_size=2000)
    return Draft(ratings, ranks)


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


@transaction.atomic
def rating_publish(*, node: Organization, year: int, by, today=None) -> RatingPublication:
    """Publish *year* for *node*: recompute the draft and freeze a copy of it.

    A node is published once; a publication above or below it in the tree
    blocks it too, so no member is published twice.
    """
    if not by.has_perm("activities.publish_rating"):
        raise PermissionDenied("没有发布评星定级的权限。")
    today = today or timezone.localdate()
    if year >= today.year:
        raise ValidationError(f"{year}年度尚未结束，年度评星定级在次年发布。")
    overlapping = RatingPublication.objects.filter(year=year).filter(
        Q(subtree_q(node.path, prefix="org__"))
        | Q(pk=getattr(publication_covering(node=node, year=year), "pk", None))
    )
    first = overlapping.select_related("org").first()
    if first is not None:
        raise ValidationError(
            f"{year}年度评星定级已于 {timezone.localtime(first.published_at):%Y-%m-%d} "
            f"按「{first.org.name}」发布，发布后不能重复发布。"
        )
    draft = rating_draft_compute(node=node, year=year, today=today)
    with acting_as(by, f"发布{year}年度评星定级"):
        publication = RatingPublication.objects.create(
            year=year,
            org=node,
            published_by=by,
            published_at=timezone.now(),
            member_count=len(draft.ratings),
        )
    for row in draft.ratings + draft.ranks:
        row.pk, row.publication = None, publication
    Rating.objects.bulk_create(draft.ratings, batch_size=2000)
    GroupRank.objects.bulk_create(draft.ranks, batch_size=2000)
    return publication


# --- Reads --------------------------------------------------------------------------


def ratings_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return Rating.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year, publication=publication
    )


def ranks_of(*, node: Organization, year: int, publication: RatingPublication | None):
    return GroupRank.objects.filter(
        subtree_q(node.path, prefix="group__"), year=year, publication=publication
    )


FLAGGED_SHOWN = 200


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
