"""The 民情日志 as a spreadsheet: the list page's rows, the same filters, the same words."""

from __future__ import annotations

from django.http import HttpResponse

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

HEADERS = [
    "党支部",
    "走访日期",
    "记录人",
    "走访农户或地点",
    "群众诉求",
    "办理情况",
    "办理结果",
    "上报（转交）单位",
    "本月已审阅",
]


def diary_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    # Every branch's label (甲镇/甲村党支部) in one query, not one per row.
    labels = labels_by_pk({e.org_id: e.org for e in rows}.values())

    def line(entry):
        return [
            labels.get(entry.org_id, entry.org.name),
            entry.date,
            entry.cadre.name,
            entry.household,
            entry.concern,
            entry.action,
            entry.get_outcome_display(),
            entry.passed_to,
            "是" if entry.checked else "否",
        ]

    return table_xlsx(
        title=title,
        headers=HEADERS,
        rows=(line(e) for e in rows),
        widths=[30, 12, 10, 20, 40, 40, 10, 20, 10],
        filename=f"{title}.xlsx",
    )
