"""Who has reported, as a spreadsheet: the list page's rows, the same filters, the same
words."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

MONTH_HEADERS = ["党小组", "月份", "是否提交", "提交时间", "提交人"]
QUARTER_HEADERS = ["党支部", "季度", "党小组月报已提交", "是否提交小结", "提交时间"]


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def month_xlsx(*, rows, title: str, period: str) -> HttpResponse:
    rows = list(rows)
    labels = labels_by_pk(rows)  # every group's 甲镇/甲村党支部/第一党小组 in one query
    lines = (
        [
            labels.get(g.pk, g.name),
            period,
            "已提交" if g.submitted_at else "未提交",
            _when(g.submitted_at),
            g.submitted_by_name or "",
        ]
        for g in rows
    )
    return table_xlsx(
        title=title,
        headers=MONTH_HEADERS,
        rows=lines,
        widths=[40, 12, 10, 18, 14],
        filename=f"{title}.xlsx",
    )


def quarter_xlsx(*, rows, title: str, period: str) -> HttpResponse:
    rows = list(rows)
    labels = labels_by_pk(rows)
    lines = (
        [
            labels.get(b.pk, b.name),
            period,
            b.reported or 0,
            "已提交" if b.submitted_at else "未提交",
            _when(b.submitted_at),
        ]
        for b in rows
    )
    return table_xlsx(
        title=title,
        headers=QUARTER_HEADERS,
        rows=lines,
        widths=[40, 14, 16, 12, 18],
        filename=f"{title}.xlsx",
    )
