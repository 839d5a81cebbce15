"""Reads of the groups' reporting routine: a group's month and a branch's quarter
assembled from the records, the list of who has reported, and the yearly summary
of a node by child.

The figures are live: whenever a report is shown they are read from the meetings
and the ledgers as they stand (a meeting logged late counts in its month), and the
stored report adds the text and who submitted it when. ``month_figures`` reads any
number of groups over any span in a fixed number of grouped queries, so a group's
month, a branch's quarter and their prints cost the same for 2 groups as for 20.

Whose records a group's month holds: the meetings the group held; the pledges kept
at the group (``Pledge.org``: the member's group when pledged); and the duty logs,
visits and 民情日志 entries of members who belonged to the group on the day of the
record (the dated membership history), so a member's move does not carry their
past records to the new group.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Substr, TruncMonth

from activities.cadence import owes_from_expression
from activities.ledgers.selectors import SummaryRow, by_child
from activities.models import (
    Activity,
    ActivityKind,
    BranchSummary,
    DiaryEntry,
    DutyLog,
    ExchangePresentation,
    Fulfilment,
    GroupReport,
    LedgerTally,
    PairingVisit,
    Pledge,
    TallyLedger,
)
from activities.periods import add_months
from branches.models import Organization, OrgKind
from branches.paths import PATH_STEP, subtree_q
from members.models import Membership

# A month's report is on time when submitted by this day of the following month.
ON_TIME_DAY = 10


def quarter_start(year: int, quarter: int) -> datetime.date:
    return datetime.date(year, 3 * (quarter - 1) + 1, 1)


def report_deadline(month: datetime.date) -> datetime.date:
    """The last day a month's report counts as on time."""
    return add_months(month, 1).replace(day=ON_TIME_DAY)


@dataclass
class KindLine:
    kind: str
    count: int = 0
    present: int = 0
    expected: int = 0

    @property
    def label(self) -> str:
        return ActivityKind(self.kind).label


@dataclass
class MonthFigures:
    """What one group (or branch) did in one month, from the records."""

    meetings: list[KindLine] = field(default_factory=list)
    pledges_made: int = 0
    pledges_fulfilled: int = 0
    duty_logs: int = 0
    visits: int = 0
    diary_entries: int = 0
    exchanges: list[dict] = field(default_factory=list)

    @property
    def meeting_count(self) -> int:
        return sum(line.count for line in self.meetings)

    @property
    def present(self) -> int:
        return sum(line.present for line in self.meetings)

    @property
    def expected(self) -> int:
        return sum(line.expected for line in self.meetings)


def _in_group_on(member: str, day: str, group_ids) -> Subquery:
    """The group (among *group_ids*) the record's member belonged to on the record's day."""
    rows = (
        Membership.objects.filter(
            member_id=OuterRef(member), group_id__in=group_ids, started_on__lte=OuterRef(day)
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef(day)))
        .values("group_id")[:1]
    )
    return Subquery(rows)


