"""Reads of the working ledgers: the scoped list with its filters, and the yearly
summary of a node by child (drill-down), summed in the database.

The list page, its export and its print read ``pledge_rows`` (``duty_rows``);
the summary page and the 数据摘要 read ``pledge_summary`` (``duty_summary``):
the same numbers everywhere.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Substr

from activities.models import DutyAssignment, DutyLog, DutyPost, Fulfilment, Pledge
from activities.points.scheme import year_start
from branches.models import Organization, Post, open_posts_q
from branches.paths import PATH_STEP, subtree_q
from members.models import Member

# The list's 兑现情况 filter: the stored states, and 逾期 (still pending after the due date).
STATES = {
    "all": "全部",
    Fulfilment.PENDING.value: "未到期",
    "overdue": "逾期未兑现",
    Fulfilment.DONE.value: Fulfilment.DONE.label,
    Fulfilment.PARTLY.value: Fulfilment.PARTLY.label,
    Fulfilment.NOT.value: Fulfilment.NOT.label,
}


def pledge_rows(
    *, user, year: int, node: Organization | None, state: str, category: str, today
) -> QuerySet[Pledge]:
    """The year's pledges in the user's scope (under *node*, if given), filtered."""
    rows = Pledge.objects.visible_to(user).filter(year=year)
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    if state == "overdue":
        rows = rows.filter(fulfilment=Fulfilment.PENDING, due_on__lt=today)
    elif state == Fulfilment.PENDING:
        rows = rows.filter(fulfilment=Fulfilment.PENDING, due_on__gte=today)
    elif state != "all":
        rows = rows.filter(fulfilment=state)
    if category:
        rows = rows.filter(category=category)
    return (
        rows.select_related("org", "member")
        .annotate(
            overdue=ExpressionWrapper(
                Q(fulfilment=Fulfilment.PENDING, due_on__lt=today), output_field=BooleanField()
            )
        )
        .order_by("org__path", "made_on", "pk")
    )


# --- The yearly summary by child -------------------------------------------------------


@dataclass
class SummaryRow:
    org: Organization
    label: str = ""
    values: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.label or self.org.name


@dataclass
class LedgerSummary:
    """A node's year in one ledger: a row per child, the node's own row, the total."""

    node: Organization
    year: int
    rows: list[SummaryRow]
    own: SummaryRow
    total: SummaryRow


def summed_by_child(queryset, *, node: Organization, path: str, **aggregates):
    """*aggregates* of *queryset* per child of *node* (the first levels of *path*): one
    grouped query. Rows kept at *node* itself come back under the node's own path."""
    width = len(node.path) + PATH_STEP
    return {
        row.pop("child"): row
        for row in queryset.filter(subtree_q(node.path, prefix=path.removesuffix("path")))
        .annotate(child=Substr(path, 1, width))
        .values("child")
        .annotate(**aggregates)
        .order_by()
    }


def rolled_up(node: Organization, year: int, sums: dict, keys) -> LedgerSummary:
    """The summary's rows from ``summed_by_child``'s sums: every child shown, zeros too."""
    children = list(Organization.objects.filter(parent=node).order_by("path"))
    empty = dict.fromkeys(keys, 0)
    rows = [SummaryRow(org=c, values={**empty, **sums.get(c.path, {})}) for c in children]
    own = SummaryRow(
        org=node, label=f"{node.name}（本级）", values={**empty, **sums.get(node.path, {})}
    )
    total = SummaryRow(
        org=node,
        label="合计",
        values={k: sum((s.get(k) or 0) for s in sums.values()) for k in keys},
    )
    return LedgerSummary(node=node, year=year, rows=rows, own=own, total=total)


PLEDGE_KEYS = (
    "made",
    "members",
    "done",
    "on_time",
    "partly",
    "overdue",
    "satisfied",
    "fairly_satisfied",
    "dissatisfied",
)


def pledge_summary(*, node: Organization, year: int, today: datetime.date) -> LedgerSummary:
    """公开承诺 of *node*'s year by child: pledges made, members who pledged, fulfilled (on
    time), partly, overdue and the villagers' votes: two queries (sums, children).

    A member counts once in each row they pledged in; the total counts a member
    who pledged in two places (moved in the year) twice, as the rows add up.
    """
    sums = summed_by_child(
        Pledge.objects.filter(year=year),
        node=node,
        path="org__path",
        made=Count("pk"),
        members=Count("member", distinct=True),
        done=Count("pk", filter=Q(fulfilment=Fulfilment.DONE)),
        on_time=Count("pk", filter=Q(fulfilment=Fulfilment.DONE, fulfilled_on__lte=F("due_on"))),
        partly=Count("pk", filter=Q(fulfilment=Fulfilment.PARTLY)),
        overdue=Count("pk", filter=Q(fulfilment=Fulfilment.PENDING, due_on__lt=today)),
        satisfied=Sum("satisfied"),
        fairly_satisfied=Sum("fairly_satisfied"),
        dissatisfied=Sum("dissatisfied"),
    )
    summary = rolled_up(node, year, sums, PLEDGE_KEYS)
    for row in [*summary.rows, summary.own, summary.total]:
        row.values["satisfaction"] = satisfaction(row.values)
    return summary


