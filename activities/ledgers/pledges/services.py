"""Writes of the 公开承诺 ledger: a pledge made, commented on by a leader (领导点评),
assessed by the villagers (群众评议) and fulfilled (践诺).

Each step is one row's write; fulfilment also rewrites the member's derived
兑现公开承诺 points in the same transaction, so the statement never shows a
pledge's points that its ledger row does not.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from activities.ledgers.services import not_after_today
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import Fulfilment, Pledge, TallyLedger
from activities.points.ledgers import pledge_points_refresh
from branches.models import Organization, OrgKind
from members.models import Member

# Who pledges as an organisation: the branches and the committees above them in a village.
PLEDGING_ORG_KINDS = (
    OrgKind.PRIMARY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.GROUP,
)


def _not_before_made(pledge: Pledge, day: datetime.date, field: str, label: str) -> None:
    if day < pledge.made_on:
        raise ValidationError(
            {field: f"{label}不能早于公开承诺日期（{pledge.made_on:%Y年%-m月%-d日}）。"}
        )


def _save(pledge: Pledge, *, placed: bool = False) -> Pledge:
    """Save the pledge and recount its organisation's tally of the year; when it was
    just *placed*, also its member's count of the organisations they pledged in."""
    pledge.full_clean()
    pledge.save()
    ledger_tally_refresh(
        ledger=TallyLedger.PLEDGES,
        org_ids=[pledge.org_id],
        member_ids=[pledge.member_id] if placed and pledge.member_id else (),
        years=[pledge.year],
    )
    return pledge


@transaction.atomic
def pledge_create(
    *,
    org: Organization,
    member: Member | None,
    made_on: datetime.date,
    category: str,
    text: str,
    due_on: datetime.date,
    by,
) -> Pledge:
    """Record a pledge made public on *made_on*, by *member* of *org* or by *org* itself.

    A member's pledge is kept where the member is (their group, or their
    branch outside any group), so the group's month report finds it.
    """
    not_after_today(made_on, "made_on", "公开承诺日期")
    if member is not None:
        if member.branch_id != org.pk and member.group_id != org.pk:
            raise ValidationError({"member": f"{member.name}不是{org.name}的党员。"})
        org_id = member.group_id or member.branch_id
    else:
        if org.kind not in PLEDGING_ORG_KINDS:
            raise ValidationError({"member": f"{org.name}不是基层党组织：请选择承诺的党员。"})
        org_id = org.pk
    if due_on < made_on:
        raise ValidationError({"due_on": "完成时限不能早于公开承诺日期。"})
    pledge = Pledge(
        org_id=org_id,
        member=member,
        year=made_on.year,
        made_on=made_on,
        category=category,
        text=text.strip(),
        due_on=due_on,
        recorded_by=by,
    )
    return _save(pledge, placed=True)


@transaction.atomic
def pledge_comment(
    *, pledge: Pledge, comment_by: str, comment_on: datetime.date, comment: str, by
) -> Pledge:
    """Record the leader's comment (领导点评) on the pledge: who, when, what."""
    not_after_today(comment_on, "comment_on", "点评日期")
    _not_before_made(pledge, comment_on, "comment_on", "点评日期")
    pledge.comment_by, pledge.comment_on, pledge.comment = (
        comment_by.strip(),
        comment_on,
        comment.strip(),
    )
    return _save(pledge)


@transaction.atomic
def pledge_assess(
    *,
    pledge: Pledge,
    assessed_on: datetime.date,
    satisfied: int,
    fairly_satisfied: int,
    dissatisfied: int,
    by,
) -> Pledge:
    """Record the villagers' assessment (群众评议): how many judged it 满意, 基本满意, 不满意."""
    not_after_today(assessed_on, "assessed_on", "群众评议日期")
    _not_before_made(pledge, assessed_on, "assessed_on", "群众评议日期")
    if satisfied + fairly_satisfied + dissatisfied == 0:
        raise ValidationError({"satisfied": "请填写参加评议的人数（满意、基本满意、不满意）。"})
    pledge.assessed_on = assessed_on
    pledge.satisfied, pledge.fairly_satisfied, pledge.dissatisfied = (
        satisfied,
        fairly_satisfied,
        dissatisfied,
    )
    return _save(pledge)


@transaction.atomic
def pledge_fulfil(
    *, pledge: Pledge, fulfilment: str, fulfilled_on: datetime.date, evidence: str, by
) -> Pledge:
    """Record how the pledge was kept (践诺), and rewrite the member's derived points."""
    if fulfilment not in (Fulfilment.DONE, Fulfilment.PARTLY, Fulfilment.NOT):
        raise ValidationError({"fulfilment": "请选择已兑现、部分兑现或未兑现。"})
    not_after_today(fulfilled_on, "fulfilled_on", "兑现日期")
    _not_before_made(pledge, fulfilled_on, "fulfilled_on", "兑现日期")
    if not evidence.strip():
        raise ValidationError({"evidence": "请说明兑现情况（做了什么、效果如何）。"})
    if pledge.member_id:
        # Two of a member's pledges fulfilled at the same moment would each rewrite the
        # member's entries from what they see: one at a time, the second sees both.
        list(Member.objects.select_for_update().filter(pk=pledge.member_id).values_list("pk"))
    before = pledge.fulfilled_on
    pledge.fulfilment, pledge.fulfilled_on, pledge.evidence = (
        fulfilment,
        fulfilled_on,
        evidence.strip(),
    )
    _save(pledge)
    if pledge.member_id:
        years = {fulfilled_on.year} | ({before.year} if before else set())
        for year in sorted(years):
            pledge_points_refresh(year=year, member_ids=[pledge.member_id])
    return pledge