def _by_member_group(queryset, *, member: str, day: str, group_ids, start, end) -> dict:
    # Only the records of members who were in one of the groups at some time in the span
    # (a semi-join on their memberships) get the per-row subquery: at city scale a month
    # holds tens of thousands of records, of which a group's are a few dozen.
    members = (
        Membership.objects.filter(group_id__in=group_ids, started_on__lt=end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=start))
        .values("member_id")
    )
    rows = (
        queryset.filter(**{f"{day}__gte": start, f"{day}__lt": end, f"{member}__in": members})
        .annotate(in_group=_in_group_on(member, day, group_ids), m=TruncMonth(day))
        .filter(in_group__isnull=False)
        .values("in_group", "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(r["in_group"], r["m"]): r["n"] for r in rows}


def _counted(queryset, *, day: str, start, end) -> dict:
    rows = (
        queryset.filter(**{f"{day}__gte": start, f"{day}__lt": end})
        .annotate(m=TruncMonth(day))
        .values("org_id", "m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(r["org_id"], r["m"]): r["n"] for r in rows}


def month_figures(
    *, group_ids: list[int], start: datetime.date, end: datetime.date, meeting_ids=()
) -> dict[tuple[int, datetime.date], MonthFigures]:
    """Each group's figures for each month in [*start*, *end*), keyed (group id, month's
    first day); the meetings of *meeting_ids* (a branch beside its groups) too. Seven
    queries, however many groups and months."""
    figures: dict[tuple[int, datetime.date], MonthFigures] = {}

    def at(org_id, month) -> MonthFigures:
        if isinstance(month, datetime.datetime):
            month = month.date()
        return figures.setdefault((org_id, month), MonthFigures())

    meetings = (
        Activity.objects.filter(
            org_id__in=[*group_ids, *meeting_ids], held_on__gte=start, held_on__lt=end
        )
        .annotate(m=TruncMonth("held_on"))
        .values("org_id", "m", "kind")
        .annotate(n=Count("pk"), present=Sum("present_count"), expected=Sum("expected_count"))
        .order_by("org_id", "m", "kind")
    )
    for row in meetings:
        at(row["org_id"], row["m"]).meetings.append(
            KindLine(row["kind"], row["n"], row["present"] or 0, row["expected"] or 0)
        )
    pledges = Pledge.objects.filter(org_id__in=group_ids)
    for key, n in _counted(pledges, day="made_on", start=start, end=end).items():
        at(*key).pledges_made = n
    done = pledges.filter(fulfilment=Fulfilment.DONE)
    for key, n in _counted(done, day="fulfilled_on", start=start, end=end).items():
        at(*key).pledges_fulfilled = n
    span = {"group_ids": group_ids, "start": start, "end": end}
    for key, n in _by_member_group(
        DutyLog.objects.all(), member="assignment__member_id", day="done_on", **span
    ).items():
        at(*key).duty_logs = n
    for key, n in _by_member_group(
        PairingVisit.objects.filter(pairing__member__isnull=False),
        member="pairing__member_id",
        day="visited_on",
        **span,
    ).items():
        at(*key).visits = n
    for key, n in _by_member_group(
        DiaryEntry.objects.all(), member="cadre_id", day="date", **span
    ).items():
        at(*key).diary_entries = n
    presented = (
        ExchangePresentation.objects.filter(
            group_id__in=group_ids, activity__held_on__gte=start, activity__held_on__lt=end
        )
        .values("group_id", "topic", "activity_id", "activity__held_on", "activity__topic")
        .order_by("activity__held_on", "pk")
    )
    for row in presented:
        at(row["group_id"], row["activity__held_on"].replace(day=1)).exchanges.append(row)
    return figures


# --- A group's month ------------------------------------------------------------------


def group_month(*, group: Organization, month: datetime.date) -> MonthFigures:
    """The group's month as its report shows it: seven queries."""
    figures = month_figures(group_ids=[group.pk], start=month, end=add_months(month, 1))
    return figures.get((group.pk, month), MonthFigures())


# --- A branch's quarter ---------------------------------------------------------------


@dataclass
class GroupMonth:
    month: datetime.date
    figures: MonthFigures
    report: GroupReport | None
    ended: bool = True  # a month under way (or ahead) owes no report yet


@dataclass
class GroupQuarter:
    group: Organization
    months: list[GroupMonth]

    @property
    def submitted(self) -> int:
        return sum(1 for m in self.months if m.report is not None)


@dataclass
class BranchQuarter:
    branch: Organization
    quarter: datetime.date
    groups: list[GroupQuarter]
    meetings: list[KindLine]
    summary: BranchSummary | None

    @property
    def number(self) -> int:
        return (self.quarter.month - 1) // 3 + 1

    @property
    def months(self) -> list[datetime.date]:
        return [add_months(self.quarter, i) for i in range(3)]

    @property
    def due(self) -> int:
        """Group-months ended: those that owe a report by now."""
        return sum(1 for g in self.groups for m in g.months if m.ended)

    @property
    def submitted(self) -> int:
        return sum(g.submitted for g in self.groups)


def quarter_groups(branch: Organization, quarter: datetime.date) -> QuerySet[Organization]:
    """The branch's groups during the quarter: entered by its end, not dissolved before it."""
    end = add_months(quarter, 3)
    return (
        Organization.objects.filter(parent=branch, kind=OrgKind.GROUP)
        .annotate(owes_from=owes_from_expression())
        .filter(owes_from__lt=end)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=quarter))
        .order_by("path")
    )


def branch_quarter(
    *, branch: Organization, quarter: datetime.date, today: datetime.date
) -> BranchQuarter:
    """The branch's quarter: each group's three months (report or missing, with their
    figures and texts) and the branch's own meetings by kind. Eleven queries: the
    groups, the seven of ``month_figures``, the reports, the summary."""
    groups = list(quarter_groups(branch, quarter))
    end = add_months(quarter, 3)
    figures = month_figures(
        group_ids=[g.pk for g in groups], start=quarter, end=end, meeting_ids=[branch.pk]
    )
    reports = {
        (r.org_id, r.month): r
        for r in GroupReport.objects.filter(
            org_id__in=[g.pk for g in groups], month__gte=quarter, month__lt=end
        ).select_related("submitted_by")
    }
    months = [add_months(quarter, i) for i in range(3)]
    rows = [
        GroupQuarter(
            group=g,
            months=[
                GroupMonth(
                    m,
                    figures.get((g.pk, m), MonthFigures()),
                    reports.get((g.pk, m)),
                    ended=add_months(m, 1) <= today,
                )
                for m in months
            ],
        )
        for g in groups
    ]
    by_kind: dict[str, KindLine] = {}
    for m in months:
        for line in figures.get((branch.pk, m), MonthFigures()).meetings:
            total = by_kind.setdefault(line.kind, KindLine(line.kind))
            total.count += line.count
            total.present += line.present
            total.expected += line.expected
    summary = (
        BranchSummary.objects.filter(org=branch, quarter=quarter)
        .select_related("submitted_by")
        .first()
    )
    return BranchQuarter(
        branch=branch,
        quarter=quarter,
        groups=rows,
        meetings=sorted(by_kind.values(), key=lambda line: list(ActivityKind).index(line.kind)),
        summary=summary,
    )


# --- Who has reported -------------------------------------------------------------------


def group_rows(*, user, node: Organization | None, month: datetime.date) -> QuerySet[Organization]:
    """The groups in the user's scope (under *node*) that owe *month*'s report, each with
    its report's ``submitted_at`` and submitter (or None): one query a page."""
    reports = GroupReport.objects.filter(org=OuterRef("pk"), month=month)
    end = add_months(month, 1)
    rows = (
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.GROUP)
        .annotate(owes_from=owes_from_expression())
        .filter(owes_from__lt=end)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=month))
    )
    if node is not None:
        rows = rows.filter(subtree_q(node.path))
    return rows.annotate(
        submitted_at=Subquery(reports.values("submitted_at")[:1]),
        submitted_by_name=Subquery(reports.values("submitted_by__username")[:1]),
        report_id=Subquery(reports.values("pk")[:1]),
    ).order_by("path")


