"""The 远程教育站点 ledger as a spreadsheet: one row per station with its twelve months,
the list page's rows, the same filters, the same words."""

from __future__ import annotations

import datetime

from django.http import HttpResponse

from activities.ledgers.stations.selectors import year_marks
from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

HEADERS = [
    "党支部",
    "站点名称",
    "站点地址",
    "设备情况",
    "管理员",
    "建站日期",
    "停用日期",
    *[f"{m}月" for m in range(1, 13)],
    "全年播放次数",
]
NOTE = (
    "各月填写检查时的运行情况；未检查：该月已过、站点在用但没有检查记录；—：该月站点未建或已停用。"
)


def stations_xlsx(*, rows, title: str, year: int, today: datetime.date) -> HttpResponse:
    rows = list(rows)
    # Every branch's label (甲镇/甲村党支部) in one query, not one per row.
    labels = labels_by_pk({s.org_id: s.org for s in rows}.values())

    def line(station):
        return [
            labels.get(station.org_id, station.org.name),
            station.name,
            station.address,
            station.equipment,
            station.manager.name,
            station.opened_on,
            station.closed_on,
            *[m.word for m in year_marks(station, year, today)],
            sum(c.playbacks for c in station.year_checks),
        ]

    return table_xlsx(
        title=title,
        headers=HEADERS,
        rows=(line(s) for s in rows),
        widths=[28, 24, 24, 24, 10, 12, 12, *[8] * 12, 12],
        filename=f"{title}.xlsx",
        note=NOTE,
    )
