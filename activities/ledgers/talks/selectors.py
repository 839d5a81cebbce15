"""Reads of the 谈心谈话 ledger: a branch's talk cycle, the pairs required to talk in it
and which of them are met, the scoped list of a year's talks, and the yearly summary
of a node by child.

**The cycle.** Talks count "between the previous 组织生活会 and the next": a branch's
cycle runs from the day after its last 组织生活会 held before today (or 1 January,
when none was held this year) to today (``cycle_start``).

**The required pairs** of a branch are derived from what is already recorded, with
no entry of their own (``required_pairs``):

- the secretary (书记) with each committee member: the branch's posts titled in
  ``activities.cadence.COMMITTEE_TITLES`` held today;
- the committee members with each other;
- each committee member with the members they are responsible for: a committee
  member who belongs to a 党小组 of the branch is responsible for that group's
  other members; members in no group, in a group without a committee member, or
  in a branch without groups, are the secretary's.

The members counted are the branch's members on the roster today who can be
talked with (``activities.selectors.expected_q``: not 停止党籍, not 失联); a post
holder off that list is no part of the committee here. A pair is met when a talk
of the branch between the two, in either direction, is dated in the cycle.
``branch_talks`` reads all of it for any number of branches in four queries.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet

from activities.cadence import COMMITTEE_TITLES
from activities.ledgers.selectors import (
    LedgerSummary,
    rolled_up,
    summed_by_child,
    tally_by_child,
)
from activities.models import Activity, ActivityKind, LedgerMemberTally, Talk, TallyLedger
from activities.points.scheme import year_start
from activities.selectors import expected_q
from branches.models import Organization, OrgKind, Post, PostTitle, open_posts_q
from branches.paths import PATH_STEP, subtree_q
from members.models import Member

Pair = tuple[int, int]
# The committee in the order its pairs are listed: the secretary first.
TITLE_ORDER = {title: i for i, title in enumerate(COMMITTEE_TITLES)}
# Where the summary counts the required pairs: a township's branches or fewer. A county's
# would read every member of the county into Python; its rows give talks and members.
PAIR_LEVELS = frozenset(OrgKind) - {OrgKind.CITY, OrgKind.COUNTY}


def cycle_start(*, last_life_meeting: datetime.date | None, today: datetime.date):
    """The first day of a branch's 谈心谈话 cycle, which runs to *today*: the day after
    its last 组织生活会 held before today, or 1 January of this year when none was held
    this year. A meeting held today closes its cycle at the day's end: talks of its
    day still count toward it."""
    first = datetime.date(today.year, 1, 1)
    if last_life_meeting is None:
        return first
    return max(last_life_meeting + datetime.timedelta(days=1), first)


def pair_key(a: int, b: int) -> Pair:
    """A pair whichever of the two is named first."""
    return (a, b) if a < b else (b, a)


def required_pairs(
    *, secretary: int | None, committee: Iterable[int], groups: dict[int, int | None]
) -> dict[Pair, Pair]:
    """The pairs that must talk in a branch's cycle (the module's rules), each as
    ``pair_key → (responsible member, the other)``.

    *groups* maps every member counted to their 党小组 (None outside any group);
    *committee* lists the committee members, the secretary first.
    """
    committee = [m for m in dict.fromkeys(committee) if m in groups]
    if secretary not in groups:
        secretary = None
    pairs: dict[Pair, Pair] = {}

    def need(a: int, b: int) -> None:
        if a != b:
            pairs.setdefault(pair_key(a, b), (a, b))

    for a in committee if secretary is not None else ():
        need(secretary, a)
    for i, a in enumerate(committee):
        for b in committee[i + 1 :]:
            need(a, b)
    heads: dict[int, list[int]] = {}
    for c in committee:
        if groups[c] is not None:
            heads.setdefault(groups[c], []).append(c)
    on_committee = set(committee)
    for member, group in groups.items():
        if member in on_committee:
            continue
        responsible = heads.get(group) if group is not None else None
        for c in responsible or ([secretary] if secretary is not None else []):
            need(c, member)
    return pairs


@dataclass
class BranchTalks:
    """A branch's cycle: its dates, the required pairs, those met, the members' names."""

    branch_id: int
    start: datetime.date
    end: datetime.date
    secretary: int | None = None
    names: dict[int, str] = field(default_factory=dict)
    required: dict[Pair, Pair] = field(default_factory=dict)
    met: set[Pair] = field(default_factory=set)

    @property
    def met_count(self) -> int:
        return len(self.met & self.required.keys())

    @property
    def missing(self) -> list[tuple[int, str, int, str]]:
        """The pairs not met yet, as (responsible, name, other, name), by name."""
        rows = [
            (a, self.names[a], b, self.names[b])
            for key, (a, b) in self.required.items()
            if key not in self.met
        ]
        return sorted(rows, key=lambda r: (r[0] != self.secretary, r[1], r[3], r[0], r[2]))


def branch_talks(*, branch_ids: list[int], today: datetime.date) -> dict[int, BranchTalks]:
    """The cycle of each branch in *branch_ids* as of *today*: four queries (the last
    组织生活会, the roster, the committee, the talks) whatever the number of branches."""
    first = datetime.date(today.year, 1, 1)
    last = dict(
        Activity.objects.filter(
            org_id__in=branch_ids,
            kind=ActivityKind.LIFE_MEETING,
            held_on__gte=first - datetime.timedelta(days=1),
            held_on__lt=today,
        )
        .values("org_id")
        .annotate(last=Max("held_on"))
        .order_by()
        .values_list("org_id", "last")
    )
    cycles = {
        pk: BranchTalks(
            branch_id=pk, start=cycle_start(last_life_meeting=last.get(pk), today=today), end=today
        )
        for pk in branch_ids
    }
    groups: dict[int, dict[int, int | None]] = {pk: {} for pk in branch_ids}
    roster = (
        Member.objects.active()
        .filter(expected_q(today), branch_id__in=branch_ids)
        .order_by()
        .values_list("pk", "branch_id", "group_id", "name")
    )
    for pk, branch_id, group_id, name in roster:
        groups[branch_id][pk] = group_id
        cycles[branch_id].names[pk] = name
    committees: dict[int, list[tuple]] = {}
    posts = (
        Post.objects.filter(open_posts_q(today), org_id__in=branch_ids, title__in=COMMITTEE_TITLES)
        .order_by()
        .values_list("org_id", "member_id", "title", "started_on")
    )
    for org_id, member_id, title, started_on in posts:
        committees.setdefault(org_id, []).append(
            (TITLE_ORDER[title], -started_on.toordinal(), member_id)
        )
    for pk, cycle in cycles.items():
        committee = [m for _o, _s, m in sorted(committees.get(pk, []))]
        secretaries = [
            m
            for o, _s, m in sorted(committees.get(pk, []))
            if o == TITLE_ORDER[PostTitle.SECRETARY]
        ]
        cycle.secretary = secretaries[0] if secretaries else None
        cycle.required = required_pairs(
            secretary=cycle.secretary, committee=committee, groups=groups[pk]
        )
    talks = (
        Talk.objects.filter(org_id__in=branch_ids, talked_on__gte=first, talked_on__lte=today)
        .order_by()
        .values_list("org_id", "initiator_id", "partner_id", "talked_on")
    )
    for org_id, a, b, talked_on in talks:
        cycle = cycles[org_id]
        if talked_on >= cycle.start:
            cycle.met.add(pair_key(a, b))
    return cycles


def cycle_talks(*, branch: Organization, cycle: BranchTalks) -> QuerySet[Talk]:
    """The branch's talks in its cycle, newest first, with the two members and the clerk."""
    return (
        Talk.objects.filter(org=branch, talked_on__gte=cycle.start, talked_on__lte=cycle.end)
        .select_related("initiator", "partner", "recorded_by")
        .order_by("-talked_on", "-pk")
    )


