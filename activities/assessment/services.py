"""Writes of the assessment: a 述职评议会 and its reports, the year's grades of a
township's organisations (all or none), and ending a last-ranked group leader's post."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activities.assessment.selectors import GradeRow, last_rank_in_force, open_leader_posts
from activities.models import (
    GradeLevel,
    GroupRank,
    OrgGrade,
    SecretaryReport,
    SecretaryReportMeeting,
)
from branches.models import COMMITTEE_KINDS, Organization, Post, PostEndReason
from members.models import Member

# The county's rule the removal applies, as the confirmation page and the post's note say it.
LAST_RANK_RULE = "年度排名末位的党小组，撤销党小组长职务"


def report_meeting_create(
    *,
    org: Organization,
    year: int,
    quarter: int | None,
    held_on: datetime.date,
    evaluators: int,
    note: str,
    by,
) -> SecretaryReportMeeting:
    """Record a 述职评议会 held by a township, 工委 or 基层党委."""
    if org.kind not in COMMITTEE_KINDS:
        raise ValidationError(
            {"org": "述职评议会由乡镇党委、工委或基层党委召开，请选择这一级组织。"}
        )
    if not org.is_live:
        raise ValidationError({"org": f"「{org.name}」已撤销，不能登记述职评议会。"})
    # A year's reports are heard during the year or early the next (年初述职).
    if held_on.year not in (year, year + 1):
        raise ValidationError(
            {"held_on": f"召开日期应在{year}年或{year + 1}年内（述职年度为{year}年）。"}
        )
    meeting = SecretaryReportMeeting(
        org=org,
        year=year,
        quarter=quarter,
        held_on=held_on,
        evaluators=evaluators,
        note=note,
        recorded_by=by,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@dataclass
class Votes:
    good: int = 0
    fairly_good: int = 0
    average: int = 0
    poor: int = 0


def secretary_report_add(
    *,
    meeting: SecretaryReportMeeting,
    org: Organization,
    secretary: Member,
    summary: str,
    votes: Votes,
    evaluation: str,
) -> SecretaryReport:
    """One secretary's report at *meeting*: the reporting organisation sits directly
    under the committee that held it, and the votes are at most the evaluators."""
    if org.parent_id != meeting.org_id:
        raise ValidationError(
            {"org": f"「{org.name}」不是「{meeting.org.name}」的直属党组织，不能在本次会议述职。"}
        )
    if not org.is_live:
        raise ValidationError({"org": f"「{org.name}」已撤销，不能登记述职。"})
    report = SecretaryReport(
        meeting=meeting,
        org=org,
        secretary=secretary,
        summary=summary,
        good=votes.good,
        fairly_good=votes.fairly_good,
        average=votes.average,
        poor=votes.poor,
        evaluation=evaluation,
    )
    if report.votes > meeting.evaluators:
        # Before full_clean, whose message names no figures.
        raise ValidationError(
            {
                "good": f"「{org.name}」的票数合计 {report.votes} 票，"
                f"多于本次会议参加评议人数 {meeting.evaluators} 人。"
            }
        )
    report.full_clean()
    report.save()
    return report


@dataclass
class GradeChoice:
    """What a person chose for one row of the grading page."""

    row: GradeRow
    level: GradeLevel
    reasons: str


def reasons_needed(*, level: GradeLevel, suggested: GradeLevel | None) -> bool:
    """A grade departing from the suggestion, and any lagging grade, must say why."""
    return level.lagging or suggested is None or level.pk != suggested.pk


def agreed_reasons(row: GradeRow) -> str:
    """The reasons kept for a grade that follows the suggestion without a word added: the
    figures it follows (the model asks for reasons on every grade)."""
    compliance = f"{row.compliance * 100:.1f}%" if row.compliance is not None else "无"
    stars = str(row.stars) if row.stars is not None else "无"
    if row.ranked:
        last = "有末位党小组" if row.last_groups else "无末位党小组"
    else:
        last = "无党小组排名"
    return f"按建议等次：组织生活完成率{compliance}，党员平均星级{stars}，{last}。"


@transaction.atomic
def org_grades_save(
    *, year: int, choices: list[GradeChoice], stars_source: str, by
) -> list[OrgGrade]:
    """Save the grades a person confirmed: every row, or none when one is refused.

    Each grade keeps the suggestion and the figures it was made from, so a
    grade that departs from the data shows that it does, and why.
    """
    errors: dict[str, list[str]] = {}
    for choice in choices:
        if reasons_needed(level=choice.level, suggested=choice.row.suggested) and not (
            choice.reasons.strip()
        ):
            suggested = choice.row.suggested.name if choice.row.suggested else "无"
            errors[f"reasons_{choice.row.org.pk}"] = [
                f"「{choice.row.org.label}」定为{choice.level.name}（建议等次：{suggested}），"
                "请填写定级理由。"
            ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    existing = {
        g.org_id: g
        for g in OrgGrade.objects.select_for_update().filter(
            org__in=[c.row.org for c in choices], year=year
        )
    }
    saved = []
    for choice in choices:
        grade = existing.get(choice.row.org.pk) or OrgGrade(org=choice.row.org, year=year)
        grade.level = choice.level
        grade.reasons = choice.reasons.strip() or agreed_reasons(choice.row)
        grade.suggested = choice.row.suggested
        grade.basis = choice.row.basis(stars_source=stars_source)
        grade.graded_by = by
        grade.graded_at = now
        try:
            grade.full_clean()
        except ValidationError as error:
            raise ValidationError(
                {
                    f"reasons_{choice.row.org.pk}": [
                        f"「{choice.row.org.label}」：{m}" for m in error.messages
                    ]
                }
            ) from error
        grade.save()
        saved.append(grade)
    return saved


@transaction.atomic
def group_leader_remove(*, rank: GroupRank, on: datetime.date, by) -> Post:
    """End the post of the leader of a group ranked last in a publication in force.

    The county's rule (``LAST_RANK_RULE``): the group's open 党小组长 post ends
    on *on*, reason 撤销职务, with a note naming the year's ranking. Refused
    when the group is not last in a publication in force, or its leader's
    post has already ended.
    """
    group = rank.group
    current = last_rank_in_force(group=group, year=rank.year)
    if current is None or current.pk != rank.pk:
        raise ValidationError(
            f"「{group.name}」不是{rank.year}年度已发布（未撤回）排名中的末位党小组，不能按末位规则撤销党小组长职务。"
        )
    posts = list(open_leader_posts(group=group).select_for_update().order_by("-started_on", "-pk"))
    if rank.leader_id:
        posts = [p for p in posts if p.member_id == rank.leader_id] or posts
    if not posts:
        raise ValidationError(
            f"「{group.name}」的党小组长职务已经结束（或未设党小组长），无需再撤销。"
        )
    post = posts[0]
    if on > timezone.localdate():
        raise ValidationError({"on": "离任日期不能晚于今天：请在作出撤销决定后登记。"})
    if on < post.started_on:
        raise ValidationError({"on": f"离任日期不能早于任职日期（{post.started_on:%Y-%m-%d}）。"})
    post.ended_on = on
    post.end_reason = PostEndReason.REMOVED
    post.end_note = (
        f"{rank.year}年度党小组排名末位（第{rank.rank}/{rank.group_count}名），{LAST_RANK_RULE}"[
            :200
        ]
    )
    post.full_clean()
    post.save()
    return post
