"""换届 writes: an election with its candidates and the posts it fills, a postponement,
and the county's filing of a village secretary (with 一肩挑).

The rules of the 《中国共产党基层组织选举工作条例》 are checked here, before any row
is written: a refused election writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from branches.models import (
    COMMITTEE_TITLES,
    TERM_KINDS,
    Candidate,
    Election,
    Organization,
    Post,
    PostEndReason,
    PostTitle,
    TermPostponement,
    open_posts_q,
)
from branches.services import org_update, post_assign
from branches.terms.selectors import is_village_top

RULES = "《中国共产党基层组织选举工作条例》"


@dataclass(frozen=True)
class CandidateRow:
    """One candidate as the form gives it: a member of the organisation, a post, votes."""

    member: object  # members.Member (the tree cannot import the roster)
    title: str
    votes: int
    elected: bool = False
    line: int = 0  # the form's row, for the message; 0 when not from a form


def _where(row: CandidateRow) -> str:
    return f"第{row.line}行候选人{row.member.name}" if row.line else f"候选人{row.member.name}"


def _check_meeting(*, org: Organization, held_on: datetime.date, electors: int, present: int):
    if org.kind not in TERM_KINDS:
        raise ValidationError(
            f"{org.name}是{org.get_kind_display()}，不实行任期制，不登记换届选举。"
            "换届选举只登记在乡镇党委、基层党委、党总支和党支部。"
        )
    if org.dissolved_on is not None:
        raise ValidationError(f"{org.name}已于{org.dissolved_on:%Y-%m-%d}撤销，不能登记选举。")
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "选举日期不能晚于今天：请在选举后登记结果。"})
    if org.term_started_on and held_on < org.term_started_on:
        raise ValidationError(
            {
                "held_on": f"本届任期开始于{org.term_started_on:%Y-%m-%d}，"
                "不能登记更早的选举（以往各届的选举不改变现任班子）。"
            }
        )
    if electors < 1:
        raise ValidationError({"electors": "应到会有选举权党员数须大于0。"})
    if present > electors:
        raise ValidationError({"present": f"实到会{present}人，多于应到会{electors}人。"})
    if present * 5 <= electors * 4:
        needed = electors * 4 // 5 + 1
        raise ValidationError(
            {
                "present": f"按{RULES}，有选举权的到会人数须超过应到会人数的五分之四，"
                f"选举方为有效：应到会{electors}人，实到会{present}人，至少须到会{needed}人。"
                "本次选举无效，未登记。"
            }
        )


def _check_candidates(*, org: Organization, present: int, candidates: list[CandidateRow]) -> None:
    if not candidates:
        raise ValidationError("请至少登记一名候选人及其得票。")
    if not any(c.elected for c in candidates):
        raise ValidationError("没有勾选当选的候选人：请登记当选人。")
    seen: set[tuple[int, str]] = set()
    for row in candidates:
        if row.title not in COMMITTEE_TITLES:
            raise ValidationError(f"{_where(row)}：拟任职务只能是书记、副书记或委员。")
        # "active": members.choices.RosterStatus.ACTIVE, which the tree cannot import.
        branch = row.member.branch
        if not branch.path.startswith(org.path) or row.member.roster_status != "active":
            raise ValidationError(f"{_where(row)}不是{org.name}的在册党员。")
        if (row.member.pk, row.title) in seen:
            raise ValidationError(f"{_where(row)}对同一职务登记了两次。")
        seen.add((row.member.pk, row.title))
        if row.votes > present:
            raise ValidationError(
                f"{_where(row)}得票{row.votes}票，多于实到会有选举权的{present}人。"
            )
        if row.elected and row.votes * 2 <= present:
            raise ValidationError(
                f"按{RULES}，被选举人获得的赞成票超过实到会有选举权人数的一半，始得当选："
                f"{_where(row)}得票{row.votes}票，实到会{present}人，至少须得{present // 2 + 1}票。"
                "请核对得票数，或取消其当选。"
            )
    secretaries = [c for c in candidates if c.elected and c.title == PostTitle.SECRETARY]
    if len(secretaries) > 1:
        names = "、".join(c.member.name for c in secretaries)
        raise ValidationError(f"同一次选举只能选出一名书记，勾选了{len(secretaries)}名：{names}。")


@transaction.atomic
def election_record(
    *,
    org: Organization,
    held_on: datetime.date,
    by_election: bool,
    method: str,
    electors: int,
    present: int,
    approval_document: str = "",
    note: str = "",
    candidates: list[CandidateRow],
    by,
) -> Election:
    """Record an election and fill the posts it elected.

    A 换届选举 ends every committee post open on its date (离任原因 换届) and starts
    a new term on it; a 补选 ends only the open posts of the titles it filled.
    Each elected candidate gets a post from the election's date.
    """
    org = Organization.objects.select_for_update().get(pk=org.pk)
    _check_meeting(org=org, held_on=held_on, electors=electors, present=present)
    _check_candidates(org=org, present=present, candidates=candidates)
    election = Election(
        org=org,
        held_on=held_on,
        by_election=by_election,
        method=method,
        electors=electors,
        present=present,
        approval_document=approval_document,
        note=note,
        recorded_by=by,
    )
    election.full_clean()
    election.save()
    elected = [c for c in candidates if c.elected]
    titles = COMMITTEE_TITLES if not by_election else {c.title for c in elected}
    ending = list(Post.objects.filter(open_posts_q(held_on), org=org, title__in=titles))
    for post in ending:
        post.ended_on, post.end_reason = held_on, PostEndReason.ELECTION
        post.end_note = f"{held_on:%Y-%m-%d}{'补选' if by_election else '换届选举'}"
    Post.objects.bulk_update(ending, ["ended_on", "end_reason", "end_note"])
    for row in candidates:
        post = None
        if row.elected:
            post = post_assign(org=org, member=row.member, title=row.title, started_on=held_on)
        candidate = Candidate(
            election=election,
            member=row.member,
            title=row.title,
            votes=row.votes,
            elected=row.elected,
            post=post,
        )
        candidate.full_clean()
        candidate.save()
    if not by_election:
        org_update(org=org, term_started_on=held_on)
    return election


@transaction.atomic
def term_postpone(
    *,
    org: Organization,
    until: datetime.date,
    approved_on: datetime.date,
    document: str,
    reason: str,
    by,
) -> TermPostponement:
    """Record the superior committee's approval to hold the current term's election later."""
    if org.kind not in TERM_KINDS or org.dissolved_on is not None:
        raise ValidationError(f"{org.name}不实行任期制或已撤销，不能登记延期换届。")
    if org.term_started_on is None:
        raise ValidationError(
            f"{org.name}的本届任期开始日期未登记：请先在后台登记，或登记上次换届选举。"
        )
    if approved_on > timezone.localdate():
        raise ValidationError({"approved_on": "批准日期不能晚于今天。"})
    if until <= org.term_started_on:
        raise ValidationError(
            {"until": f"延期至的日期应晚于本届任期开始日期{org.term_started_on:%Y-%m-%d}。"}
        )
    postponement = TermPostponement(
        org=org,
        term_started_on=org.term_started_on,
        until=until,
        approved_on=approved_on,
        document=document,
        reason=reason,
        recorded_by=by,
    )
    postponement.full_clean()
    postponement.save()
    return postponement


@transaction.atomic
def post_file(
    *,
    post: Post,
    filed_on: datetime.date | None,
    filed_document: str,
    chairs_village_committee: bool,
) -> Post:
    """The county's filing (县级备案) of a village or community secretary, and 一肩挑."""
    # Only the post's row is locked: PostgreSQL locks no nullable side of a join (the parent).
    post = (
        Post.objects.select_for_update(of=("self",)).select_related("org__parent").get(pk=post.pk)
    )
    if post.title != PostTitle.SECRETARY or not is_village_top(post.org):
        raise ValidationError("县级备案和一肩挑只登记村（社区）党组织书记。")
    if post.ended_on is not None:
        raise ValidationError(f"该书记已于{post.ended_on:%Y-%m-%d}离任，不能再登记备案。")
    if filed_on and filed_on > timezone.localdate():
        raise ValidationError({"filed_on": "备案日期不能晚于今天。"})
    if filed_on and filed_on < post.started_on:
        raise ValidationError({"filed_on": f"备案日期不能早于任职日期{post.started_on:%Y-%m-%d}。"})
    post.filed_on, post.filed_document = filed_on, filed_document
    post.chairs_village_committee = chairs_village_committee
    post.full_clean()
    post.save()
    return post