def branch_rows(
    *, user, node: Organization | None, quarter: datetime.date
) -> QuerySet[Organization]:
    """The branches with groups in the user's scope (under *node*), each with its quarter
    summary's ``submitted_at`` and how many of its groups' months were reported: one
    query a page."""
    end = add_months(quarter, 3)
    summaries = BranchSummary.objects.filter(org=OuterRef("pk"), quarter=quarter)
    reported = (
        GroupReport.objects.filter(org__parent=OuterRef("pk"), month__gte=quarter, month__lt=end)
        .order_by()
        .values("org__parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    groups = Organization.objects.filter(parent=OuterRef("pk"), kind=OrgKind.GROUP)
    rows = Organization.objects.visible_to(user).filter(kind=OrgKind.BRANCH).filter(Exists(groups))
    if node is not None:
        rows = rows.filter(subtree_q(node.path))
    return rows.annotate(
        submitted_at=Subquery(summaries.values("submitted_at")[:1]),
        reported=Subquery(reported),
    ).order_by("path")


def exchanges(*, user, node: Organization | None, year: int) -> list[Activity]:
    """The year's 经验交流会 in the user's scope, each with its presenting groups: two
    queries."""
    rows = Activity.objects.visible_to(user).filter(kind=ActivityKind.EXCHANGE, held_on__year=year)
    if node is not None:
        rows = rows.filter(
            subtree_q(node.path, prefix="org__") | Q(org__path__in=_ancestor_paths(node))
        )
    return list(
        rows.select_related("org").prefetch_related("presentations__group").order_by("held_on")
    )


def _ancestor_paths(node: Organization) -> list[str]:
    return [node.path[:i] for i in range(PATH_STEP, len(node.path), PATH_STEP)]


# --- The yearly summary by child --------------------------------------------------------

SUMMARY_KEYS = ("due", "submitted", "on_time", "quarters_due", "quarters_submitted")


@dataclass
class ReportSummary:
    node: Organization
    year: int
    rows: list[SummaryRow]
    own: SummaryRow
    total: SummaryRow


def _closed_months(year: int, today: datetime.date) -> list[datetime.date]:
    last = today.replace(day=1)  # the month under way is not due yet
    return [m for m in (datetime.date(year, i, 1) for i in range(1, 13)) if m < last]


def _reports_by_child(*, node: Organization, year: int, months) -> dict[str, dict]:
    """The groups' reports of the closed *months* of *year* by child: the kept tallies
    of the year (``activities.ledgers.tallies``: a row per group and figure) less the
    reports of the year's months not closed yet (the month under way), counted live
    through the index on month; one statement (a union of the two)."""
    zero = Value(0, output_field=IntegerField())
    figures = ("submitted", "on_time")
    # The columns are named apart from the model's fields: an annotation named like a
    # field would stand for it in the other side's filters.
    kept = by_child(
        LedgerTally.objects.filter(ledger=TallyLedger.GROUPREP, year=year),
        node=node,
        path="org__path",
        **{f"kept_{m}": Sum("value", filter=Q(metric=m), default=0) for m in figures},
        open_submitted=zero,
        open_on_time=zero,
    )
    still_open = GroupReport.objects.filter(
        month__gte=add_months(months[-1], 1) if months else datetime.date(year, 1, 1),
        month__lt=datetime.date(year + 1, 1, 1),
    )
    live = by_child(
        still_open,
        node=node,
        path="org__path",
        kept_submitted=zero,
        kept_on_time=zero,
        open_submitted=Count("pk"),
        open_on_time=Count("pk", filter=Q(on_time=True)),
    )
    sums: dict[str, dict] = {}
    for row in kept.union(live, all=True):
        values = sums.setdefault(row["child"], dict.fromkeys(figures, 0))
        for figure in figures:
            values[figure] += (row[f"kept_{figure}"] or 0) - (row[f"open_{figure}"] or 0)
    return sums


def report_summary(*, node: Organization, year: int, today: datetime.date) -> ReportSummary:
    """The groups' reports of *node*'s year by child: group-months due (ended, the group
    in being), reported, reported on time (by the 10th of the next month), and the
    branches' quarters due (ended, with a group due in them) and summed up. Four queries:
    the groups, the reports and the summaries summed by child, the children.

    What is due is counted in Python from the groups' dates (a county's thousands of
    groups, three values each); what was done is counted by the database."""
    width = len(node.path) + PATH_STEP
    months = _closed_months(year, today)
    quarters = [m for m in months if m.month in (1, 4, 7, 10) and add_months(m, 3) <= today]
    groups = (
        Organization.objects.filter(subtree_q(node.path), kind=OrgKind.GROUP)
        .annotate(owes_from=owes_from_expression())
        .values_list("path", "owes_from", "dissolved_on")
    )
    sums: dict[str, dict] = {}
    branch_quarters: dict[str, set] = {}

    def child_of(path: str) -> str:
        return path[:width] if len(path) > len(node.path) else node.path

    first = datetime.date(year, 1, 1)
    for path, owes_from, dissolved_on in groups:
        row = sums.setdefault(child_of(path), dict.fromkeys(SUMMARY_KEYS, 0))
        if owes_from < first and dissolved_on is None:
            owed = months  # most groups: in being all year
        else:
            owed = [
                m
                for m in months
                if owes_from < add_months(m, 1) and (dissolved_on is None or dissolved_on >= m)
            ]
        row["due"] += len(owed)
        branch = path[:-PATH_STEP]
        if len(branch) >= len(node.path):  # a group's page owes no quarter of its branch
            owed_quarters = {m.replace(month=m.month - (m.month - 1) % 3) for m in owed}
            branch_quarters.setdefault(child_of(branch), set()).update(
                (branch, q) for q in quarters if q in owed_quarters
            )
    done = _reports_by_child(node=node, year=year, months=months)
    summed = (
        BranchSummary.objects.filter(subtree_q(node.path, prefix="org__"), quarter__in=quarters)
        .annotate(child=Substr("org__path", 1, width))
        .values("child")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for child, row in done.items():
        target = sums.setdefault(child, dict.fromkeys(SUMMARY_KEYS, 0))
        target["submitted"], target["on_time"] = row["submitted"], row["on_time"]
    for row in summed:
        sums.setdefault(row["child"], dict.fromkeys(SUMMARY_KEYS, 0))["quarters_submitted"] = row[
            "n"
        ]
    for child, due in branch_quarters.items():
        sums.setdefault(child, dict.fromkeys(SUMMARY_KEYS, 0))["quarters_due"] = len(due)
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    empty = dict.fromkeys(SUMMARY_KEYS, 0)
    rows = [SummaryRow(org=c, values={**empty, **sums.get(c.path, {})}) for c in children]
    own = SummaryRow(
        org=node, label=f"{node.name}（本级）", values={**empty, **sums.get(node.path, {})}
    )
    total = SummaryRow(
        org=node,
        label="合计",
        values={k: sum(s.get(k, 0) for s in sums.values()) for k in SUMMARY_KEYS},
    )
    return ReportSummary(node=node, year=year, rows=rows, own=own, total=total)
