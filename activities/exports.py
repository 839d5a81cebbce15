"""Spreadsheet downloads of activity data (the 台账 for inspectors)."""

from __future__ import annotations

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from activities.models import AppraisalGrade, stars_label
from activities.points.selectors import entry_reason
from branches.labels import labelled
from branches.spreadsheets.writing import safe_row, table_xlsx, xlsx_response

LEDGER_HEADERS = [
    "日期",
    "组织",
    "类型",
    "主题",
    "主持人",
    "授课人",
    "记录人",
    "地点",
    "应到",
    "实到",
    "请假",
    "缺席",
    "列席",
    "会议记录",
    "决议事项",
]


def ledger_xlsx(*, branch, year: int, activities) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{year}年台账"
    sheet.append(safe_row([f"{branch.name} {year}年组织生活台账"]))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(safe_row(LEDGER_HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for a in activities:
        sheet.append(
            safe_row(
                (
                    a.held_on,
                    a.org.name,
                    a.get_kind_display(),
                    a.topic,
                    a.host,
                    a.speaker,
                    a.recorder,
                    a.place,
                    a.expected_count,
                    a.present_count,
                    a.leave_count,
                    a.absent_count,
                    a.guest_count,
                    a.minutes,
                    a.resolutions,
                )
            )
        )
    for row in sheet.iter_rows(min_row=3):
        row[0].number_format = "yyyy-mm-dd"
        for cell in row[13:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip(
        "ABCDEFGHIJKLMNO", (12, 18, 12, 30, 8, 8, 8, 12, 6, 6, 6, 6, 6, 50, 30), strict=True
    ):
        sheet.column_dimensions[column].width = width
    return xlsx_response(workbook, f"{branch.name}{year}年台账.xlsx")


def statement_xlsx(*, member, year: int, data: dict) -> HttpResponse:
    score = data["score"]
    rows = [
        (
            e.date,
            e.get_source_display(),
            entry_reason(e),
            e.org.name,
            float(e.points),
            e.get_status_display(),
            e.entered_by.get_username() if e.entered_by else "",
            e.decided_by.get_username() if e.decided_by else "",
        )
        for e in data["entries"]
    ]
    rows += [
        (),
        ("基础分", "", "", "", float(score.base)),
        ("加分（计上限后）", "", "", "", float(score.additions)),
        ("扣分（计上限后）", "", "", "", float(score.deductions)),
        ("超出年度上限未计", "", "", "", float(score.capped)),
        ("总分", "", "", "", float(score.total), stars_label(data["stars"])),
    ]
    return table_xlsx(
        title=f"{member.name} {year}年度积分明细",
        headers=["日期", "积分项目", "事由", "组织", "分值", "状态", "登记人", "审批人"],
        rows=rows,
        widths=(12, 14, 40, 18, 8, 10, 12, 12),
        filename=f"{member.name}{year}年度积分明细.xlsx",
    )


def ranking_xlsx(*, node, year: int, rows) -> HttpResponse:
    data = [
        (
            r.scope_org.name,
            r.rank,
            r.group.label,
            r.group_count,
            r.member_count,
            float(r.compliance * 100) if r.compliance is not None else "",
            float(r.average_points),
            float(r.score),
            "末位" if r.is_last else "",
            r.leader.name if r.is_last and r.leader else "",
        )
        for r in labelled(rows, org_of=lambda r: r.group)
    ]
    return table_xlsx(
        title=f"{node.name} {year}年度党小组排名",
        headers=[
            "排名范围",
            "名次",
            "党小组",
            "参与排名数",
            "党员数",
            "组织生活完成率（%）",
            "党员平均积分",
            "综合得分",
            "末位",
            "应调整的党小组长",
        ],
        rows=data,
        widths=(20, 6, 20, 10, 8, 16, 12, 10, 6, 16),
        filename=f"{node.name}{year}年度党小组排名.xlsx",
    )


RATING_FIELDS = (
    "branch__name",
    "org__name",
    "org_id",
    "branch_id",
    "member__name",
    "base",
    "additions",
    "deductions",
    "capped",
    "total",
    "points_stars",
    "appraisal",
    "stars",
    "note",
)


def _rating_line(values, grades) -> tuple:
    branch, org, org_id, branch_id, name, *points, points_stars, appraisal, stars, note = values
    return (
        branch,
        org if org_id != branch_id else "",
        name,
        *(float(p) for p in points),
        stars_label(points_stars),
        grades.get(appraisal, ""),
        stars_label(stars),
        note,
    )


def ratings_xlsx(*, node, year: int, rows, title: str) -> HttpResponse:
    # Plain tuples, not model instances: a county's draft is 70,000 rows.
    grades = dict(AppraisalGrade.choices)
    data = (
        _rating_line(values, grades)
        for values in rows.values_list(*RATING_FIELDS).iterator(chunk_size=5000)
    )
    return table_xlsx(
        title=f"{node.name} {year}年度{title}",
        headers=[
            "党支部",
            "党小组",
            "姓名",
            "基础分",
            "加分",
            "扣分",
            "超出上限未计",
            "总分",
            "按积分星级",
            "民主评议",
            "评定星级",
            "说明",
        ],
        rows=data,
        widths=(20, 16, 10, 8, 8, 8, 12, 8, 12, 10, 10, 40),
        filename=f"{node.name}{year}年度{title}.xlsx",
    )
