"""软弱涣散整顿台账 as a spreadsheet: the register page's rows, the same numbers."""

from __future__ import annotations

from django.http import HttpResponse

from activities.models import RectificationCase
from branches.spreadsheets.writing import table_xlsx

HEADERS = [
    "党组织",
    "排查年度",
    "确定日期",
    "软弱涣散类型",
    "具体表现",
    "包联县级领导",
    "包联乡镇干部",
    "整改措施（已完成/共）",
    "逾期未完成措施",
    "最近进展日期",
    "状态",
    "销号日期",
    "销号决定文号",
]


def register_xlsx(*, rows: list[RectificationCase], title: str) -> HttpResponse:
    def line(case):
        return [
            case.org.label,
            case.year,
            case.identified_on,
            "、".join(case.reason_labels()),
            case.reason_note,
            case.county_leader,
            case.township_cadre,
            f"{case.measures_done}/{case.measures_total}",
            case.overdue if case.is_open else 0,
            case.last_progress,
            "整顿中" if case.is_open else "已销号",
            case.closed_on,
            case.closing_decision,
        ]

    return table_xlsx(
        title=title,
        headers=HEADERS,
        rows=(line(case) for case in rows),
        widths=[30, 8, 12, 30, 30, 12, 12, 14, 10, 12, 8, 12, 20],
        filename=f"{title}.xlsx",
    )
