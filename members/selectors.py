"""Reads of the member registry."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from branches.models import Organization, OrgKind
from branches.paths import subtree_q
from members.models import Member, Membership, Transfer


def members_of_org_on(*, org: Organization, on: datetime.date):
    """Members who belonged to *org* (a group, or anything in the subtree) on date *on*.

    Read from the dated membership history, so it answers for the past too:
    expected attendees of a meeting logged late, statistics as of 30 June.
    """
    rows = Membership.objects.on(on).filter(member=OuterRef("pk"))
    if org.kind == OrgKind.GROUP:
        rows = rows.filter(group=org)
    else:
        rows = rows.filter(subtree_q(org.path, prefix="branch__"))
    return Member.objects.filter(Exists(rows))


# --- 组织关系转接 ------------------------------------------------------------------

SENDING, RECEIVING = "sending", "receiving"


def _holds(user, org: Organization | None) -> bool:
    """Whether *org* is in *user*'s part of the tree (``branches.scoping``'s rule, in Python)."""
    if org is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.org_id is not None and org.path.startswith(user.org.path)


def transfer_sides(user, transfer: Transfer) -> frozenset[str]:
    """Which side of *transfer* the user is on: the sending branch's, the receiving node's, both."""
    sides = set()
    if _holds(user, transfer.from_branch):
        sides.add(SENDING)
    if _holds(user, transfer.to_org) or _holds(user, transfer.to_branch):
        sides.add(RECEIVING)
    return frozenset(sides)


def transfers_for(user):
    """The transfers *user* sees, with what their pages and the worklist show of them."""
    return Transfer.objects.visible_to(user).select_related(
        "member", "from_branch", "to_org", "to_branch"
    )


@dataclass
class TransferWork:
    """Open letters as the worklist lists them: to receive, awaiting a 回执, past validity."""

    incoming: list[Transfer]
    outgoing: list[Transfer]
    expired: list[Transfer]

    def __bool__(self) -> bool:
        return bool(self.incoming or self.outgoing or self.expired)


def transfer_work(*, user, root: Organization | None, today: datetime.date) -> TransferWork:
    """*user*'s open letters under *root* (their node when None). One query."""
    rows = transfers_for(user).open().order_by("valid_until", "pk")
    if root is not None:
        rows = rows.filter(
            subtree_q(root.path, prefix="from_branch__") | subtree_q(root.path, prefix="to_org__")
        )
    work = TransferWork([], [], [])
    for transfer in rows:
        if transfer.is_past_validity(today):
            work.expired.append(transfer)
        elif RECEIVING in transfer_sides(user, transfer) and transfer.kind == Transfer.Kind.WITHIN:
            work.incoming.append(transfer)
        else:
            work.outgoing.append(transfer)
    return work
