"""Reads of the dues ledger: a branch's month, a member's statement, the yearly review
of bases, arrears for the worklist, and the upward report (owed, collected,
passed) with its drill-down."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Substr

from branches.dated import in_force_q
from branches.models import Organization, OrgKind, is_county_unit
from branches.paths import PATH_STEP, subtree_q
from members.dues.rules import (
    Standards,
    add_months,
    base_in_force,
    month_label,
    month_start,
    months_apart,
)
from members.dues.services import bases_of, cents, owing_q
from members.models import (
    DuesBase,
    DuesEntry,
    DuesLine,
    DuesReceipt,
    DuesRemittance,
    DuesRetention,
    DuesTally,
    EntryKind,
    Member,
    RetentionLevel,
)

ZERO = Decimal("0.00")  # shown as 0.00 where nothing was owed or paid
CENT = Decimal("0.01")
# Months without payment before the worklist lists a member, and before the 党章's rule.
ARREARS_LIST, ARREARS_RULE = 3, 6
# Members listed on the yearly review page at most.
REVIEW_SHOWN = 500


def arrears_months(paid_until: datetime.date | None, today: datetime.date) -> int:
    """Closed months since the member's dues were paid up to (the current month is not late)."""
    if paid_until is None:
        return 0
    return max(0, months_apart(paid_until, add_months(month_start(today), -1)))


# --- A branch's month -----------------------------------------------------------------


@dataclass
class LedgerRow:
    member: Member
    line: DuesLine  # unsaved while the month has no line for the member yet
    arrears: int

    @property
    def state(self) -> str:
        if self.line.exempt:
            return "免交"
        if self.line.paid > 0:
            if self.line.owed is not None and self.line.paid < self.line.owed:
                return "少交"
            return "已交"
        return "未交"


def ledger_rows(*, branch: Organization, month: datetime.date, today: datetime.date):
    """Every member of *branch* who owes *month*, with the month's line: four queries.

    Members with a line for the month in this branch (those who since left
    or moved included) and members who owe it now without one yet.
    """
    month = month_start(month)
    lines = {line.member_id: line for line in DuesLine.objects.filter(month=month, org=branch)}
    members = list(
        Member.objects.filter((Q(branch=branch) & owing_q(month)) | Q(pk__in=list(lines)))
        .order_by("group__path", "name", "pk")
        .select_related("group")
    )
    missing = [m.pk for m in members if m.pk not in lines]
    bases = bases_of(missing) if missing else {}
    standard = Standards()[month] if missing else None
    rows = []
    for member in members:
        line = lines.get(member.pk)
        if line is None:
            owed = standard.owed_for(base_in_force(bases.get(member.pk, []), month))
            line = DuesLine(member=member, month=month, org=branch, owed=owed)
        rows.append(LedgerRow(member, line, arrears_months(member.dues_paid_until, today)))
    return rows


def ledger_totals(rows: list[LedgerRow]) -> dict:
    owed = sum((r.line.owed or ZERO for r in rows), ZERO)
    paid = sum((r.line.paid for r in rows), ZERO)
    return {
        "members": len(rows),
        "owed": owed.quantize(CENT),
        "paid": paid.quantize(CENT),
        "unpaid": sum(1 for r in rows if r.state == "未交"),
        "unknown": sum(1 for r in rows if r.line.owed is None),
    }


# --- A member's statement ----------------------------------------------------------------


def member_statement(*, member: Member, months: int = 24, today: datetime.date):
    """The member's last *months* lines and every entry toward them: three queries."""
    since = add_months(month_start(today), -(months - 1))
    lines = list(DuesLine.objects.filter(member=member, month__gte=since).order_by("-month"))
    entries = list(
        DuesEntry.objects.filter(member=member, month__gte=since)
        .select_related("receipt", "entered_by", "corrects")
        .order_by("-month", "pk")
    )
    by_month = defaultdict(list)
    for entry in entries:
        by_month[entry.month].append(entry)
    bases = list(member.dues_bases.order_by("-starts")[:6])
    return {
        "lines": [(line, by_month.get(line.month, [])) for line in lines],
        "bases": bases,
        "arrears": arrears_months(member.dues_paid_until, today),
    }


def receipt_entries(receipt: DuesReceipt) -> list[DuesEntry]:
    return list(receipt.entries.order_by("month"))


# --- The yearly review of bases -----------------------------------------------------------


