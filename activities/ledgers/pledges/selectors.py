"""Reads of the 公开承诺 ledger: the scoped list with its filters, the yearly summary of a
node by child (drill-down), and the 数据摘要's figures, summed in the database.

The list page, its export and its print read ``pledge_rows``; the summary page
reads ``pledge_summary``, the 数据摘要 ``pledge_totals``: the same numbers everywhere.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum

from activities.ledgers.selectors import LedgerSummary, rolled_up, summed_by_child
from activities.models import Fulfilment, Pledge
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