def satisfaction(values: dict) -> Decimal | None:
    """满意率: (满意 + 基本满意) / everyone who assessed, in per cent to one place."""
    votes = values["satisfied"] + values["fairly_satisfied"] + values["dissatisfied"]
    if not votes:
        return None
    share = Decimal(100 * (values["satisfied"] + values["fairly_satisfied"])) / votes
    return share.quantize(Decimal("0.1"))


def pledge_totals(*, node: Organization, year: int) -> dict:
    """The 数据摘要's figures of 公开承诺 under *node* in *year*: one query."""
    values = Pledge.objects.filter(subtree_q(node.path, prefix="org__"), year=year).aggregate(
        made=Count("pk"),
        done=Count("pk", filter=Q(fulfilment=Fulfilment.DONE)),
        satisfied=Sum("satisfied", default=0),
        fairly_satisfied=Sum("fairly_satisfied", default=0),
        dissatisfied=Sum("dissatisfied", default=0),
    )
    values["satisfaction"] = satisfaction(values)
    return values


# --- 设岗定责 ------------------------------------------------------------------------------


def _year_q(year: int, start: str, end: str, prefix: str = "") -> Q:
    """Rows running at some time in *year*: begun by its last day, not ended before its first."""
    return Q(**{f"{prefix}{start}__lt": year_start(year + 1)}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gte": year_start(year)})
    )


def duty_rows(*, user, year: int, node: Organization | None) -> QuerySet[DutyPost]:
    """The posts running in *year* in the user's scope (under *node*, if given), each with
    ``holders`` (the year's assignments, members loaded) and ``logs`` (the year's count)."""
    rows = DutyPost.objects.visible_to(user).filter(_year_q(year, "set_up_on", "ended_on"))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    holders = (
        DutyAssignment.objects.filter(_year_q(year, "started_on", "ended_on"))
        .select_related("member")
        .order_by("started_on", "pk")
    )
    in_year = Q(assignments__logs__done_on__gte=year_start(year)) & Q(
        assignments__logs__done_on__lt=year_start(year + 1)
    )
    return (
        rows.select_related("org")
        .annotate(logs=Count("assignments__logs", filter=in_year))
        .prefetch_related(Prefetch("assignments", queryset=holders, to_attr="holders"))
        .order_by("org__path", "set_up_on", "pk")
    )


def duty_counted_on(*, year: int, today: datetime.date) -> datetime.date:
    """The day the summary counts members on: the year's last, or today in the current year."""
    return min(today, datetime.date(year, 12, 31))


DUTY_KEYS = ("posts", "holders", "no_office", "no_office_holding", "logs")


def duty_summary(*, node: Organization, year: int, today: datetime.date) -> LedgerSummary:
    """设岗定责 of *node*'s year by child: posts running in the year, members on a post,
    无职党员 (active members holding no 班子职务), the share of them on a post, and the
    year's 履职记录: four queries (posts, members, logs, children).

    Members are counted on the year's last day (today, for the current year),
    in their branch: a post is the branch's, so a branch's row is its own.
    """
    on = duty_counted_on(year=year, today=today)
    posts = summed_by_child(
        DutyPost.objects.filter(_year_q(year, "set_up_on", "ended_on")),
        node=node,
        path="org__path",
        posts=Count("pk"),
    )
    office = Exists(Post.objects.filter(open_posts_q(on), member=OuterRef("pk")))
    on_duty = Exists(
        DutyAssignment.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            member=OuterRef("pk"),
            started_on__lte=on,
        )
    )
    members = summed_by_child(
        Member.objects.active(),
        node=node,
        path="branch__path",
        holders=Count("pk", filter=Q(on_duty)),
        no_office=Count("pk", filter=~Q(office)),
        no_office_holding=Count("pk", filter=Q(on_duty) & ~Q(office)),
    )
    logs = summed_by_child(
        DutyLog.objects.filter(done_on__gte=year_start(year), done_on__lt=year_start(year + 1)),
        node=node,
        path="assignment__post__org__path",
        logs=Count("pk"),
    )
    sums = {
        path: {**posts.get(path, {}), **members.get(path, {}), **logs.get(path, {})}
        for path in posts.keys() | members.keys() | logs.keys()
    }
    summary = rolled_up(node, year, sums, DUTY_KEYS)
    for row in [*summary.rows, summary.own, summary.total]:
        row.values["share"] = duty_share(row.values)
    return summary


def duty_share(values: dict) -> Decimal | None:
    """无职党员设岗率: 无职党员 on a duty post ÷ 无职党员, in per cent to one place."""
    if not values["no_office"]:
        return None
    share = Decimal(100 * values["no_office_holding"]) / values["no_office"]
    return share.quantize(Decimal("0.1"))
