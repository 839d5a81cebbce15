"""The 设岗定责 ledger as a spreadsheet: the list page's rows, the same filters."""

from __future__ import annotations

from django.http import HttpResponse

from branches.labels import labels_by_pk
from branches.spreadsheets.writing import table_xlsx

DUTY_HEADERS = [
    "党组织",
    "岗位名称",
    "岗位职责",
    "设岗日期",
    "撤岗日期",
    "在岗党员",
    "履职记录（次）",
]


def holders_text(post) -> str:
    """The year's holders of *post*: 张三（2026-03-01起）、李四（2026-03-01至2026-06-30）."""
    return "、".join(
        f"{a.member.name}（{a.started_on:%Y-%m-%d}"
        + (f"至{a.ended_on:%Y-%m-%d}）" if a.ended_on else "起）")
        for a in post.holders
    )


def duty_posts_xlsx(*, rows, title: str) -> HttpResponse:
    rows = list(rows)
    labels = labels_by_pk({p.org_id: p.org for p in rows}.values())

    def line(post):
        return [
            labels.get(post.org_id, post.org.name),
            post.name,
            post.duty,
            post.set_up_on,
            post.ended_on,
            holders_text(post),
            post.logs,
        ]

    return table_xlsx(
        title=title,
        headers=DUTY_HEADERS,
        rows=(line(p) for p in rows),
        widths=[30, 16, 40, 12, 12, 40, 10],
        filename=f"{title}.xlsx",
    )
