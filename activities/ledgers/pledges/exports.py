"""The 公开承诺 ledger as a spreadsheet: the list page's rows, the same filters, the same numbers."""

from __future__ import annotations

from django.http import HttpResponse

from activities.models import Fulfilment
from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

PLEDGE_HEADERS = [
    "党组织",
    "承诺人",
    "类别",
    "承诺事项",
    "公开承诺日期",
    "完成时限",
    "点评领导",
    "点评日期",
    "领导点评",
    "群众评议日期",
    "满意",
    "基本满意",
    "不满意",
    "兑现情况",
    "兑现日期",
    "兑现情况说明",
]


def pledges_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    # Every organisation's label (甲镇/甲村党支部/第一党小组) in one query, not one per row.
    labels = labels_by_pk({p.org_id: p.org for p in rows}.values())

    def line(pledge):
        return [
            labels.get(pledge.org_id, pledge.org.name),
            pledge.member.name if pledge.member else "（党组织）",
            pledge.get_category_display(),
            pledge.text,
            pledge.made_on,
            pledge.due_on,
            pledge.comment_by,
            pledge.comment_on,
            pledge.comment,
            pledge.assessed_on,
            pledge.satisfied if pledge.assessed_on else None,
            pledge.fairly_satisfied if pledge.assessed_on else None,
            pledge.dissatisfied if pledge.assessed_on else None,
            pledge.get_fulfilment_display()
            if pledge.fulfilment != Fulfilment.PENDING
            else "未兑现（逾期）"
            if pledge.overdue
            else "未到期",
            pledge.fulfilled_on,
            pledge.evidence,
        ]

    return table_xlsx(
        title=title,
        headers=PLEDGE_HEADERS,
        rows=(line(p) for p in rows),
        widths=[30, 10, 10, 40, 12, 12, 16, 12, 30, 12, 6, 8, 6, 12, 12, 30],
        filename=f"{title}.xlsx",
    )
