"""Writes of the 结对帮扶 ledger: a pairing made and ended, a visit recorded.

A member's visit also rewrites the member's derived 结对帮扶走访 points in the
same transaction, so the statement never shows points the visits do not.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from activities.ledgers.services import not_after_today
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import Difficulty, Pairing, PairingVisit, PartnerKind, TallyLedger
from activities.points.ledgers import pairing_visit_points_refresh
from branches.models import Organization, OrgKind
from members.models import Member


def _day(day: datetime.date) -> str:
    return f"{day:%Y年%-m月%-d日}"


def _lock(pairing: Pairing) -> None:
    """Hold the pairing's row and read its end again: a visit recorded while another clerk
    ends the pairing must see the end, and the end must see the visit."""
    pairing.ended_on = (
        Pairing.objects.select_for_update().values_list("ended_on", flat=True).get(pk=pairing.pk)
    )


@transaction.atomic
def pairing_create(
    *,
    org: Organization,
    member: Member | None,
    helper_unit: str,
    partner_kind: str,
    partner_name: str,
    address: str,
    difficulty: str,
    started_on: datetime.date,
    by,
) -> Pairing:
    """Pair *member* of the branch *org* (or the unit *helper_unit*) with a household or a
    village from *started_on*."""
    if org.kind != OrgKind.BRANCH or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的党支部：结对帮扶登记在党支部。"})
    helper_unit = helper_unit.strip()
    if (member is None) == (not helper_unit):
        raise ValidationError({"member": "请选择帮扶党员，或填写帮扶单位（只填一项）。"})
    if member is not None and (
        member.branch_id != org.pk or not Member.objects.active().filter(pk=member.pk).exists()
    ):
        raise ValidationError({"member": f"{member.name}不是{org.name}在册的党员。"})
    if partner_kind == PartnerKind.HOUSEHOLD and difficulty not in Difficulty.values:
        raise ValidationError({"difficulty": "困难户请选择困难类型。"})
    if partner_kind == PartnerKind.VILLAGE:
        difficulty = ""
    if not partner_name.strip():
        raise ValidationError({"partner_name": "请填写帮扶对象（户主姓名或村名）。"})
    not_after_today(started_on, "started_on", "结对日期")
    pairing = Pairing(
        org=org,
        member=member,
        helper_unit=helper_unit,
        partner_kind=partner_kind,
        partner_name=partner_name.strip(),
        address=address.strip(),
        difficulty=difficulty,
        started_on=started_on,
    )
    pairing.full_clean()
    pairing.save()
    return pairing


@transaction.atomic
def pairing_end(*, pairing: Pairing, ended_on: datetime.date, by) -> Pairing:
    """End the pairing (脱贫、调整或人员变动): *ended_on* is its last day."""
    _lock(pairing)
    if pairing.ended_on is not None:
        raise ValidationError({"ended_on": f"该结对已于{_day(pairing.ended_on)}结束。"})
    not_after_today(ended_on, "ended_on", "结束日期")
    if ended_on < pairing.started_on:
        raise ValidationError(
            {"ended_on": f"结束日期不能早于结对日期（{_day(pairing.started_on)}）。"}
        )
    # The visits stay where they are: ending before one of them would leave it outside.
    later = pairing.visits.filter(visited_on__gt=ended_on).order_by("-visited_on").first()
    if later is not None:
        raise ValidationError(
            {"ended_on": f"{_day(later.visited_on)}还有走访记录，结束日期不能早于它。"}
        )
    pairing.ended_on = ended_on
    pairing.full_clean()
    pairing.save()
    # A visited pairing is counted for the years it runs in: the end bounds them.
    years = {d.year for d in pairing.visits.dates("visited_on", "year")}
    if years:
        ledger_tally_refresh(ledger=TallyLedger.PAIRS, org_ids=[pairing.org_id], years=years)
    return pairing


@transaction.atomic
def visit_record(
    *,
    pairing: Pairing,
    visited_on: datetime.date,
    kind: str,
    help_given: str,
    value_note: str,
    by,
) -> PairingVisit:
    """Record a visit to the paired household or village, and rewrite the member's points."""
    _lock(pairing)
    not_after_today(visited_on, "visited_on", "走访日期")
    if visited_on < pairing.started_on:
        raise ValidationError(
            {"visited_on": f"走访日期不能早于结对日期（{_day(pairing.started_on)}）。"}
        )
    if pairing.ended_on is not None and visited_on > pairing.ended_on:
        raise ValidationError(
            {"visited_on": f"走访日期不能晚于结对结束日期（{_day(pairing.ended_on)}）。"}
        )
    if not help_given.strip():
        raise ValidationError({"help_given": "请填写帮扶内容（做了什么）。"})
    if pairing.member_id:
        # Two visits of one member saved at once would each rewrite the member's entries
        # from what they see; one at a time, the second sees both.
        list(Member.objects.select_for_update().filter(pk=pairing.member_id).values_list("pk"))
    visit = PairingVisit(
        pairing=pairing,
        visited_on=visited_on,
        kind=kind,
        help_given=help_given.strip(),
        value_note=value_note.strip(),
        recorded_by=by,
    )
    visit.full_clean()
    visit.save()
    ledger_tally_refresh(
        ledger=TallyLedger.PAIRS, org_ids=[pairing.org_id], years=[visited_on.year]
    )
    if pairing.member_id:
        pairing_visit_points_refresh(year=visited_on.year, member_ids=[pairing.member_id])
    return visit


@transaction.atomic
def pairing_visit_delete(*, visit: PairingVisit) -> None:
    """Take back a visit recorded by mistake; a member's 结对帮扶走访 points of its year
    follow in the same transaction (a unit's visits earn none)."""
    member_id, org_id = Pairing.objects.values_list("member_id", "org_id").get(pk=visit.pairing_id)
    visit.delete()
    ledger_tally_refresh(ledger=TallyLedger.PAIRS, org_ids=[org_id], years=[visit.visited_on.year])
    if member_id is not None:
        pairing_visit_points_refresh(year=visit.visited_on.year, member_ids=[member_id])
