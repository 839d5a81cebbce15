"""Reads of the 设岗定责 ledger: the year's posts with their holders and logs, and the
yearly summary of a node by child with the share of 无职党员 on a post."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from activities.ledgers.selectors import (
    LedgerSummary,
    rolled_up,
    running_in_year,
    summed_by_child,
    tally_by_child,
)
from activities.models import DutyAssignment, DutyPost, TallyLedger
from activities.points.scheme import year_start
from branches.models import Organization, Post, open_posts_q
from branches.paths import subtree_q
from members.models import Member


def duty_rows(*, user, year: int, node: Organization | None) -> QuerySet[DutyPost]:
    """The posts running in *year* in the user's scope (under *node*, if given), each with
    ``holders`` (the year's assignments, members loaded) and ``logs`` (the year's count)."""
    rows = DutyPost.objects.visible_to(user).filter(running_in_year(year, "set_up_on", "ended_on"))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    holders = (
        DutyAssignment.objects.filter(running_in_year(year, "started_on", "ended_on"))
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
    year's 履职记录: six queries (posts, members, their 班子职务, duty holders, the logs' kept tallies,
    children).

    Members are counted on the year's last day (today, for the current year),
    in their branch: a post is the branch's, so a branch's row is its own.
    """
    on = duty_counted_on(year=year, today=today)
    posts = summed_by_child(
        DutyPost.objects.filter(running_in_year(year, "set_up_on", "ended_on")),
        node=node,
        path="org__path",
        posts=Count("pk"),
    )
    # Counted apart and subtracted, not tested member by member: at a county's 70,000
    # members two EXISTS per member cost over a second; members among the few thousand
    # post and duty holders (semi-joins) cost tens of milliseconds.
    office_holders = Post.objects.filter(open_posts_q(on)).values("member_id")
    members = summed_by_child(
        Member.objects.active(), node=node, path="branch__path", active=Count("pk")
    )
    office = summed_by_child(
        Member.objects.active().filter(pk__in=office_holders),
        node=node,
        path="branch__path",
        office=Count("pk"),
    )
    on_duty = DutyAssignment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=on), started_on__lte=on
    ).values("member_id")
    holding = summed_by_child(
        Member.objects.active().filter(pk__in=on_duty),
        node=node,
        path="branch__path",
        holders=Count("pk"),
        holders_in_office=Count("pk", filter=Q(pk__in=office_holders)),
    )
    for path, row in members.items():
        row["no_office"] = row.pop("active") - office.get(path, {}).get("office", 0)
        held = holding.get(path, {})
        row["holders"] = held.get("holders", 0)
        row["no_office_holding"] = row["holders"] - held.get("holders_in_office", 0)
    # The year's 履职记录 from the kept tallies: 144,000 logs at city scale, joined
    # through assignment and post, are a row per branch there.
    logs = tally_by_child(ledger=TallyLedger.DUTY, year=year, node=node, metrics=["logs"])
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


def duty_totals(*, node: Organization, year: int, today: datetime.date) -> dict:
    """The 数据摘要's figures of 设岗定责 under *node* in *year*, as ``duty_summary`` counts
    them: posts running in the year and 无职党员 on a post on its count day. Two queries."""
    on = duty_counted_on(year=year, today=today)
    posts = DutyPost.objects.filter(
        subtree_q(node.path, prefix="org__"), running_in_year(year, "set_up_on", "ended_on")
    ).count()
    on_duty = DutyAssignment.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=on), started_on__lte=on
    ).values("member_id")
    office_holders = Post.objects.filter(open_posts_q(on)).values("member_id")
    holding = (
        Member.objects.active()
        .filter(subtree_q(node.path, prefix="branch__"), pk__in=on_duty)
        .exclude(pk__in=office_holders)
        .count()
    )
    return {"posts": posts, "no_office_holding": holding}
