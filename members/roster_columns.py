"""The roster's columns (党员花名册), as the national collection form orders them,
with the header variants real county files use. Import and export share them,
so an exported roster imports back unchanged."""

from __future__ import annotations

from dataclasses import dataclass

from branches.spreadsheets.cells import normalise_header


@dataclass(frozen=True)
class Column:
    field: str  # Member field, or a pseudo-field resolved by the import (branch, group)
    header: str  # the header the export writes
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: list[Column] = [
    Column("name", "姓名", ("党员姓名",), required=True),
    Column(
        "branch",
        "所在党支部",
        ("党支部", "所在支部", "支部", "所在党组织", "党组织名称"),
        required=True,
    ),
    Column(
        "id_number",
        "公民身份证号",
        ("身份证号", "身份证号码", "公民身份号码", "身份证", "公民身份证号码"),
        required=True,
    ),
    Column("sex", "性别"),
    Column("ethnicity", "民族"),
    Column("birth_date", "出生日期", ("出生年月", "出生年月日", "生日")),
    Column("education", "学历", ("文化程度", "最高学历")),
    Column("category", "人员类别", ("党员类别", "类别")),
    Column("joined_on", "加入党组织日期", ("入党时间", "入党日期", "加入党组织时间")),
    Column("full_member_on", "转为正式党员日期", ("转正时间", "转正日期", "转为正式党员时间")),
    Column("occupation", "工作岗位", ("职业", "工作岗位类别")),
    Column("mobile_phone", "手机号", ("手机号码", "手机", "联系电话", "联系方式")),
    Column("landline", "固定电话", ("座机",)),
    Column("address", "家庭住址", ("住址", "现住址", "家庭地址")),
    Column("party_status", "党籍状态"),
    Column("lost_contact", "是否为失联党员", ("失联党员", "是否失联")),
    Column("lost_contact_on", "失去联系日期", ("失联日期", "失联时间")),
    Column("is_mobile", "是否为流动党员", ("流动党员", "是否流动党员")),
    Column("mobile_destination", "外出流向", ("流向", "外出地点")),
    Column("group", "所在党小组", ("党小组",)),
    Column("employer", "工作单位及职务", ("工作单位", "单位及职务")),
    Column("native_place", "籍贯"),
    Column("monthly_dues", "月应缴纳党费（元）", ("月应缴纳党费", "月交党费", "党费标准")),
    Column("dues_paid_until", "党费缴至年月", ("党费缴至",)),
]
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = [c for c in COLUMNS if c.required]


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        HEADER_LOOKUP[normalise_header(_name)] = _column.field