def _to_review(members, today: datetime.date):
    """Active members with no base starting within the last twelve months."""
    year_ago = add_months(month_start(today), -12)
    recent = DuesBase.objects.filter(member=OuterRef("pk"), starts__gt=year_ago)
    return members.filter(roster_status="active").filter(~Exists(recent))


def bases_to_review(*, members, today: datetime.date, limit: int = REVIEW_SHOWN):
    """Members on the roster whose base is missing or a year old or older (the yearly
    review of the standard): one query, an anti-join on the bases' index."""
    latest = DuesBase.objects.filter(member=OuterRef("pk")).order_by("-starts").values("starts")
    rows = (
        _to_review(members, today)
        .annotate(base_since=Subquery(latest[:1]))
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )
    return rows[:limit]


# --- Arrears for the worklist --------------------------------------------------------------


@dataclass
class Arrears:
    member: Member
    months: int

    @property
    def rule(self) -> bool:
        return self.months >= ARREARS_RULE


def arrears(*, members, today: datetime.date, limit: int = 100) -> tuple[list[Arrears], int]:
    """Members on the roster who have paid nothing for three closed months or more, longest
    first: two queries (the rows and their count)."""
    cutoff = add_months(month_start(today), -(ARREARS_LIST + 1))
    late = members.filter(owing_q(month_start(today)), dues_paid_until__lte=cutoff)
    rows = list(late.select_related("branch").order_by("dues_paid_until", "name", "pk")[:limit])
    count = len(rows) if len(rows) < limit else late.count()
    return [Arrears(m, arrears_months(m.dues_paid_until, today)) for m in rows], count


# --- The upward report ----------------------------------------------------------------------


