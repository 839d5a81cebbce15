"""Computing the year's star ratings (评星定级) and the party-group ranking (publishing,
withdrawing and deciding ties: ``activities.ratings.publishing``).

The draft for a node is computed in a bounded number of queries: one for the
members' places at the year's end, one grouped sum of the ledger, one for
the appraisal grades, a few for the groups' compliance and leaders; the
scoring of the tens of thousands of members runs over plain tuples, and the
rows are written in bulk. Pages then read the stored rows."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from activities.models import (
    Appraisal,
    AppraisalGrade,
    GroupRank,
    LastRankDecision,
    RankingScope,
    Rating,
    RatingRule,
    RatingTally,
    stars_label,
)
from activities.points.dues import dues_points_refresh
from activities.points.ledgers import study_points_refresh
from activities.points.scheme import Scheme, scheme_for, score, year_start
from activities.points.selectors import member_sums
from activities.ratings.selectors import is_draft_node
from activities.selectors import obligations
from branches.models import Organization, OrgKind, Post, PostTitle, county_unit_q
from branches.paths import path_prefixes, subtree_q
from members.models import Membership

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
    tied: bool = False
    decision_id: int | None = None


def _compliance(groups: list[Organization], year: int, today: datetime.date) -> dict:
    """Share of each group's meetings due in *year* (closed periods) that were held."""
    until = min(year_start(year + 1), today)
    done: Counter = Counter()
    due: Counter = Counter()
    for ob in obligations(orgs=groups, start=year_start(year), today=until):
        # Periods still under way do not count, met or not (activities.cadence).
        if ob.start.year != year or not ob.closed:
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
    members are not ranked. In a ranking of at least ``rule.min_groups``
    groups the one group at the bottom is last; groups tied at the bottom
    are last only as a recorded decision says (``_mark_last``).
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
                Q(subtree_q(node.path)) | Q(pk=node.pk), county_unit_q()
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
    decisions = _decisions(node=node, year=year)
    result = []
    for unit, members in units.items():
        members.sort(key=lambda r: (-r.score, r.group.path))
        for r in members:
            r.rank = 1 + sum(1 for other in members if other.score > r.score)
            r.group_count = len(members)
        if rule.last_rank_enabled and len(members) >= rule.min_groups:
            _mark_last(unit, members, decisions)
        result += members
    return result


def _decisions(*, node: Organization, year: int) -> dict:
    """The latest decision for each tie of *year* ranked at or under *node*: one query."""
    rows = LastRankDecision.objects.filter(
        subtree_q(node.path, prefix="scope_org__"), year=year
    ).order_by("decided_at", "pk")
    return {(d.scope_org_id, tuple(d.tied_group_ids)): d for d in rows}


def _mark_last(unit: int, members: list[RankedGroup], decisions: dict) -> None:
    """One group alone at the bottom is last; a tie waits for a person's decision.

    Marking every tied group last would remove leaders of groups that did
    as well as the others (a branch whose groups all score the same), so
    the rule names none and the decision for exactly these tied groups, if
    one was made, says which are last.
    """
    lowest = members[-1].score
    bottom = [r for r in members if r.score == lowest]
    if len(bottom) == 1:
        bottom[0].is_last = True
        return
    decision = decisions.get((unit, tuple(sorted(r.group.pk for r in bottom))))
    for r in bottom:
        r.tied = True
        if decision is not None:
            r.decision_id = decision.pk
            r.is_last = r.group.pk in decision.last_group_ids


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
    if not is_draft_node(node):
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
    member_ids = members.values("member_id")
    # The 欠缴党费 deductions as the dues ledger stands now (activities.points.dues).
    dues_points_refresh(year=year, member_ids=member_ids, today=today)
    # And 学习达标 as the 书记 posts stand now: a post begun or ended since a member's last
    # session changes their target (56 or 32 学时), which no session write has applied yet.
    study_points_refresh(year=year, member_ids=member_ids, today=today)
    places = list(members.values_list("member_id", "branch_id", "group_id"))
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
            tied=r.tied,
            decision_id=r.decision_id,
            leader_id=r.leader_id,
            computed_at=now,
        )
        for r in ranked
    ]
    drafts = Rating.objects.filter(year=year, publication__isnull=True)
    under = Q(subtree_q(node.path, prefix="org__"))
    replaced = drafts.filter(under | Q(member_id__in=member_ids))
    # Members who moved in leave a draft row at an organisation outside the node: its
    # tallies are counted again too.
    elsewhere = set(replaced.exclude(under).values_list("org_id", flat=True).distinct())
    replaced.delete()
    GroupRank.objects.filter(
        subtree_q(node.path, prefix="group__"), year=year, publication__isnull=True
    ).delete()
    Rating.objects.bulk_create(ratings, batch_size=2000)
    GroupRank.objects.bulk_create(ranks, batch_size=2000)
    rating_tally_refresh(year=year, publication=None, where=under | Q(org_id__in=elsewhere))
    return Draft(ratings, ranks)


def rating_tally_refresh(*, year: int, publication, where: Q) -> int:
    """Count again the tallies (``RatingTally``) of *year*'s ratings of *publication*
    (``None``: the draft) at the organisations *where* (a Q on ``org``) selects."""
    RatingTally.objects.filter(where, year=year, publication=publication).delete()
    rows = (
        Rating.objects.filter(where, year=year, publication=publication)
        .values("org_id", "stars")
        .annotate(count=Count("pk"), points=Sum("total"), computed_at=Max("computed_at"))
        .order_by()
    )
    tallies = [RatingTally(year=year, publication=publication, **row) for row in rows]
    RatingTally.objects.bulk_create(tallies, batch_size=2000)
    return len(tallies)
