"""Spreadsheet downloads of activity data (the 台账 for inspectors)."""

from __future__ import annotations

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from branches.spreadsheets import safe_cell, xlsx_response

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
    sheet.append([f"{branch.name} {year}年组织生活台账"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(LEDGER_HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for a in activities:
        sheet.append(
            [
                safe_cell(v)
                for v in (
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
            ]
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
