"""Reads of the member registry."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef

from branches.models import Organization, OrgKind
from branches.paths import subtree_q
from members.models import Member, Membership


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
