"""Demo 小组月报: the groups' monthly reports, the branches' quarter summaries and each
township's 经验交流会, as a county keeps them.

Most groups report most months: each group in being reports about nine months in
ten of those ended this year, most by the 10th of the month after (on time), a few
later in that month. Every branch with groups sums up each quarter ended, within
two weeks after it. Each township holds one 经验交流会 in the year, in a month
already past, at which three to five of its groups present.

Reports and summaries are bulk-written without history rows, like the rest of the
demo; the 经验交流会 goes through the meetings' own service (``exchange_log``), so
its tally is kept as any meeting's.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from activities.cadence import owes_from_expression
from activities.ledgers.grouprep.selectors import report_deadline
from activities.ledgers.grouprep.services import exchange_log
from activities.models import BranchSummary, GroupReport
from branches.dated import months_later
from branches.models import Organization, OrgKind
from branches.paths import subtree_q

REPORTING = 0.9
ON_TIME = 0.85

ACTIVITIES = (
    "召开党小组会，学习党的二十届三中全会精神",
    "开展主题党日，清理村道和沟渠垃圾",
    "集中学习《中国共产党农村基层组织工作条例》",
    "组织收看党员教育电视片并交流体会",
    "围绕农忙开展党员互助帮扶",
    "组织党员为困难户义务劳动",
    "学习新修订的《中国共产党纪律处分条例》",
)
MEMBERS = (
    "党员入户宣传医保、养老保险政策",
    "设岗党员参与调解邻里矛盾",
    "结对党员走访慰问困难户",
    "无职党员参与人居环境整治",
    "流动党员通过微信群参加学习",
    "老党员为村里发展建言献策",
)
PROBLEMS = (
    "个别外出党员参学不够经常",
    "学习形式较单一",
    "部分年老党员参加活动有困难",
    "党员发挥作用还不够均衡",
)
PLANS = (
    "组织党员开展志愿服务",
    "继续入户走访，收集群众诉求",
    "组织学习党规党纪",
    "配合村委做好防汛和秋收准备",
    "开展党员积分评议",
    "督促党员兑现公开承诺",
)
SUMMARIES = (
    "各党小组能按月召开党小组会，党员参会积极",
    "党员公开承诺、设岗定责稳步推进",
    "结对帮扶走访经常化，群众满意度较高",
    "组织生活质量有所提升，学习形式更加多样",
)


def _at(rng: random.Random, day: datetime.date) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(8, 20), rng.randint(0, 59)))
    return timezone.make_aware(moment)


def _work(rng: random.Random) -> str:
    done, members = rng.sample(ACTIVITIES, 2), rng.choice(MEMBERS)
    text = f"本月{done[0]}；{done[1]}；{members}。"
    if rng.random() < 0.3:
        text += f"存在问题：{rng.choice(PROBLEMS)}。"
    return text


def build_grouprep(*, rng: random.Random, today: datetime.date, users) -> dict[str, int]:
    """This year's group reports, branch summaries and 经验交流会; returns the counts."""
    by = users["admin"]
    year = today.year
    this_month = today.replace(day=1)
    months = [datetime.date(year, m, 1) for m in range(1, this_month.month)]
    groups = list(
        Organization.objects.filter(kind=OrgKind.GROUP)
        .annotate(owes_from=owes_from_expression())
        .order_by("path")
        .values_list("pk", "parent_id", "owes_from", "dissolved_on")
    )
    reports: list[GroupReport] = []
    by_branch: dict[int, list[int]] = {}
    for pk, branch_id, owes_from, dissolved_on in groups:
        by_branch.setdefault(branch_id, []).append(pk)
        for month in months:
            if owes_from >= months_later(month, 1) or (dissolved_on and dissolved_on < month):
                continue
            if rng.random() >= REPORTING:
                continue
            deadline = report_deadline(month)
            if rng.random() < ON_TIME:
                day = month_day(rng, months_later(month, 1), deadline)
            else:
                day = month_day(rng, deadline + datetime.timedelta(days=1), months_later(month, 2))
            day = min(day, today)
            reports.append(
                GroupReport(
                    org_id=pk,
                    month=month,
                    work=_work(rng),
                    plans=f"下月{rng.choice(PLANS)}。",
                    submitted_by=by,
                    submitted_at=_at(rng, day),
                    on_time=day <= deadline,
                )
            )
    GroupReport.objects.bulk_create(reports, batch_size=2000, audit=False)
    summaries = _summaries(rng, today, by_branch, reports, by)
    exchanges, presented = _exchanges(rng, today, by)
    return {
        "group_reports": len(reports),
        "branch_summaries": summaries,
        "exchanges": exchanges,
        "exchange_groups": presented,
    }


def month_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    """A day from *first* up to *last* (inclusive; the day before *last* when it is the
    first of a month)."""
    if last.day == 1:
        last -= datetime.timedelta(days=1)
    return first + datetime.timedelta(days=rng.randint(0, max((last - first).days, 0)))


def _summaries(rng, today, by_branch, reports, by) -> int:
    reported: dict[tuple[int, datetime.date], int] = {}
    group_branch = {g: b for b, gs in by_branch.items() for g in gs}
    for report in reports:
        quarter = report.month.replace(month=3 * ((report.month.month - 1) // 3) + 1)
        key = (group_branch[report.org_id], quarter)
        reported[key] = reported.get(key, 0) + 1
    rows = []
    for quarter in (datetime.date(today.year, m, 1) for m in (1, 4, 7, 10)):
        end = months_later(quarter, 3)
        if end > today:
            continue
        for branch_id, group_ids in by_branch.items():
            n = reported.get((branch_id, quarter), 0)
            day = min(end + datetime.timedelta(days=rng.randint(0, 13)), today)
            good = "；".join(rng.sample(SUMMARIES, 2))
            text = (
                f"本季度{len(group_ids)}个党小组共提交月度报告{n}份。{good}。"
                f"下季度重点：{rng.choice(PLANS)}。"
            )
            rows.append(
                BranchSummary(
                    org_id=branch_id,
                    quarter=quarter,
                    text=text,
                    submitted_by=by,
                    submitted_at=_at(rng, day),
                )
            )
    BranchSummary.objects.bulk_create(rows, batch_size=2000, audit=False)
    return len(rows)


def _exchanges(rng, today, by) -> tuple[int, int]:
    """One 经验交流会 per township, on a day already past this year, 3–5 groups presenting."""
    first = datetime.date(today.year, 1, 10)
    last = min(today - datetime.timedelta(days=1), timezone.localdate())
    if last < first:
        return 0, 0
    held, presented = 0, 0
    for township in Organization.objects.filter(
        kind=OrgKind.TOWNSHIP, dissolved_on__isnull=True
    ).order_by("path"):
        groups = list(
            Organization.objects.filter(
                subtree_q(township.path), kind=OrgKind.GROUP, dissolved_on__isnull=True
            ).order_by("path")
        )
        if len(groups) < 3:
            continue
        chosen = rng.sample(groups, min(len(groups), rng.randint(3, 5)))
        exchange_log(
            township=township,
            held_on=first + datetime.timedelta(days=rng.randint(0, (last - first).days)),
            topic=f"{township.name}党小组工作经验交流会",
            place=f"{township.short_name or township.name}党群服务中心",
            host=f"{township.name}书记",
            groups=sorted(chosen, key=lambda g: g.path),
            by=by,
        )
        held += 1
        presented += len(chosen)
    return held, presented