@dataclass
class ReportRow:
    org: Organization | None
    label: str = ""
    owed: Decimal = ZERO
    collected: Decimal = ZERO
    exempted: Decimal = ZERO
    extra: Decimal = ZERO
    advance: Decimal = ZERO
    passed: Decimal = ZERO
    unknown: int = 0
    unpaid: int = 0
    kept_share: Decimal = ZERO  # of what the row received, the share its levels keep

    @property
    def name(self) -> str:
        return self.label or self.org.name

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.collected - self.exempted

    @property
    def received(self) -> Decimal:
        return self.collected + self.extra + self.advance

    @property
    def to_pass(self) -> Decimal:
        return (self.received * (1 - self.kept_share / 100)).quantize(CENT)

    @property
    def not_passed(self) -> Decimal:
        return self.to_pass - self.passed

    def add(self, other: ReportRow) -> None:
        for name in ("owed", "collected", "exempted", "extra", "advance", "passed", "unknown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unpaid += other.unpaid


@dataclass
class DuesReport:
    node: Organization
    first: datetime.date
    last: datetime.date
    rows: list[ReportRow]
    total: ReportRow
    shares: dict[str, Decimal] = field(default_factory=dict)

    @property
    def period_label(self) -> str:
        if self.first == self.last:
            return month_label(self.first)
        if self.first.month == 1 and self.last.month == 12 and self.first.year == self.last.year:
            return f"{self.first.year}年"
        return f"{month_label(self.first)}至{self.last.month}月"


def _level(org: Organization) -> str:
    return RetentionLevel.TOWNSHIP if is_county_unit(org) else RetentionLevel.BRANCH


def retention_shares(on: datetime.date) -> dict[str, Decimal]:
    shares = dict.fromkeys(RetentionLevel.values, ZERO)
    for rule in DuesRetention.objects.filter(in_force_q(on)):
        shares[rule.level] = rule.share
    return shares


def kept_share(org: Organization, shares: dict[str, Decimal]) -> Decimal:
    """Of what an organisation's subtree received, the share kept below or at it (%)."""
    passed_on = 1 - shares[RetentionLevel.BRANCH] / 100
    if _level(org) == RetentionLevel.TOWNSHIP or org.kind in (OrgKind.COUNTY, OrgKind.CITY):
        passed_on *= 1 - shares[RetentionLevel.TOWNSHIP] / 100
    return (1 - passed_on) * 100


def dues_report(*, node: Organization, first: datetime.date, last: datetime.date) -> DuesReport:
    """Owed, collected toward the months, exempted, outstanding, extra and advance payments
    and what was passed upward, for *node*'s children and in total: six queries.

    owed = collected + exempted + outstanding for every row; what a member
    paid beyond a month's dues is extra, what was paid in the period toward
    later months is advance, and a line with no base (owed unknown) counts
    its payment as extra and is counted apart.
    """
    first, last = month_start(first), month_start(last)
    children = list(
        Organization.objects.filter(parent=node).select_related("parent").order_by("path")
    )
    # Everything is summed in SQL by the child it falls under (the path's first
    # segments): a county's year is a few dozen rows back, not thousands.
    width = len(node.path) + PATH_STEP
    rows = {c.path: ReportRow(org=c) for c in children}
    own = ReportRow(org=node, label=f"{node.name}（本级）")
    total = ReportRow(org=node, label="合计")

    def child(prefix: str = "org__"):
        return Substr(f"{prefix}path", 1, width)

    # The tallies of the branches' months, kept by the services (not the 800,000 lines).
    sums = (
        DuesTally.objects.filter(
            subtree_q(node.path, prefix="org__"), month__gte=first, month__lte=last
        )
        .annotate(child=child())
        .values("child")
        .annotate(
            **{
                f"sum_{name}": Sum(name)
                for name in ("owed", "collected", "exempted", "extra", "unknown", "unpaid")
            }
        )
        .order_by()
    )
    advance_end = add_months(last, 1)
    advances = dict(
        DuesEntry.objects.filter(
            subtree_q(node.path, prefix="org__"),
            paid_on__gte=first,
            paid_on__lt=advance_end,
            month__gte=advance_end,
        )
        .exclude(kind=EntryKind.EXEMPT)
        .annotate(child=child())
        .values_list("child")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    remitted = (
        DuesRemittance.objects.filter(
            subtree_q(node.path, prefix="from_org__"), month_from__gte=first, month_from__lte=last
        )
        .annotate(
            child=child("from_org__"),
            to_child=child("to_org__"),
            to_node=Substr("to_org__path", 1, len(node.path)),
        )
        .values_list("child", "to_child", "to_node")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for item in sums:
        key = item.pop("child")
        part = ReportRow(
            org=None, **{name.removeprefix("sum_"): cents(v) for name, v in item.items()}
        )
        part.advance = cents(advances.pop(key, ZERO))
        for target in (rows.get(key, own), total):
            target.add(part)
    for key, amount in advances.items():
        for target in (rows.get(key, own), total):
            target.advance += cents(amount)
    for key, to_child, to_node, amount in remitted:
        # Passed by a child: what left its part of the tree; in total: what left the node's.
        if key in rows and to_child != key:
            rows[key].passed += cents(amount)
        if to_node != node.path:
            total.passed += cents(amount)
    shares = retention_shares(first)
    listed = [rows[c.path] for c in children]
    for row in listed + [total]:
        row.kept_share = kept_share(row.org, shares)
    if own.owed or own.received:
        own.kept_share = kept_share(node, shares)
        listed.append(own)
    return DuesReport(node, first, last, listed, total, shares)


def period_months(year: int, period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last month of '' (the year), 'q1'–'q4' or '1'–'12'."""
    if period.startswith("q"):
        quarter = int(period[1])
        first = datetime.date(year, quarter * 3 - 2, 1)
        return first, add_months(first, 2)
    if period:
        first = datetime.date(year, int(period), 1)
        return first, first
    return datetime.date(year, 1, 1), datetime.date(year, 12, 1)


PERIODS = (
    [("", "全年")]
    + [(f"q{n}", f"第{n}季度") for n in range(1, 5)]
    + [(str(n), f"{n}月") for n in range(1, 13)]
)


@dataclass
class DuesWork:
    arrears: list[Arrears]
    count: int
    review: int


def dues_work(*, user, root: Organization, today: datetime.date, limit: int = 50) -> DuesWork:
    """The worklist's 党费 section: members three or more months in arrears (six: the
    党章's rule) and how many bases await the yearly review. Four queries.

    The members are those of the branches the user sees under *root*, by a list of
    their ids (as ``members.selectors.standing_work``): joined to the organisations by
    path, PostgreSQL reads every member of the county for the arrears (38 ms at city
    scale against 8). Branches only, where members are (``Member.branch``): the groups'
    ids would only lengthen the list.
    """
    branch_ids = list(
        Organization.objects.visible_to(user)
        .filter(subtree_q(root.path), kind=OrgKind.BRANCH)
        .values_list("pk", flat=True)
    )
    members = Member.objects.filter(branch_id__in=branch_ids)
    listed, count = arrears(members=members, today=today, limit=limit)
    return DuesWork(listed, count, _to_review(members, today).count())
