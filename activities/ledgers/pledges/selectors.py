"""Reads of the 公开承诺 ledger: the scoped list with its filters, the yearly summary of a
node by child (drill-down), and the 数据摘要's figures, summed in the database.

The list page, its export and its print read ``pledge_rows``; the summary page
reads ``pledge_summary``, the 数据摘要 ``pledge_totals``: the same numbers everywhere.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast

from activities.ledgers.selectors import (
    LedgerSummary,
    by_child,
    rolled_up,
    tally_totals,
)
from activities.models import Fulfilment, LedgerMemberTally, LedgerTally, Pledge, TallyLedger
from branches.models import Organization
from branches.paths import subtree_q

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


ORG_ID_BOUND = 10**9

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

    The counts come from the kept tallies (one row per organisation and figure);
    逾期 depends on the day and is counted live from the year's pending pledges,
    in the same query that corrects the members: the tallies count a member once
    per organisation, so a member who pledged in two organisations under one
    child is taken off once there, found from the few members the member tally
    keeps as having pledged in more than one organisation that year.
    """
    counted = [k for k in PLEDGE_KEYS if k != "overdue"]
    live_keys = ("overdue", "places", "placed")
    zero = Value(0, output_field=IntegerField())
    kept = by_child(
        LedgerTally.objects.filter(ledger=TallyLedger.PLEDGES, year=year),
        node=node,
        path="org__path",
        **{f"kept_{m}": Sum("value", filter=Q(metric=m), default=0) for m in counted},
        **dict.fromkeys(live_keys, zero),
    )
    overdue = Q(fulfilment=Fulfilment.PENDING, due_on__lt=today)
    shared = Q(
        member_id__in=LedgerMemberTally.objects.filter(
            ledger=TallyLedger.PLEDGES, year=year
        ).values("member_id")
    )
    # A (member, organisation) pair as one number: member ids times a bound above any
    # organisation's id, in 64 bits.
    place = Cast("member_id", BigIntegerField()) * ORG_ID_BOUND + F("org_id")
    padding = {f"kept_{m}": zero for m in counted}  # named apart from the pledge's fields
    # Two arms rather than one with OR: each is found through its own index (the pending
    # ones through (year, fulfilment, due_on), the shared ones through the member).
    late = by_child(
        Pledge.objects.filter(overdue, year=year),
        node=node,
        path="org__path",
        **padding,
        overdue=Count("pk"),
        places=zero,
        placed=zero,
    )
    shared_places = by_child(
        Pledge.objects.filter(shared, year=year),
        node=node,
        path="org__path",
        **padding,
        overdue=zero,
        places=Count(place, distinct=True),
        placed=Count("member", distinct=True),
    )
    # One statement for all three: the kept counts and the live ones, a row per child each.
    sums: dict[str, dict] = {}
    for row in kept.union(late, shared_places, all=True):
        values = sums.setdefault(row.pop("child"), dict.fromkeys((*counted, *live_keys), 0))
        for key, value in row.items():
            values[key.removeprefix("kept_")] += value or 0
    for values in sums.values():
        values["members"] -= values.pop("places") - values.pop("placed")
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
    """The 数据摘要's figures of 公开承诺 under *node* in *year*, from the kept tallies:
    one query."""
    values = tally_totals(
        ledger=TallyLedger.PLEDGES,
        year=year,
        node=node,
        metrics=("made", "done", "satisfied", "fairly_satisfied", "dissatisfied"),
    )
    values["satisfaction"] = satisfaction(values)
    return values
