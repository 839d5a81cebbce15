"""xlsx downloads of the assessment, built from the same selectors as the pages."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from activities.assessment.selectors import Grading
from branches.models import Organization
from branches.spreadsheets.writing import table_xlsx

REPORT_HEADERS = [
    "召开组织",
    "季度",
    "召开日期",
    "参加评议人数",
    "述职党组织",
    "述职书记",
    "述职要点",
    "好",
    "较好",
    "一般",
    "差",
    "评议结果",
]


def reports_xlsx(*, node: Organization, year: int, quarter: int | None, reports) -> HttpResponse:
    period = f"第{quarter}季度" if quarter else "年度"
    rows = (
        [
            r.meeting.org.name,
            f"第{r.meeting.quarter}季度" if r.meeting.quarter else "年度",
            r.meeting.held_on,
            r.meeting.evaluators,
            r.org.name,
            r.secretary.name,
            r.summary,
            r.good,
            r.fairly_good,
            r.average,
            r.poor,
            r.get_evaluation_display(),
        ]
        for r in reports
    )
    return table_xlsx(
        title=f"{node.name} {year}年{period}书记述职评议",
        headers=REPORT_HEADERS,
        rows=rows,
        widths=[18, 10, 12, 10, 20, 10, 40, 6, 6, 6, 6, 10],
        filename=f"{node.name}{year}年{period}书记述职评议.xlsx",
    )


def _percent(value) -> str:
    return f"{value * 100:.1f}" if value is not None else ""


def grades_xlsx(data: Grading) -> HttpResponse:
    headers = [
        "党组织",
        "组织生活已开展",
        "组织生活应开展",
        "完成率（%）",
        "评星人数",
        "平均星级",
        "末位党小组",
        "建议等次",
        "缺少的数据",
        "定级等次",
        "定级理由",
        "定级人",
        "定级时间",
    ]
    rows = []
    for r in data.rows:
        grade = r.grade
        rows.append(
            [
                r.org.label,
                r.done,
                r.due,
                _percent(r.compliance),
                r.rated,
                str(r.stars) if r.stars is not None else "",
                "、".join(r.last_groups) if r.ranked else "无排名",
                r.suggested.name if r.suggested else "",
                "；".join(r.missing),
                grade.level.name if grade else "未定级",
                grade.reasons if grade else "",
                (grade.graded_by.get_full_name() or grade.graded_by.username) if grade else "",
                timezone.localtime(grade.graded_at).strftime("%Y-%m-%d %H:%M") if grade else "",
            ]
        )
    return table_xlsx(
        title=f"{data.node.name} {data.year}年度党组织定级",
        note=f"平均星级取自：{data.stars_source_label}",
        headers=headers,
        rows=rows,
        widths=[30, 10, 10, 10, 8, 8, 18, 10, 24, 10, 30, 10, 16],
        filename=f"{data.node.name}{data.year}年度党组织定级.xlsx",
    )
