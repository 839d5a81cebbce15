"""The 结对帮扶 list as a spreadsheet: the list page's rows, the same filters, the same
numbers."""

from __future__ import annotations

from django.http import HttpResponse

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

PAIR_HEADERS = [
    "党组织",
    "帮扶人",
    "帮扶对象类别",
    "帮扶对象",
    "住址",
    "困难类型",
    "结对日期",
    "结束日期",
    "走访（次）",
]


def pairs_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    # Every branch's label (甲镇党委/甲村党支部) in one query, not one per row.
    labels = labels_by_pk({p.org_id: p.org for p in rows}.values())

    def line(pairing):
        return [
            labels.get(pairing.org_id, pairing.org.name),
            pairing.member.name if pairing.member else pairing.helper_unit,
            pairing.get_partner_kind_display(),
            pairing.partner_name,
            pairing.address,
            pairing.get_difficulty_display() if pairing.difficulty else "",
            pairing.started_on,
            pairing.ended_on,
            pairing.visit_count,
        ]

    return table_xlsx(
        title=title,
        headers=PAIR_HEADERS,
        rows=(line(p) for p in rows),
        widths=[30, 14, 10, 12, 30, 10, 12, 12, 10],
        filename=f"{title}.xlsx",
    )
