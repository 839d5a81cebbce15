"""The 积极分子花名册's columns, with the header variants county files use, and how a
file in that layout is told from the member roster (党员花名册).

The columns the two layouts share (姓名, 公民身份证号, 所在党支部 …) take their
variants from ``members.roster_columns``; the export's headers
(``documents.ROSTER_HEADERS``) are among those read here, so an exported list
imports back. Imports nothing of the roster import: its header check asks
``is_pipeline_header`` before reading a file as members.
"""

from __future__ import annotations

from branches.spreadsheets.cells import normalise_header
from members.roster_columns import BY_FIELD as ROSTER_COLUMNS
from members.roster_columns import Column

SHARED = ("name", "sex", "ethnicity", "birth_date", "id_number", "education", "occupation")
SHARED_AFTER = ("branch", "group", "mobile_phone")

COLUMNS: list[Column] = [
    *(ROSTER_COLUMNS[name] for name in SHARED),
    *(ROSTER_COLUMNS[name] for name in SHARED_AFTER),
    Column("stage", "阶段", ("所处阶段", "当前阶段", "发展阶段")),
    Column(
        "applied_on",
        "递交入党申请书日期",
        (
            "递交入党申请书时间",
            "递交申请书日期",
            "申请入党日期",
            "申请入党时间",
            "入党申请日期",
            "入党申请时间",
        ),
        required=True,
    ),
    Column("talk_on", "谈话日期", ("谈话时间", "派人谈话日期")),
    Column("talk_by", "谈话人"),
    Column(
        "activist_on",
        "确定为入党积极分子日期",
        (
            "确定为入党积极分子时间",
            "确定入党积极分子日期",
            "确定入党积极分子时间",
            "确定为积极分子日期",
            "确定积极分子日期",
            "列为入党积极分子日期",
        ),
    ),
    Column("contacts", "培养联系人", ("培养人", "培养联系人姓名")),
    Column(
        "candidate_on",
        "确定为发展对象日期",
        ("确定为发展对象时间", "确定发展对象日期", "确定发展对象时间", "列为发展对象日期"),
    ),
    Column("introducers", "入党介绍人", ("介绍人",)),
]
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED = [c for c in COLUMNS if c.required]

HEADER_LOOKUP: dict[str, str] = {
    normalise_header(name): column.field
    for column in COLUMNS
    for name in (column.header, *column.aliases)
}


def _names(*fields: str, columns=BY_FIELD) -> frozenset[str]:
    return frozenset(
        normalise_header(name)
        for field in fields
        for name in (columns[field].header, *columns[field].aliases)
    )


# Only a pipeline has these; only the member roster has those.
PIPELINE_ONLY = _names("applied_on", "activist_on", "candidate_on")
ROSTER_ONLY = _names("joined_on", "full_member_on", columns=ROSTER_COLUMNS)


def is_pipeline_header(row: list) -> bool:
    """Whether a header row is the 积极分子花名册's: its dates of the procedure, and no
    date of joining the Party (a member roster may note when a member applied)."""
    headers = {normalise_header(cell) for cell in row if cell not in (None, "")}
    return bool(headers & PIPELINE_ONLY) and not headers & ROSTER_ONLY
