"""The 党员学习 sessions as a spreadsheet: the list page's rows, the same filters, the same
words."""

from __future__ import annotations

from django.http import HttpResponse

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

HEADERS = ["党组织", "学习日期", "学习形式", "学习主题", "学时", "参加人数"]


def study_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    # Every organisation's label (甲镇/甲村党支部) in one query, not one per row.
    labels = labels_by_pk({s.org_id: s.org for s in rows}.values())

    def line(session):
        return [
            labels.get(session.org_id, session.org.name),
            session.date,
            session.get_form_display(),
            session.topic,
            float(session.hours),
            session.attendees,
        ]

    return table_xlsx(
        title=title,
        headers=HEADERS,
        rows=(line(s) for s in rows),
        widths=[30, 12, 10, 40, 8, 10],
        filename=f"{title}.xlsx",
    )
