"""The sizing rules of party organisations (组织设置), checked as warnings.

From the 中国共产党支部工作条例（试行） and the 党章, as the county applies them:

- a branch has at least 3 full members (fewer: join a 联合党支部);
- a branch of more than 50 members should be split, or become a 党总支 (51–99)
  or a 基层党委 (100 or more); a 党总支 of 100 or more, a 基层党委;
- a branch of 7 or more full members elects a committee (支委会) of 3 to 5;
  with fewer it has a secretary, and a deputy where needed, but no committee;
- a joint branch (联合党支部) covers at most 5 units (``units_covered``).

They are warnings, not refusals: a branch may be briefly out of line while
members move, and the county decides. One function, ``sizing_breaches``,
answers for any set of organisations (a user's part of the tree, a node's
subtree) in three queries, however many branches it holds.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from branches.labels import attach_labels
from branches.models import Organization, OrgKind, Post, PostTitle
from branches.paths import path_prefixes

MIN_FULL_MEMBERS = 3
MAX_BRANCH_MEMBERS = 50
GENERAL_BRANCH_UP_TO = 99  # 51–99: a 党总支; 100 and more: a 基层党委
COMMITTEE_FROM_FULL = 7
COMMITTEE_SIZE = (3, 5)
MAX_JOINT_UNITS = 5
# A page lists this many: a list people work through, not a report.
BREACHES_SHOWN = 100

COMMITTEE_TITLES = (
    PostTitle.SECRETARY,
    PostTitle.DEPUTY_SECRETARY,
    PostTitle.ORGANIZATION,
    PostTitle.PUBLICITY,
    PostTitle.DISCIPLINE,
)
# The roster's values ("active", "suspended", "full" in _member_counts) are spelled
# there because branches sits below members and may not import it (members.choices
# RosterStatus.ACTIVE, PartyStatus.SUSPENDED, MemberCategory.FULL). A suspended
# member (停止党籍) is not counted as a member.


@dataclass(frozen=True)
class Breach:
    """One organisation out of line with one rule: the rule's name and what was found."""

    org: Organization
    rule: str
    message: str


def sizing_breaches(
    *,
    orgs: QuerySet,
    on: datetime.date | None = None,
    counts: dict[int, tuple[int, int]] | None = None,
) -> list[Breach]:
    """The live branches and general branches of *orgs* that break a sizing rule, in tree
    order (an organisation breaking two rules is listed twice), labelled.

    Three queries: member counts per branch, committee posts per branch, labels.
    A caller that keeps the counts already (the county overview: ``reports.figures``)
    passes them as *counts*, branch id → (members, full members), and the first
    query reads the branches alone instead of counting a county's members.
    """
    on = on or datetime.date.today()
    nodes = orgs.filter(
        kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH), dissolved_on__isnull=True
    )
    branches = nodes.filter(kind=OrgKind.BRANCH)
    if counts is None:
        counts = _member_counts(branches)
    # Plain rows, not model instances: a county checks some 1,700 branches and breaks
    # few rules; only the organisations named in a breach are loaded as models.
    rows = [
        _Node(pk, kind, path, units_covered, *counts.get(pk, (0, 0)))
        for pk, kind, path, units_covered in nodes.order_by("path").values_list(
            "pk", "kind", "path", "units_covered"
        )
    ]
    posts = _committee_posts(branches, on)
    # A general branch's members are those of its branches: rolled up by path.
    rolled: Counter[str] = Counter()
    for node in rows:
        if node.kind == OrgKind.BRANCH:
            for prefix in path_prefixes(node.path):
                rolled[prefix] += node.members
    found: list[tuple[_Node, str, str]] = []
    for node in rows:
        if node.kind == OrgKind.GENERAL_BRANCH:
            found += _general_branch_breaches(node, rolled[node.path])
        else:
            found += _branch_breaches(node, posts.get(node.pk, {}))
    named = Organization.objects.in_bulk({node.pk for node, _rule, _message in found})
    attach_labels(named.values())
    return [Breach(named[node.pk], rule, message) for node, rule, message in found]


@dataclass(frozen=True)
class _Node:
    """A branch or general branch as the rules read it."""

    pk: int
    kind: str
    path: str
    units_covered: int | None
    members: int
    full: int


def _member_counts(branches: QuerySet) -> dict[int, tuple[int, int]]:
    """Branch id → (members, full members), grouped on the members table alone: joining
    every branch row to its members and grouping by the branch's columns took twice as
    long at city scale."""
    member = Organization._meta.get_field("branch_members").related_model
    rows = (
        member.objects.filter(roster_status="active", branch__in=branches.values("pk"))
        .exclude(party_status="suspended")
        .values("branch_id")
        .annotate(members=Count("pk"), full=Count("pk", filter=Q(category="full")))
        .order_by()
        .values_list("branch_id", "members", "full")
    )
    return {pk: (members, full) for pk, members, full in rows}


def _committee_posts(branches: QuerySet, on: datetime.date) -> dict[int, dict]:
    """Per branch: how many members sit on its committee on *on*, and with which titles."""
    rows = (
        Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            org__in=branches.values("pk"),  # a subquery: no list of a county's branch ids
            title__in=COMMITTEE_TITLES,
            started_on__lte=on,
        )
        .order_by()  # the posts' default order joins the tree for nothing
        .values("org_id")
        .annotate(
            seats=Count("member", distinct=True),
            secretaries=Count("pk", filter=Q(title=PostTitle.SECRETARY)),
            members_only=Count(
                "pk",
                filter=Q(
                    title__in=(PostTitle.ORGANIZATION, PostTitle.PUBLICITY, PostTitle.DISCIPLINE)
                ),
            ),
        )
    )
    return {row.pop("org_id"): row for row in rows}


def _general_branch_breaches(node: _Node, members: int) -> list[tuple]:
    if members > GENERAL_BRANCH_UP_TO:
        return [(node, "party_committee", f"党员{members}名，100名以上的一般应成立基层党委。")]
    return []


def _branch_breaches(node: _Node, posts: dict) -> list[tuple]:
    found = []
    members, full = node.members, node.full
    if full < MIN_FULL_MEMBERS:
        found.append(
            (
                node,
                "min_full",
                f"正式党员{full}名，党支部应有正式党员3名以上；不足的可与邻近单位成立联合党支部。",
            )
        )
    if members > GENERAL_BRANCH_UP_TO:
        found.append(
            (node, "split", f"党员{members}名，超过50名应分设；100名以上的一般成立基层党委。")
        )
    elif members > MAX_BRANCH_MEMBERS:
        found.append(
            (node, "split", f"党员{members}名，超过50名应分设党支部，或经批准成立党总支。")
        )
    seats = posts.get("seats", 0)
    low, high = COMMITTEE_SIZE
    if full >= COMMITTEE_FROM_FULL and not low <= seats <= high:
        found.append(
            (
                node,
                "committee",
                f"正式党员{full}名（7名以上），应设支部委员会，委员3至5名；现登记委员{seats}名。",
            )
        )
    elif full < COMMITTEE_FROM_FULL and (posts.get("members_only") or not posts.get("secretaries")):
        found.append(
            (
                node,
                "committee",
                f"正式党员{full}名（不足7名），不设支部委员会，设书记1名，必要时设副书记1名；"
                f"现登记书记{posts.get('secretaries', 0)}名、其他委员{posts.get('members_only', 0)}名。",
            )
        )
    if node.units_covered is not None and node.units_covered > MAX_JOINT_UNITS:
        found.append(
            (
                node,
                "joint_units",
                f"联合党支部覆盖{node.units_covered}个单位，一般不超过5个。",
            )
        )
    return found
