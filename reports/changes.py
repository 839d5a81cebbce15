"""党员增减: the yearly table of members gained and lost, derived from the dated records.

For a node and a year, per child and in total: the members at the start of
the year (the end of the one before), each way members came (发展, 转入 from
inside the county and from outside, 恢复党籍) and went (转出 inside and out
of the county, 去世, the four ways of leaving, 停止党籍), and the members at
the end (or today, for the year under way). The counts at both ends are the
kept member figures of those days (``reports.figures``: suspended members
are in no count); the flows are the membership rows and spells that start
or end within the year. A move between two organisations of the same row is
no flow of that row. The arithmetic must close; where it does not, the
members whose records break it are listed.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, Subquery

from branches.models import Organization, OrgKind
from branches.paths import PATH_STEP, subtree_q
from members.choices import MembershipReason as Reason
from members.models import Member, Membership, Spell
from reports.figures import figure_by_org

INFLOWS = [
    ("developed", "发展党员"),
    ("in_county", "县内转入"),
    ("in_outside", "从县外转入"),
    ("restored", "恢复党籍"),
    ("registered", "花名册补录"),
]
OUTFLOWS = [
    ("out_county", "县内转出"),
    ("out_outside", "转出县外"),
    ("deceased", "去世"),
    ("lapsed", "自行脱党除名"),
    ("resigned", "退党除名"),
    ("refused_to_resign", "劝而不退除名"),
    ("expelled", "开除党籍"),
    ("cancelled", "取消预备党员资格"),
    ("suspended", "停止党籍"),
]
START_FLOW = {
    Reason.JOINED: "developed",
    Reason.ADMITTED: "developed",
    Reason.ROSTER: "registered",
    Reason.TRANSFER_IN: "in_outside",
    Reason.TRANSFER: "in_county",
    Reason.REGROUP: "in_county",
    Reason.CORRECTION: "registered",
}
END_FLOW = {
    Reason.TRANSFER: "out_county",
    Reason.REGROUP: "out_county",
    Reason.TRANSFER_OUT: "out_outside",
    Reason.DECEASED: "deceased",
    Reason.LAPSED: "lapsed",
    Reason.RESIGNED: "resigned",
    Reason.REFUSED_TO_RESIGN: "refused_to_resign",
    Reason.EXPELLED: "expelled",
    Reason.CANCELLED: "cancelled",
    Reason.CORRECTION: "out_county",
}
# Moves between two places: no flow when both are in the same row.
MOVES = {Reason.TRANSFER, Reason.REGROUP, Reason.CORRECTION}


@dataclass
class ChangeRow:
    org: Organization
    label: str = ""
    start: int = 0
    end: int = 0
    flows: Counter = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.label or self.org.name

    @property
    def inflow_counts(self) -> list[int]:
        return [self.flows[key] for key, _label in INFLOWS]

    @property
    def outflow_counts(self) -> list[int]:
        return [self.flows[key] for key, _label in OUTFLOWS]

    @property
    def gained(self) -> int:
        return sum(self.flows[key] for key, _label in INFLOWS)

    @property
    def lost(self) -> int:
        return sum(self.flows[key] for key, _label in OUTFLOWS)

    @property
    def closes(self) -> bool:
        return self.start + self.gained - self.lost == self.end


@dataclass
class Changes:
    node: Organization
    year: int
    start_day: datetime.date  # the counts at the start are those of this day's end
    end_day: datetime.date
    rows: list[ChangeRow]
    total: ChangeRow
    breaking: list[Member]  # members whose records do not add up, when the total does not


def _totals(node: Organization, day: datetime.date) -> dict[str, int]:
    """Members on *day* by the path of the organisation they belong to (the kept figures)."""
    from reports.selectors import member_figures  # reports.selectors uses this module

    return figure_by_org(node=node, on=day, figures=member_figures(day), key="total")


def _place_on(day: str):
    """The path of the member's branch on the outer row's field *day* (a subquery)."""
    rows = Membership.objects.filter(member_id=OuterRef("member_id"), started_on__lte=OuterRef(day))
    rows = rows.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef(day)))
    return Subquery(rows.order_by("-started_on").values("branch__path")[:1])


def _suspended(*, on: str = "", before: str = "") -> Exists:
    """Whether the member was suspended on the outer row's field *on*, or on the day
    before its field *before* (a suspension a leaving ends ends that same day)."""
    spells = Spell.objects.filter(member_id=OuterRef("member_id"), kind=Spell.Kind.SUSPENDED)
    if on:
        spells = spells.filter(started_on__lte=OuterRef(on)).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef(on))
        )
    else:
        spells = spells.filter(started_on__lt=OuterRef(before)).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef(before))
        )
    return Exists(spells)


def member_changes(
    *, node: Organization, year: int, today: datetime.date, counts: bool = True
) -> Changes:
    """The 党员增减 of *node*'s children in *year*. Seven queries while the kept figures
    of both days are current (children, the two days' figures, membership rows
    starting and ending, suspensions begun and ended); without *counts*, the
    flows alone (the 数据摘要's sentence), without the two days' figures."""
    start_day = datetime.date(year - 1, 12, 31)
    end_day = min(today, datetime.date(year, 12, 31))
    width = len(node.path) + PATH_STEP
    # Members belong to branches: a branch's (or group's) table is its total alone.
    children = list(
        Organization.objects.filter(parent=node)
        .exclude(kind=OrgKind.GROUP)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=start_day))
        .order_by("path")
    )
    rows = {c.path: ChangeRow(org=c) for c in children}
    total = ChangeRow(org=node, label="合计")
    own = ChangeRow(org=node, label=f"{node.name}（本级）")

    def row_of(path: str | None) -> ChangeRow | None:
        if path is None or not path.startswith(node.path):
            return None
        return rows.get(path[:width], own) if len(path) > len(node.path) else own

    for day, attribute in ((start_day, "start"), (end_day, "end")) if counts else ():
        for path, count in _totals(node, day).items():
            for row in {id(r): r for r in (row_of(path), total) if r}.values():
                setattr(row, attribute, getattr(row, attribute) + count)

    # Each member's net flow in the total: where the total does not close, it says whose
    # records break it.
    net: Counter = Counter()
    inflows = dict(INFLOWS)

    def count(target: ChangeRow | None, member_id: int, flow: str) -> None:
        if target is not None:
            target.flows[flow] += 1
        if target is total:
            net[member_id] += 1 if flow in inflows else -1

    for member_id, reason, here, there in _flows(node, start_day, end_day):
        net[member_id] += 0  # touched, even when only a move inside the node
        row, other = row_of(here), row_of(there)
        for target, inside in ((row, other is row), (total, other is not None)):
            if target is not None and not (reason[1] in MOVES and inside):
                count(target, member_id, reason[0])
    for member_id, flow, here in _spell_flows(node, start_day, end_day):
        count(row_of(here), member_id, flow)
        count(total, member_id, flow)

    listed = [rows[c.path] for c in children]
    if children and (own.start or own.end or own.flows):  # a branch's own: the total
        listed.append(own)
    breaking = [] if total.closes or not counts else _breaking(node, start_day, end_day, net)
    return Changes(node, year, start_day, end_day, listed, total, breaking)


def _flows(node, start_day, end_day):
    """(member, (flow, reason), the row's path, the other place's path) for each membership
    row of the subtree starting or ending in the year, while the member was not suspended."""
    rows = Membership.objects.filter(subtree_q(node.path, prefix="branch__"))
    starting = (
        rows.filter(started_on__gt=start_day, started_on__lte=end_day)
        .exclude(_suspended(on="started_on"))
        .annotate(
            there=Subquery(
                Membership.objects.filter(
                    member_id=OuterRef("member_id"), ended_on=OuterRef("started_on")
                )
                .exclude(pk=OuterRef("pk"))
                .values("branch__path")[:1]
            )
        )
        .values_list("member_id", "start_reason", "branch__path", "there")
    )
    for member_id, reason, here, there in starting:
        yield member_id, (START_FLOW.get(reason, "registered"), reason), here, there
    ending = (
        rows.filter(ended_on__gt=start_day, ended_on__lte=end_day)
        .exclude(_suspended(before="ended_on"))
        .annotate(
            there=Subquery(
                Membership.objects.filter(
                    member_id=OuterRef("member_id"), started_on=OuterRef("ended_on")
                )
                .exclude(pk=OuterRef("pk"))
                .values("branch__path")[:1]
            )
        )
        .values_list("member_id", "end_reason", "branch__path", "there")
    )
    for member_id, reason, here, there in ending:
        yield member_id, (END_FLOW.get(reason, "out_county"), reason), here, there


def _spell_flows(node, start_day, end_day):
    """(member, flow, the branch's path) for each suspension decided in the year (停止党籍)
    and each ended by 恢复党籍, where the member then belonged to the subtree."""
    spells = Spell.objects.filter(kind=Spell.Kind.SUSPENDED)
    begun = (
        spells.filter(started_on__gt=start_day, started_on__lte=end_day)
        .annotate(here=_place_on("started_on"))
        .values_list("member_id", "here")
    )
    for member_id, here in begun:
        if here is not None and here.startswith(node.path):
            yield member_id, "suspended", here
    restored = (
        spells.filter(ended_on__gt=start_day, ended_on__lte=end_day, end_note="恢复党籍")
        .annotate(here=_place_on("ended_on"))
        .values_list("member_id", "here")
    )
    for member_id, here in restored:
        if here is not None and here.startswith(node.path):
            yield member_id, "restored", here


def _breaking(node, start_day, end_day, net: Counter) -> list[Member]:
    """Members whose presence at the end differs from the start plus their *net* flow.

    Only when the total does not close: the members with flows, and the members
    counted at one end but with no flow (a record changed by hand).
    """

    def present(day):
        suspended = Spell.objects.on(day).filter(
            member_id=OuterRef("member_id"), kind=Spell.Kind.SUSPENDED
        )
        rows = Membership.objects.on(day).filter(subtree_q(node.path, prefix="branch__"))
        return set(rows.exclude(Exists(suspended)).values_list("member_id", flat=True))

    before, after = present(start_day), present(end_day)
    odd = (before ^ after) - net.keys()
    odd |= {m for m, n in net.items() if (m in before) + n != (m in after)}
    return list(Member.objects.filter(pk__in=sorted(odd)[:100]).order_by("name"))


def changes_sentence(data: Changes) -> str:
    """The year's flows in the words of a work report (the 数据摘要's last sentence)."""
    f = data.total.flows
    whole_year = data.end_day == datetime.date(data.year, 12, 31)
    opening = f"{data.year}年全年" if whole_year else f"{data.year}年以来"
    came = f["in_county"] + f["in_outside"]
    went = f["out_county"] + f["out_outside"]
    return f"{opening}，发展党员{f['developed']}名，转入{came}名，转出{went}名，去世{f['deceased']}名。"
