"""Writes of the 谈心谈话 ledger: a talk between two members of a branch, logged.

No points follow from a talk: the issue asks for none.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from activities.ledgers.services import day_label, not_after_today
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import Talk, TallyLedger
from branches.models import Organization, OrgKind
from members.models import Member, Membership


@transaction.atomic
def talk_record(
    *,
    org: Organization,
    initiator: Member,
    partner: Member,
    talked_on: datetime.date,
    summary: str = "",
    by,
) -> Talk:
    """Log a talk *initiator* sought with *partner* on *talked_on*; both belonged to the
    branch *org* that day (from the dated membership history)."""
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：谈心谈话登记在党支部。"})
    not_after_today(talked_on, "talked_on", "谈话日期")
    if initiator.pk == partner.pk:
        raise ValidationError({"partner": "谈话人和谈话对象不能是同一名党员。"})
    there = set(
        Membership.objects.on(talked_on)
        .filter(branch=org, member_id__in=(initiator.pk, partner.pk))
        .values_list("member_id", flat=True)
    )
    for field, member in (("initiator", initiator), ("partner", partner)):
        if member.pk not in there:
            raise ValidationError(
                {field: f"{member.name}在{day_label(talked_on)}不是{org.name}的党员。"}
            )
    talk = Talk(
        org=org,
        talked_on=talked_on,
        initiator=initiator,
        partner=partner,
        summary=summary.strip(),
        recorded_by=by,
    )
    talk.full_clean()
    talk.save()
    ledger_tally_refresh(
        ledger=TallyLedger.TALKS,
        org_ids=[org.pk],
        member_ids=[initiator.pk, partner.pk],
        years=[talked_on.year],
    )
    return talk


@transaction.atomic
def talk_delete(*, talk: Talk) -> None:
    """Take back a talk logged by mistake (the admin's 删除); its history row keeps it."""
    talk.delete()
    ledger_tally_refresh(
        ledger=TallyLedger.TALKS,
        org_ids=[talk.org_id],
        member_ids=[talk.initiator_id, talk.partner_id],
        years=[talk.talked_on.year],
    )
