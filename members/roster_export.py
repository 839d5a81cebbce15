"""The roster as a spreadsheet, in the import's columns, so export → import round-trips."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font

from branches.labels import labels_by_pk
from branches.models import Organization, OrgKind
from branches.spreadsheets.writing import safe_row, xlsx_response
from members import dates, pii
from members.dates import MONTH_PRECISION_FIELDS
from members.models import DESCRIPTIVE_FIELDS, Member
from members.roster_columns import COLUMNS

YES_NO = {True: "是", False: "否"}


def branch_labels(user) -> dict[int, str]:
    """Every branch *user* may see, labelled once (甲镇党委/甲村党支部): the import
    reads the same label back."""
    return labels_by_pk(
        Organization.objects.visible_to(user).filter(kind=OrgKind.BRANCH).only("pk", "path", "name")
    )


def roster_rows(*, members, user, mask: bool):
    """Header and one row per member; *mask* shows personal data as ``members.pii`` masks it."""
    labels = branch_labels(user)
    yield [c.header for c in COLUMNS]
    for m in members:
        yield [roster_value(m, c.field, labels, mask) for c in COLUMNS]


def roster_value(member: Member, name: str, labels, mask: bool):
    """One roster column of *member*, as every roster export writes it."""
    if name == "branch":
        return labels.get(member.branch_id, member.branch.name)
    if name == "group":
        return member.group.name if member.group_id else ""
    value = getattr(member, name)
    if name in pii.PII_FIELDS:
        return pii.shown(name, value, mask=mask)
    if name in MONTH_PRECISION_FIELDS and getattr(member, f"{name}_precision") == "month":
        return dates.shown(value, "month")  # 2017年03月, which the import reads back as a month
    if name in DESCRIPTIVE_FIELDS and not value:
        return getattr(member, f"{name}_as_written")  # the words kept as written (待规范)
    if isinstance(value, bool):
        return YES_NO[value]
    if name in ("sex", "education", "category", "occupation", "party_status"):
        return getattr(member, f"get_{name}_display")()
    if isinstance(value, Decimal):
        return float(value)
    return value


def roster_xlsx(*, members, user, mask: bool, filename: str):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员花名册")
    for row in roster_rows(members=members, user=user, mask=mask):
        sheet.append(safe_row(row))
    return xlsx_response(workbook, filename)


def roster_csv(*, members, user, mask: bool) -> bytes:
    """UTF-8 with BOM: the encoding Chinese Excel opens without garbling."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in roster_rows(members=members, user=user, mask=mask):
        writer.writerow(safe_row(v.isoformat() if isinstance(v, datetime.date) else v for v in row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx():
    """导入模板.xlsx: the columns, one example row, and the rules in a note."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "党员花名册"
    sheet.append(safe_row(c.header + ("*" if c.required else "") for c in COLUMNS))
    example = {
        "name": "张三",
        "branch": "城关镇党委/东庄村党支部",
        "id_number": "11010519491231002X",
        "sex": "女",
        "ethnicity": "汉族",
        "birth_date": datetime.date(1949, 12, 31),
        "education": "高中",
        "category": "正式党员",
        "joined_on": datetime.date(1975, 7, 1),
        "full_member_on": datetime.date(1976, 7, 1),
        "occupation": "离退休人员",
        "mobile_phone": "13800000000",
        "party_status": "正常",
        "lost_contact": "否",
        "is_mobile": "否",
        "group": "第一党小组",
    }
    sheet.append(safe_row(example.get(c.field, "") for c in COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet["A1"].comment = Comment(
        "带 * 的列必填。身份证号请设为“文本”格式，勿用科学计数法；日期写成 2018-07-01；"
        "所在党支部可写支部名称，重名时写“乡镇/支部”；是否类填“是”或“否”。"
        "按身份证号匹配：已有的党员更新，没有的新增。第2行为示例，导入前请删除。",
        "党建台账",
    )
    for column in "ABC":
        sheet.column_dimensions[column].width = 24
    return xlsx_response(workbook, "导入模板.xlsx")


def rejected_workbook(plan):
    """The rejected rows of a roster plan as they were, plus a column saying what is wrong."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("被拒绝的行")
    sheet.append(safe_row([*plan.headers, "错误说明"]))
    for row in plan.rows:
        if row.action == "rejected":
            problems = "；".join(f"「{p.column}」{p.message}" for p in row.problems)
            cells = [*row.cells, *[""] * (len(plan.headers) - len(row.cells))]
            sheet.append(safe_row([*cells[: len(plan.headers)], f"原第{row.number}行：{problems}"]))
    return workbook
