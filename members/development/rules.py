"""The time limits and counts of the 发展党员工作细则 (2014), one function per rule.

Each check returns what it finds broken as ``(rule, message)``, the message
naming the rule and the dates; ``members.development.services`` refuses a
step while any finding is not covered by a ``Waiver`` the county recorded.
Checks on order (a talk before the application) and on votes cannot be
waived: they are what a valid record is.
"""

from __future__ import annotations

import datetime

from members.dates import eighteenth_birthday, months_later
from members.models import CalendarDay, Rule

TALK_MONTHS = 1
ACTIVIST_YEARS = 1
ASSESSMENT_MONTHS = 6
TRAINING_DAYS, TRAINING_HOURS = 3, 24
APPROVAL_MONTHS, APPROVAL_MONTHS_SPECIAL = 3, 6
PROBATION_MONTHS = 12
EXTENSION_MONTHS = (6, 12)

Finding = tuple[str, str]


def ymd(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def age(birth: datetime.date | None, applied_on: datetime.date) -> list[Finding]:
    if birth is None or eighteenth_birthday(birth) <= applied_on:
        return []
    return [
        (
            Rule.AGE,
            f"递交入党申请书时须年满十八周岁：{ymd(applied_on)}申请，"
            f"{ymd(eighteenth_birthday(birth))}才满十八周岁。",
        )
    ]


def talk(applied_on: datetime.date, talk_on: datetime.date) -> list[Finding]:
    due = months_later(applied_on, TALK_MONTHS)
    if talk_on <= due:
        return []
    return [
        (
            Rule.TALK,
            f"党组织应在收到入党申请书后一个月内派人谈话：{ymd(applied_on)}申请，"
            f"应在{ymd(due)}前谈话，谈话日期为{ymd(talk_on)}。",
        )
    ]


def activist_year(activist_on: datetime.date, candidate_on: datetime.date) -> list[Finding]:
    earliest = months_later(activist_on, 12 * ACTIVIST_YEARS)
    if candidate_on >= earliest:
        return []
    return [
        (
            Rule.ACTIVIST_YEAR,
            f"入党积极分子经过一年以上培养教育和考察方可确定为发展对象：{ymd(activist_on)}"
            f"确定为积极分子，最早{ymd(earliest)}可确定为发展对象。",
        )
    ]


def assessment_gaps(
    activist_on: datetime.date, assessed: list[datetime.date], until: datetime.date
) -> list[Finding]:
    """Assessments at most six months apart, from the designation up to *until*."""
    previous = activist_on
    for day in [*sorted(assessed), until]:
        due = months_later(previous, ASSESSMENT_MONTHS)
        if day > due:
            return [
                (
                    Rule.ASSESSMENT_GAP,
                    f"对入党积极分子每半年至少考察一次：{ymd(previous)}之后应在{ymd(due)}前考察，"
                    f"下一次记录为{ymd(day)}。",
                )
            ]
        previous = day
    return []


def training(
    start: datetime.date | None,
    end: datetime.date | None,
    hours: int | None,
    passed: bool,
    vote_on: datetime.date,
) -> list[Finding]:
    if start is None or end is None or not passed:
        return [
            (
                Rule.TRAINING,
                "发展对象须经集中培训并结业后方可提交支部大会讨论，尚无结业的培训记录。",
            )
        ]
    days = (end - start).days + 1
    if days < TRAINING_DAYS and (hours or 0) < TRAINING_HOURS:
        return [
            (
                Rule.TRAINING,
                f"集中培训时间一般不少于3天或24学时：{ymd(start)}至{ymd(end)}共{days}天、"
                f"{hours or 0}学时。",
            )
        ]
    if end >= vote_on:
        return [
            (Rule.TRAINING, f"集中培训须在支部大会前结束：{ymd(end)}结束，{ymd(vote_on)}开会。")
        ]
    return []


def workdays(start: datetime.date, end: datetime.date) -> int:
    """Working days from *start* to *end*, both included, by the county's calendar."""
    if end < start:
        return 0
    marked = dict(
        CalendarDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "workday")
    )
    count, day = 0, start
    while day <= end:
        count += marked.get(day, day.weekday() < 5)
        day += datetime.timedelta(days=1)
    return count


def notice(
    start: datetime.date | None, end: datetime.date | None, vote_on: datetime.date, needed: int
) -> list[Finding]:
    if start is None or end is None:
        return [(Rule.NOTICE, "发展对象须经公示后方可提交支部大会讨论，尚无公示记录。")]
    if end >= vote_on:
        return [(Rule.NOTICE, f"公示须在支部大会前结束：公示至{ymd(end)}，{ymd(vote_on)}开会。")]
    days = workdays(start, end)
    if days < needed:
        return [
            (
                Rule.NOTICE,
                f"公示期不少于{needed}个工作日：{ymd(start)}至{ymd(end)}只有{days}个工作日。",
            )
        ]
    return []


def approval(vote_on: datetime.date, approved_on: datetime.date) -> list[Finding]:
    """Within three months of the vote; up to six with a recorded exception (checked by
    the caller: beyond six months nothing can waive it)."""
    due = months_later(vote_on, APPROVAL_MONTHS)
    if approved_on <= due:
        return []
    return [
        (
            Rule.APPROVAL,
            f"上级党委应在支部大会后三个月内审批：{ymd(vote_on)}开会，应在{ymd(due)}前审批，"
            f"审批日期为{ymd(approved_on)}。特殊情况可延长至六个月，须记录例外。",
        )
    ]


def probation(ends_on: datetime.date, vote_on: datetime.date) -> list[Finding]:
    if vote_on >= ends_on:
        return []
    return [
        (
            Rule.PROBATION,
            f"预备期满后方可讨论转正：预备期至{ymd(ends_on)}满，支部大会日期为{ymd(vote_on)}。",
        )
    ]