# --- The list ----------------------------------------------------------------------------


def _in_year(year: int, prefix: str = "") -> Q:
    return Q(**{f"{prefix}talked_on__gte": year_start(year)}) & Q(
        **{f"{prefix}talked_on__lt": year_start(year + 1)}
    )


def talk_rows(*, user, year: int, node: Organization | None) -> QuerySet[Talk]:
    """The year's talks in the user's scope (under *node*, if given), by branch and day."""
    rows = Talk.objects.visible_to(user).filter(_in_year(year))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    return rows.select_related("org", "initiator", "partner", "recorded_by").order_by(
        "org__path", "talked_on", "pk"
    )


# --- The yearly summary by child -------------------------------------------------------

TALK_KEYS = ("talks", "branches", "members", "talked")
PAIR_KEYS = ("required", "missing", "due", "complete")


def talk_summary(*, node: Organization, year: int, today: datetime.date) -> LedgerSummary:
    """谈心谈话 of *node*'s year by child: talks logged, branches with talks, members on
    the roster and those of them in at least one talk of the year: three queries (talks,
    members, children).

    For this year and a node no higher than a township (``PAIR_LEVELS``), each row
    also gives the current cycles' required pairs, those missing, the branches owing
    pairs and those with every pair met: five queries more (the branches, then
    ``branch_talks``), whatever the number of branches.
    """
    talks = tally_by_child(
        ledger=TallyLedger.TALKS, year=year, node=node, metrics=["talks", "branches"]
    )
    # Who spoke in a talk of the year, kept per member (``LedgerMemberTally``): one
    # semi-join over a row per member instead of two EXISTS over the talks per member.
    spoke = LedgerMemberTally.objects.filter(ledger=TallyLedger.TALKS, year=year).values(
        "member_id"
    )
    members = summed_by_child(
        Member.objects.active(),
        node=node,
        path="branch__path",
        members=Count("pk"),
        talked=Count("pk", filter=Q(pk__in=spoke)),
    )
    sums: dict[str, dict] = {}
    for part in (talks, members, _pair_sums(node, year, today)):
        for path, values in part.items():
            sums.setdefault(path, {}).update(values)
    keys = TALK_KEYS + (PAIR_KEYS if pairs_counted(node, year, today) else ())
    return rolled_up(node, year, sums, keys)


def pairs_counted(node: Organization, year: int, today: datetime.date) -> bool:
    return year == today.year and node.kind in PAIR_LEVELS


def _pair_sums(node: Organization, year: int, today: datetime.date) -> dict[str, dict]:
    if not pairs_counted(node, year, today):
        return {}
    branches = dict(
        Organization.objects.filter(
            subtree_q(node.path), kind=OrgKind.BRANCH, dissolved_on__isnull=True
        ).values_list("pk", "path")
    )
    width = len(node.path) + PATH_STEP
    sums: dict[str, dict] = {}
    for pk, cycle in branch_talks(branch_ids=list(branches), today=today).items():
        row = sums.setdefault(branches[pk][:width], dict.fromkeys(PAIR_KEYS, 0))
        required, met = len(cycle.required), cycle.met_count
        row["required"] += required
        row["missing"] += required - met
        row["due"] += bool(required)
        row["complete"] += bool(required) and met == required
    return sums
