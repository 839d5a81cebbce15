"""Writes of the groups' reporting routine: a group's monthly report, a branch's quarter
summary, and the township's 经验交流会 with the groups that presented.

A report is submitted once: it is what went to the branch (or to the township),
so a second report of the same month (or quarter) is refused rather than
overwriting the first. Reports are for months and quarters begun, never ahead.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from activities import services as meetings
from activities.ledgers.grouprep.selectors import report_deadline
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import (
    REPORT_TEXT_MAX,
    Activity,
    ActivityKind,
    BranchSummary,
    ExchangePresentation,
    GroupReport,
    TallyLedger,
)
from branches.models import Organization, OrgKind
from branches.paths import subtree_q


def _month(month: datetime.date) -> str:
    return f"{month:%Y年%-m月}"


def _quarter(quarter: datetime.date) -> str:
    return f"{quarter.year}年第{(quarter.month - 1) // 3 + 1}季度"


def _lock(org: Organization) -> None:
    # Two submissions of one period at once would both see none: one at a time per node.
    list(Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk"))


def _bounded(**texts: str) -> None:
    # The model's TextField keeps no length of its own: the bound is checked here.
    for field, text in texts.items():
        if len(text.strip()) > REPORT_TEXT_MAX:
            raise ValidationError({field: f"不能超过{REPORT_TEXT_MAX}字。"})


def _live(org: Organization, kind: str, label: str) -> None:
    if org.kind != kind or org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}不是在册的{label}。"})


@transaction.atomic
def group_report_submit(
    *, org: Organization, month: datetime.date, work: str, plans: str = "", by
) -> GroupReport:
    """Submit the group *org*'s report for *month* (any day of it): what was done, what
    is planned. Refused for a month not begun, and for a month already reported."""
    _live(org, OrgKind.GROUP, "党小组")
    month = month.replace(day=1)
    today = timezone.localdate()
    if month > today:
        raise ValidationError({"month": f"{_month(month)}还没有开始，不能提交月度报告。"})
    if not work.strip():
        raise ValidationError({"work": "请填写本月工作情况。"})
    _bounded(work=work, plans=plans)
    _lock(org)
    done = GroupReport.objects.filter(org=org, month=month).first()
    if done is not None:
        raise ValidationError(
            {
                "month": f"{org.name}{_month(month)}的月度报告已于"
                f"{timezone.localtime(done.submitted_at):%Y年%-m月%-d日}提交，不能重复提交。"
            }
        )
    report = GroupReport(
        org=org,
        month=month,
        work=work.strip(),
        plans=plans.strip(),
        submitted_by=by,
        submitted_at=timezone.now(),
        on_time=today <= report_deadline(month),
    )
    report.full_clean()
    report.save()
    ledger_tally_refresh(ledger=TallyLedger.GROUPREP, org_ids=[org.pk], years=[month.year])
    return report


@transaction.atomic
def branch_summary_submit(
    *, org: Organization, quarter: datetime.date, text: str, by
) -> BranchSummary:
    """Submit the branch *org*'s summary of the quarter holding *quarter*. Refused for a
    quarter not begun, and for a quarter already summed up."""
    _live(org, OrgKind.BRANCH, "党支部")
    quarter = datetime.date(quarter.year, 3 * ((quarter.month - 1) // 3) + 1, 1)
    if quarter > timezone.localdate():
        raise ValidationError({"quarter": f"{_quarter(quarter)}还没有开始，不能提交小结。"})
    if not text.strip():
        raise ValidationError({"text": "请填写季度小结。"})
    _bounded(text=text)
    _lock(org)
    if BranchSummary.objects.filter(org=org, quarter=quarter).exists():
        raise ValidationError(
            {"quarter": f"{org.name}{_quarter(quarter)}的小结已提交，不能重复提交。"}
        )
    summary = BranchSummary(
        org=org, quarter=quarter, text=text.strip(), submitted_by=by, submitted_at=timezone.now()
    )
    summary.full_clean()
    summary.save()
    return summary


@transaction.atomic
def exchange_log(
    *,
    township: Organization,
    held_on: datetime.date,
    topic: str,
    groups: list[Organization],
    by,
    **fields,
) -> Activity:
    """Log the township's 经验交流会 held on *held_on* with the *groups* that presented.

    The meeting is an ``Activity`` of kind ``EXCHANGE`` saved through the meetings'
    own service (its tally and history as any meeting's); nobody is expected, so it
    moves no attendance rate and no points. Every group must be a live 党小组 under
    the township; at least one presented.
    """
    if township.kind != OrgKind.TOWNSHIP:
        raise ValidationError({"org": f"{township.name}不是乡镇党委：经验交流会由乡镇党委召开。"})
    if not groups:
        raise ValidationError({"groups": "请选择交流发言的党小组。"})
    under = set(
        Organization.objects.filter(
            subtree_q(township.path), kind=OrgKind.GROUP, dissolved_on__isnull=True
        )
        .filter(pk__in=[g.pk for g in groups])
        .values_list("pk", flat=True)
    )
    strangers = [g.name for g in groups if g.pk not in under]
    if strangers:
        raise ValidationError(
            {"groups": f"{'、'.join(strangers)}不是{township.name}在册的党小组。"}
        )
    activity = meetings.activity_log(
        org=township,
        kind=ActivityKind.EXCHANGE,
        held_on=held_on,
        marks=[],
        recorded_by=by,
        topic=topic,
        **fields,
    )
    for group in groups:  # a few groups; each saved with its history row
        row = ExchangePresentation(activity=activity, group=group)
        row.full_clean()
        row.save()
    return activity
