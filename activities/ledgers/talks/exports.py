"""The 谈心谈话 list as a spreadsheet: the list page's rows, the same filters, the same
words."""

from __future__ import annotations

from django.http import HttpResponse

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

HEADERS = ["党支部", "日期", "谈话人", "谈话对象", "内容摘要", "登记人"]


def clerk_name(user) -> str:
    return user.first_name or user.username


def talks_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    # Every branch's label (甲镇党委/甲村党支部) in one query, not one per row.
    labels = labels_by_pk({t.org_id: t.org for t in rows}.values())

    def line(talk):
        return [
            labels.get(talk.org_id, talk.org.name),
            talk.talked_on,
            talk.initiator.name,
            talk.partner.name,
            talk.summary,
            clerk_name(talk.recorded_by),
        ]

    return table_xlsx(
        title=title,
        headers=HEADERS,
        rows=(line(t) for t in rows),
        widths=[30, 12, 10, 10, 50, 12],
        filename=f"{title}.xlsx",
    )
