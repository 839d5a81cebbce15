"""Publishing a year's ratings, withdrawing a publication, and deciding ties at the bottom.

Publishing freezes a copy of the draft; what is frozen is what the
confirmation page showed (``draft_fingerprint``), or nothing. County staff
may withdraw a publication within ``RATING_WITHDRAW_DAYS``, with the reason
in the audit trail. Groups tied at the bottom of a ranking are last only as
a person decides (``last_rank_decide``); a year with undecided ties cannot
be published.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activities.models import GroupRank, LastRankDecision, Rating, RatingPublication
from activities.ratings.selectors import (
    draft_fingerprint,
    draft_node_of,
    publication_covering,
    publish_refusals,
)
from activities.ratings.services import rating_draft_compute, rating_tally_refresh
from branches.audit import acting_as
from branches.models import Organization

REASON_MAX = 200


def _reason(text: str, *, what: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError(f"请填写{what}。")
    if len(text) > REASON_MAX:
        raise ValidationError(f"{what}不能超过 {REASON_MAX} 个字（现有 {len(text)} 个）。")
    return text


def undecided_message(count: int) -> str:
    return (
        f"有 {count} 个党小组并列末位，尚未决定哪个（或哪些）为末位，不能发布："
        "请先在「并列末位」页作出决定并写明理由。"
    )


def rating_publish(
    *,
    node: Organization,
    year: int,
    by,
    confirmed: str | None = None,
    today: datetime.date | None = None,
) -> RatingPublication:
    """Publish *year* for *node*: recompute the draft and freeze a copy of it.

    *confirmed* is the ``draft_fingerprint`` the confirmation page showed.
    When the recomputed draft differs from it (someone logged or changed
    data in between), the fresh draft is kept, so the page now shows it,
    and nothing is published. A node is published once; a publication in
    force above or below it in the tree blocks it too, so no member is
    published twice.
    """
    if not by.has_perm("activities.publish_rating"):
        raise PermissionDenied("没有发布评星定级的权限。")
    today = today or timezone.localdate()
    refusals = publish_refusals(node=node, year=year, today=today)
    if refusals:
        raise ValidationError(refusals)
    with transaction.atomic():
        # Two people publishing the same node at once: the second waits here,
        # then finds the year published and is told so (not a database error).
        list(Organization.objects.select_for_update().filter(pk=node.pk).values_list("pk"))
        refusals = publish_refusals(node=node, year=year, today=today)
        if refusals:
            raise ValidationError(refusals)
        draft = rating_draft_compute(node=node, year=year, today=today)
        if confirmed is None or draft_fingerprint(node=node, year=year) == confirmed:
            undecided = sum(1 for r in draft.ranks if r.tied and r.decision_id is None)
            if undecided:
                raise ValidationError(undecided_message(undecided))
            return _freeze(node=node, year=year, by=by, draft=draft)
    raise ValidationError(
        "发布前按当前数据重新计算的结果与确认页所示不同（其间有人登记或修改了数据），"
        "本次没有发布。请核对更新后的确认页，再确认发布。"
    )


def _freeze(*, node, year, by, draft) -> RatingPublication:
    with acting_as(by, f"发布{year}年度评星定级"):
        publication = RatingPublication.objects.create(
            year=year,
            org=node,
            published_by=by,
            published_at=timezone.now(),
            member_count=len(draft.ratings),
        )
    for row in draft.ratings + draft.ranks:
        row.pk, row.publication = None, publication
    Rating.objects.bulk_create(draft.ratings, batch_size=2000)
    GroupRank.objects.bulk_create(draft.ranks, batch_size=2000)
    rating_tally_refresh(year=year, publication=publication, where=Q())
    return publication


@transaction.atomic
def rating_withdraw(*, node: Organization, year: int, by, reason: str) -> RatingPublication:
    """Withdraw the publication of *year* made at *node*, within the withdrawal period.

    The publication and its frozen rows stay, marked withdrawn, as the
    record of what was published; the year counts as unpublished again (the
    draft pages show the draft) and may be published anew. The reason goes
    into the publication's history with the user.
    """
    if not by.has_perm("activities.publish_rating"):
        raise PermissionDenied("没有撤回评星定级发布的权限。")
    reason = _reason(reason, what="撤回理由")
    # Locked, so two withdrawals (or a withdrawal and a re-publication) cannot interleave.
    publication = (
        RatingPublication.objects.in_force()
        .select_for_update(of=("self",))
        .filter(year=year, org=node)
        .order_by("pk")  # not the default ordering's join to the tree, which would lock it too
        .first()
    )
    if publication is None:
        covering = publication_covering(node=node, year=year)
        if covering is not None:
            raise ValidationError(
                f"{year}年度评星定级是按「{covering.org.name}」发布的，请到该组织的页面撤回。"
            )
        raise ValidationError(f"「{node.name}」{year}年度评星定级尚未发布，无需撤回。")
    now = timezone.now()
    if now > publication.withdrawable_until:
        raise ValidationError(
            f"{year}年度评星定级于 {timezone.localtime(publication.published_at):%Y-%m-%d} 发布，"
            f"撤回期限（{settings.RATING_WITHDRAW_DAYS} 天，至 "
            f"{timezone.localtime(publication.withdrawable_until):%Y-%m-%d %H:%M}）已过，"
            "发布结果为最终结果，不能撤回。"
        )
    publication.withdrawn_at, publication.withdrawn_by = now, by
    publication.withdraw_reason = reason
    with acting_as(by, f"撤回{year}年度评星定级：{reason}"):
        publication.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    return publication


@transaction.atomic
def last_rank_decide(
    *,
    unit: Organization,
    year: int,
    last_group_ids: list[int],
    reason: str,
    by,
    today: datetime.date | None = None,
) -> LastRankDecision:
    """Record which of the groups tied at the bottom of *unit*'s ranking are last, and why.

    *unit* is the ranking's scope (a township, or a branch when the rule
    ranks within branches); none, some or all of the tied groups may be
    chosen. The draft of the township is then recomputed, so the members'
    caps follow the decision.
    """
    if not by.has_perm("activities.compute_rating"):
        raise PermissionDenied("没有决定末位党小组的权限。")
    reason = _reason(reason, what="决定理由")
    published = publication_covering(node=unit, year=year)
    if published is not None:
        raise ValidationError(
            f"{year}年度评星定级已按「{published.org.name}」发布，末位决定随发布冻结；"
            "如需更改，请先由县委组织部在撤回期限内撤回发布。"
        )
    tied = sorted(
        GroupRank.objects.filter(
            year=year, scope_org=unit, publication__isnull=True, tied=True
        ).values_list("group_id", flat=True)
    )
    if not tied:
        raise ValidationError(
            f"「{unit.name}」{year}年度的排名目前没有并列末位的党小组（草稿可能已重新计算），"
            "请刷新页面查看。"
        )
    chosen = sorted(set(last_group_ids))
    if not set(chosen) <= set(tied):
        raise ValidationError("所选的党小组不在并列末位之列，请刷新页面后重新选择。")
    with acting_as(by, f"决定{year}年度并列末位：{reason}"):
        decision = LastRankDecision.objects.create(
            year=year,
            scope_org=unit,
            tied_group_ids=tied,
            last_group_ids=chosen,
            reason=reason,
            decided_by=by,
            decided_at=timezone.now(),
        )
    rating_draft_compute(node=draft_node_of(unit), year=year, today=today)
    return decision
