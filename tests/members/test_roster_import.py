"""The roster import engine: reading real county files, checking rows, writing all or nothing."""

import datetime
import hashlib
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.utils import timezone

from members import import_runs, services
from members.choices import Education, MembershipReason, Occupation, PartyStatus, Sex
from members.models import ImportRun, Member, Membership
from members.roster_columns import BY_FIELD
from members.roster_parse import RosterFileError
from members.roster_plan import StalePreview, plan_import
from members.services import roster_commit
from tests.factories import BranchFactory, MemberFactory
from tests.members.roster_helpers import (
    HEADER,
    csv_bytes,
    id_number,
    plan,
    problems,
    xls,
    xlsx,
)

pytestmark = pytest.mark.django_db

NUMBER = id_number()  # 1980-05-17, sequence 021: a man
OTHER = id_number(datetime.date(1975, 3, 9), 42)  # a woman
THIRD = id_number(datetime.date(1990, 11, 30), 7)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 10 * 1024 * 1024


def snapshot():
    """Everything an import may write, to compare before and after."""
    return (
        sorted(Member.objects.values_list("pk", "name", "branch_id", "group_id", "mobile_phone")),
        sorted(Membership.objects.values_list("pk", "branch_id", "ended_on")),
        Member.history.count(),
        Membership.history.count(),
    )


# -- headers ------------------------------------------------------------------

BASE_HEADERS = {
    "name": "姓名",
    "id_number": "公民身份证号",
    "branch": "所在党支部",
    "birth_date": "出生日期",
    "joined_on": "加入党组织日期",
}
BASE_VALUES = {
    "name": "张三",
    "id_number": NUMBER,
    "branch": "甲村党支部",
    "birth_date": "1980-05-17",
    "joined_on": "2018-07-01",
}
VARIANTS = [
    (field, header)
    for field in BASE_HEADERS
    for header in (BY_FIELD[field].header, *BY_FIELD[field].aliases)
]


def expected_values(tree):
    return {
        "name": "张三",
        "id_number": NUMBER,
        "branch": tree.village_a,
        "birth_date": datetime.date(1980, 5, 17),
        "joined_on": datetime.date(2018, 7, 1),
    }


@pytest.mark.parametrize(("field", "header"), VARIANTS)
def test_it_recognises_every_header_variant(tree, clerk_a, field, header):
    headers = {**BASE_HEADERS, field: header}

    result = plan(clerk_a, [list(headers.values()), list(BASE_VALUES.values())])

    assert result.unknown_columns == []
    assert result.fields == list(BASE_HEADERS)
    (row,) = result.rows
    assert (row.action, row.problems) == ("new", [])
    assert row.values[field] == expected_values(tree)[field]


@pytest.mark.parametrize(
    ("field", "header"),
    [
        ("id_number", "公民身份证号（18位）"),
        ("id_number", "身份证号码(必填)"),
        ("name", "姓　名"),
        ("name", " 姓 名 "),
        ("name", "姓名*"),
        ("branch", "所在党支部【全称】"),
        ("branch", "所在党支部："),
        ("birth_date", "出生年月（ＹＹＹＹ－ＭＭ）"),
        ("joined_on", "入党时间\n(年月日)"),
        ("joined_on", "加入党组织日期[例:2018-07-01]"),
    ],
)
def test_it_reads_headers_with_full_width_characters_spaces_and_hints(tree, clerk_a, field, header):
    headers = {**BASE_HEADERS, field: header}

    result = plan(clerk_a, [list(headers.values()), list(BASE_VALUES.values())])

    assert result.fields == list(BASE_HEADERS)
    assert result.unknown_columns == []
    (row,) = result.rows
    assert row.action == "new"
    assert row.values[field] == expected_values(tree)[field]


def test_it_names_problems_by_the_header_as_the_file_writes_it(tree, clerk_a):
    result = plan(clerk_a, [["党员姓名", "身份证号码", "支部"], ["张三", NUMBER, "无此支部"]])

    assert problems(result) == ["第2行「支部」：在你管辖的范围内找不到未撤销的党支部「无此支部」。"]


# -- the layout of real files ---------------------------------------------------


def messy_sheet():
    return [
        ["某某乡党员花名册 2026年"],
        ["填报单位：甲镇党委", None, "填报日期：2026年1月5日"],
        [*HEADER, "手机号"],
        [],
        ["张三", NUMBER, "甲村党支部", "13800000000"],
        ["", "", "", ""],
        ["李四", OTHER, "无此支部", ""],
        ["合计", "2人", "", ""],
        ["", "", "", ""],
        ["王五", "110105********002X", "甲村党支部", ""],
        ["制表人：赵六", "", "审核人：钱七", ""],
    ]


@pytest.mark.parametrize("filename", ["花名册.xlsx", "花名册.xls", "花名册.csv"])
def test_it_skips_title_filler_blank_and_totals_rows_keeping_the_sheets_row_numbers(
    tree, clerk_a, filename
):
    result = plan(clerk_a, messy_sheet(), filename)

    assert [r.number for r in result.rows] == [5, 7, 10]
    assert [r.action for r in result.rows] == ["new", "rejected", "rejected"]
    assert problems(result) == [
        "第7行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「无此支部」。",
        "第10行「公民身份证号」：身份证号已被遮蔽（含 *），请填写完整号码。",
    ]


def test_it_counts_rows_from_the_top_of_the_sheet_when_it_starts_with_blank_rows_and_columns(
    tree, clerk_a
):
    rows = [[], [], [None, *HEADER], [None, "张三", NUMBER, "无此支部"]]

    for filename in ("a.xlsx", "a.xls", "a.csv"):
        assert problems(plan(clerk_a, rows, filename)) == [
            "第4行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「无此支部」。"
        ], filename


def test_it_stops_before_reading_any_row_when_a_required_column_is_missing(tree, clerk_a):
    data = xlsx([["姓名", "所在党支部", "性别"], ["张三", "甲村党支部", "男"]])

    with (
        patch("members.roster_plan._parse", side_effect=AssertionError("a row was read")),
        pytest.raises(RosterFileError) as error,
    ):
        plan_import(data=data, filename="a.xlsx", user=clerk_a)

    assert str(error.value) == "缺少必填列：「公民身份证号」，未读取任何数据行。"


def test_it_names_every_missing_required_column(tree, clerk_a):
    data = csv_bytes([["姓名", "性别", "民族"], ["张三", "男", "汉族"]])

    with pytest.raises(RosterFileError) as error:
        plan_import(data=data, filename="a.csv", user=clerk_a)

    assert str(error.value) == "缺少必填列：「所在党支部」、「公民身份证号」，未读取任何数据行。"


def test_it_refuses_a_file_without_a_header_in_the_first_20_rows(tree, clerk_a):
    rows = [["说明"]] * 20 + [HEADER, ["张三", NUMBER, "甲村党支部"]]

    with pytest.raises(RosterFileError, match="在前20行中找不到表头"):
        plan_import(data=xlsx(rows), filename="a.xlsx", user=clerk_a)


def test_it_reports_unknown_columns_and_ignores_them(tree, clerk_a):
    result = plan(clerk_a, [["序号", *HEADER, "备注"], [1, "张三", NUMBER, "甲村党支部", "新党员"]])

    assert result.unknown_columns == ["序号", "备注"]
    (row,) = result.rows
    assert row.action == "new"
    assert set(row.values) == {"name", "id_number", "branch", "birth_date", "sex"}


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.txt", b"abc", "不支持的文件类型「.txt」：请上传 .xlsx、.xls 或 .csv 文件。"),
        ("a.xlsx", b"not a zip", "无法读取文件「a.xlsx」：它不是有效的 Excel 文件。"),
    ],
)
def test_it_refuses_files_it_cannot_read(tree, clerk_a, filename, data, message):
    with pytest.raises(RosterFileError) as error:
        plan_import(data=data, filename=filename, user=clerk_a)

    assert str(error.value) == message


# -- dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "2018-07-01",
        "2018/7/1",
        "2018.07.01",
        "2018年7月1日",
        "20180701",
        " 2018-07-01 ",
        "２０１８－０７－０１",
        datetime.date(2018, 7, 1),
        datetime.datetime(2018, 7, 1, 0, 0),
        43282,
        43282.0,
    ],
)
def test_it_reads_every_date_form(tree, clerk_a, cell):
    result = plan(clerk_a, [[*HEADER, "加入党组织日期"], ["张三", NUMBER, "甲村党支部", cell]])

    (row,) = result.rows
    assert row.problems == []
    assert row.values["joined_on"] == datetime.date(2018, 7, 1)


def test_it_reads_an_excel_date_cell_as_a_date_not_a_number(tree, clerk_a):
    data = xlsx(
        [[*HEADER, "加入党组织日期"], ["张三", NUMBER, "甲村党支部", 43282]],
        number_formats={(2, 4): "yyyy-mm-dd"},
    )

    (row,) = plan_import(data=data, filename="a.xlsx", user=clerk_a).rows

    assert row.values["joined_on"] == datetime.date(2018, 7, 1)


MONTH_FORMS = ["2017.03", "2017.3", "2017-3", "201703", "2017年3月", "2017/03", 201703]


@pytest.mark.parametrize("column", ["加入党组织日期", "转为正式党员日期", "失去联系日期"])
@pytest.mark.parametrize("cell", MONTH_FORMS)
def test_it_keeps_a_date_given_only_to_the_month(tree, clerk_a, column, cell):
    extra = ["是否为失联党员"] if column == "失去联系日期" else []
    joined = ["加入党组织日期"] if column == "转为正式党员日期" else []
    row_cells = [cell, *(["是"] if extra else []), *(["2016-03-01"] if joined else [])]
    result = plan(
        clerk_a, [[*HEADER, column, *extra, *joined], ["张三", NUMBER, "甲村党支部", *row_cells]]
    )

    (row,) = result.rows
    name = {"加入党组织日期": "joined_on", "转为正式党员日期": "full_member_on"}.get(
        column, "lost_contact_on"
    )
    assert row.problems == [] and row.action == "new"
    # Stored as the month's last day: every comparison counts it so.
    assert row.values[name] == datetime.date(2017, 3, 31)
    assert row.values[f"{name}_precision"] == "month"


@pytest.mark.parametrize("number_format", ["yyyy-mm", 'yyyy"年"m"月"', "mmm-yy"])
def test_it_reads_an_excel_date_cell_shown_to_the_month_as_a_month(tree, clerk_a, number_format):
    data = xlsx(
        [
            [*HEADER, "入党时间", "转正时间"],
            ["张三", NUMBER, "甲村党支部", datetime.date(2017, 3, 1), datetime.date(2018, 3, 5)],
        ],
        number_formats={(2, 4): number_format, (2, 5): "yyyy-mm-dd"},
    )

    (row,) = plan_import(data=data, filename="a.xlsx", user=clerk_a).rows

    # What the clerk sees is the month; a cell shown to the day keeps its day.
    assert (row.values["joined_on"], row.values["joined_on_precision"]) == (
        datetime.date(2017, 3, 31),
        "month",
    )
    assert (row.values["full_member_on"], row.values["full_member_on_precision"]) == (
        datetime.date(2018, 3, 5),
        "day",
    )


@pytest.mark.parametrize("cell", ["2024.6", "202406", "2024年6月", "2024-06", 202406])
def test_it_accepts_dues_paid_until_given_to_the_month(tree, clerk_a, cell):
    result = plan(clerk_a, [[*HEADER, "党费缴至年月"], ["张三", NUMBER, "甲村党支部", cell]])

    (row,) = result.rows
    assert row.problems == []
    assert row.values["dues_paid_until"] == datetime.date(2024, 6, 1)


@pytest.mark.parametrize("cell", ["1980.5", "198005", "1980年5月", "1980-05"])
def test_it_accepts_a_birth_month_that_agrees_with_the_id_number(tree, clerk_a, cell):
    result = plan(clerk_a, [[*HEADER, "出生年月"], ["张三", NUMBER, "甲村党支部", cell]])

    (row,) = result.rows
    assert (row.action, row.problems) == ("new", [])
    assert row.values["birth_date"] == datetime.date(1980, 5, 17)  # the day from the number


def test_it_refuses_a_birth_month_that_contradicts_the_id_number(tree, clerk_a):
    result = plan(clerk_a, [[*HEADER, "出生年月"], ["张三", NUMBER, "甲村党支部", "1980.6"]])

    assert problems(result) == [
        "第2行「出生年月」：出生年月 1980-06 与身份证号中的 1980-05 不一致。"
    ]


def test_it_refuses_a_birth_date_that_contradicts_the_id_number(tree, clerk_a):
    result = plan(clerk_a, [[*HEADER, "出生日期"], ["张三", NUMBER, "甲村党支部", "1980-05-18"]])

    assert problems(result) == [
        "第2行「出生日期」：出生日期 1980-05-18 与身份证号中的 1980-05-17 不一致。"
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2018-02-30", "日期「2018-02-30」不存在。"),
        ("去年七月", "无法识别的日期「去年七月」，请写成 2018-07-01 或 2018年7月1日。"),
    ],
)
def test_it_warns_of_dates_that_do_not_exist_or_cannot_be_read(tree, clerk_a, cell, message):
    result = plan(clerk_a, [[*HEADER, "加入党组织日期"], ["张三", NUMBER, "甲村党支部", cell]])

    # An optional date it cannot read is left out: the row still imports.
    assert problems(result) == []
    assert [str(w) for w in result.warnings] == [f"第2行「加入党组织日期」：{message}此项未导入。"]
    assert "joined_on" not in result.rows[0].values and result.rows[0].action == "new"


# -- values ---------------------------------------------------------------------


def test_it_reads_yes_no_sex_and_other_choices(tree, clerk_a):
    headers = [*HEADER, "性别", "民族", "学历", "工作岗位", "是否为流动党员", "外出流向"]
    headers += ["是否为失联党员", "月应缴纳党费（元）"]
    result = plan(
        clerk_a,
        [
            headers,
            ["张三", NUMBER, "甲村党支部", "男", "回", "大专", "农民", "是", "广东省深圳市"]
            + ["否", "0.5"],
            ["李四", OTHER, "甲村党支部", "女", "汉族", "大学本科", "离退休", "否", ""]
            + ["", "12"],
        ],
    )

    assert problems(result) == []
    first, second = (r.values for r in result.rows)
    assert (first["sex"], first["ethnicity"], first["education"]) == (
        Sex.MALE,
        "回族",
        Education.JUNIOR_COLLEGE,
    )
    assert (first["occupation"], first["is_mobile"], first["lost_contact"]) == (
        Occupation.FARMER,
        True,
        False,
    )
    assert first["mobile_destination"] == "广东省深圳市"
    assert first["monthly_dues"] == Decimal("0.50")
    assert (second["sex"], second["occupation"], second["is_mobile"]) == (
        Sex.FEMALE,
        Occupation.RETIRED,
        False,
    )
    assert second["monthly_dues"] == Decimal("12.00")


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("性别", "未知", "无法识别的性别「未知」，可填：男、女。"),
        ("人员类别", "积极分子", "无法识别的人员类别「积极分子」，可填：正式党员、预备党员。"),
    ],
)
def test_it_refuses_values_a_member_cannot_do_without(tree, clerk_a, column, cell, message):
    result = plan(clerk_a, [[*HEADER, column], ["张三", NUMBER, "甲村党支部", cell]])

    assert problems(result) == [f"第2行「{column}」：{message}"]


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("是否为流动党员", "有", "「有」应填“是”或“否”。此项未导入。"),
        ("月交党费", "五元", "「五元」不是金额。此项未导入。"),
    ],
)
def test_it_leaves_out_optional_values_it_cannot_read_with_a_warning(
    tree, clerk_a, column, cell, message
):
    result = plan(clerk_a, [[*HEADER, column], ["张三", NUMBER, "甲村党支部", cell]])

    assert problems(result) == [] and result.rows[0].action == "new"
    assert [str(w) for w in result.warnings] == [f"第2行「{column}」：{message}"]


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("自行脱党除名", PartyStatus.LAPSED),
        ("自动退党", PartyStatus.LAPSED),
        ("出党（自动退党）", PartyStatus.LAPSED),  # this app's own exports before issue 15
        ("退党", PartyStatus.RESIGNED),
        ("劝退", PartyStatus.REFUSED_TO_RESIGN),
        ("劝而不退除名", PartyStatus.REFUSED_TO_RESIGN),
        ("出党（开除党籍）", PartyStatus.EXPELLED),
        ("开除党籍", PartyStatus.EXPELLED),
        ("死亡", PartyStatus.DECEASED),
    ],
)
def test_it_reads_the_ways_of_leaving_the_party_by_the_party_constitutions_names(
    tree, clerk_a, cell, status
):
    result = plan(clerk_a, [[*HEADER, "党籍状态"], ["张三", NUMBER, "甲村党支部", cell]])

    assert problems(result) == []
    assert result.rows[0].values["party_status"] == status


@pytest.mark.parametrize("cell", ["出党", "除名"])
def test_it_does_not_guess_how_a_member_left_the_party(tree, clerk_a, cell):
    result = plan(clerk_a, [[*HEADER, "党籍状态"], ["张三", NUMBER, "甲村党支部", cell]])

    messages = problems(result) + [str(w) for w in result.warnings]
    assert messages == [
        f"第2行「党籍状态」：党籍状态「{cell}」没有说明出党方式，"
        "请填写自行脱党除名、退党除名、劝而不退除名或开除党籍。"
    ]
    assert result.rows[0].values.get("party_status") != PartyStatus.LAPSED


def test_it_refuses_a_sex_that_contradicts_the_id_number(tree, clerk_a):
    result = plan(clerk_a, [[*HEADER, "性别"], ["张三", NUMBER, "甲村党支部", "女"]])

    assert problems(result) == ["第2行「性别」：性别与身份证号（第17位奇数为男、偶数为女）不一致。"]


def test_it_takes_sex_and_birth_date_from_the_id_number_when_the_file_has_none(tree, clerk_a):
    (row,) = plan(clerk_a, [HEADER, ["李四", OTHER, "甲村党支部"]]).rows

    assert (row.values["sex"], row.values["birth_date"]) == (Sex.FEMALE, datetime.date(1975, 3, 9))


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("张 三", "张三"),
        ("张　三", "张三"),
        (" 欧阳 娜娜 ", "欧阳娜娜"),
        ("Ayxam  Tursun", "Ayxam Tursun"),
    ],
)
def test_it_removes_the_padding_space_from_chinese_names(tree, clerk_a, cell, name):
    (row,) = plan(clerk_a, [HEADER, [cell, NUMBER, "甲村党支部"]]).rows

    assert row.values["name"] == name


def test_it_refuses_a_row_without_a_name(tree, clerk_a):
    result = plan(clerk_a, [HEADER, ["", NUMBER, "甲村党支部"], ["李四", OTHER, "甲村党支部"]])

    assert problems(result) == ["第2行「姓名」：姓名不能为空。"]


def test_it_normalises_full_width_digits_and_a_lower_case_x_in_id_numbers(tree, clerk_a):
    number = id_number(datetime.date(1949, 12, 31), 2)
    assert number == "11010519491231002X"
    full_width = "１１０１０５１９４９１２３１００２ｘ"

    (row,) = plan(clerk_a, [HEADER, ["张三", full_width, "甲村党支部"]]).rows

    assert (row.action, row.values["id_number"]) == ("new", number)


def test_it_matches_a_15_digit_number_with_the_18_digit_one_on_the_roster(tree, clerk_a):
    member = MemberFactory(branch=tree.village_a, id_number="110105491231002")

    (row,) = plan(clerk_a, [HEADER, [member.name, "110105491231002", "甲村党支部"]]).rows

    assert member.id_number == "11010519491231002X"
    assert (row.action, row.existing) == ("unchanged", member)


# -- ID numbers Excel damaged -------------------------------------------------------

SCIENTIFIC = (
    "身份证号被 Excel 存成了数字（科学计数法），后几位已丢失；请把该列设为“文本”后重新填写。"
)


@pytest.mark.parametrize("filename", ["a.xlsx", "a.xls"])
def test_it_refuses_an_id_number_excel_stored_as_a_number(tree, clerk_a, filename):
    result = plan(clerk_a, [HEADER, ["张三", 110105198005170210.0, "甲村党支部"]], filename)

    assert problems(result) == [f"第2行「公民身份证号」：{SCIENTIFIC}"]
    assert result.rows[0].action == "rejected"


@pytest.mark.parametrize("filename", ["a.xlsx", "a.csv"])
def test_it_refuses_an_id_number_written_in_scientific_notation(tree, clerk_a, filename):
    result = plan(clerk_a, [HEADER, ["张三", "1.10105E+17", "甲村党支部"]], filename)

    assert problems(result) == [
        "第2行「公民身份证号」：身份证号「1.10105E+17」是科学计数法，后几位已丢失；"
        "请把该列设为“文本”后重新填写。"
    ]


def test_it_refuses_a_masked_id_number_with_its_own_message(tree, clerk_a):
    result = plan(clerk_a, [HEADER, ["张三", "110105********002X", "甲村党支部"]])

    assert problems(result) == ["第2行「公民身份证号」：身份证号已被遮蔽（含 *），请填写完整号码。"]


def test_it_names_the_expected_check_character_of_a_wrong_one(tree, clerk_a):
    wrong = NUMBER[:17] + "0"
    assert NUMBER[17] == "X"

    result = plan(clerk_a, [HEADER, ["张三", wrong, "甲村党支部"]])

    assert problems(result) == [
        f"第2行「公民身份证号」：身份证号「{wrong}」校验位错误：按前17位计算，"
        "第18位校验码应为「X」，实际为「0」。"
    ]


def overridden_member(tree, **fields):
    wrong = NUMBER[:17] + "0"
    return MemberFactory(
        branch=tree.village_a,
        id_number=wrong,
        birth_date=datetime.date(1980, 5, 17),
        sex=Sex.MALE,
        id_check_override=True,
        id_check_override_reason="户籍证明核实无误",
        **fields,
    )


def test_it_accepts_a_wrong_check_character_for_the_member_whose_record_overrides_it(tree, clerk_a):
    member = overridden_member(tree, mobile_phone="13800000000")

    result = plan(
        clerk_a,
        [
            [*HEADER, "手机号"],
            [member.name, member.id_number, "甲村党支部", "13800000000"],
            ["李四", OTHER[:17] + ("1" if OTHER[17] != "1" else "2"), "甲村党支部", ""],
        ],
    )

    assert [r.action for r in result.rows] == ["unchanged", "rejected"]
    assert result.rows[0].existing == member
    assert [p.message for p in result.problems] == [
        f"身份证号「{result.rows[1].cells[1]}」校验位错误：按前17位计算，"
        f"第18位校验码应为「{OTHER[17]}」，实际为「{result.rows[1].cells[1][17]}」。"
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("", "身份证号不能为空。"),
        (
            "11010519800517",
            "身份证号「11010519800517」格式不正确：应为18位（最后一位可为X）或15位数字。",
        ),
        (
            "110105198002300213",
            "身份证号「110105198002300213」中的出生日期 19800230 不是有效日期。",
        ),
    ],
)
def test_it_refuses_malformed_id_numbers(tree, clerk_a, cell, message):
    result = plan(clerk_a, [HEADER, ["张三", cell, "甲村党支部"]])

    assert problems(result) == [f"第2行「公民身份证号」：{message}"]


# -- branches and groups ------------------------------------------------------------


def test_it_refuses_a_branch_it_does_not_know(tree, clerk_a):
    result = plan(clerk_a, [HEADER, ["张三", NUMBER, "东庄村党支部"]])

    assert problems(result) == [
        "第2行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「东庄村党支部」。"
    ]


def test_it_lists_both_branches_of_the_same_name_and_takes_the_path(tree, county_user):
    twin = BranchFactory(parent=tree.township_b, name="甲村党支部", code="B-TWIN")
    rows = [
        HEADER,
        ["张三", NUMBER, "甲村党支部"],
        ["李四", OTHER, "甲镇党委/甲村党支部"],
        ["王五", THIRD, "县委／乙镇党委／甲村党支部"],
    ]

    result = plan(county_user, rows)

    assert problems(result) == [
        "第2行「所在党支部」：「甲村党支部」有 2 个同名党支部："
        "县委/甲镇党委/甲村党支部、县委/乙镇党委/甲村党支部；请写成完整路径。"
    ]
    assert [r.action for r in result.rows] == ["rejected", "new", "new"]
    assert result.rows[1].values["branch"] == tree.village_a
    assert result.rows[2].values["branch"] == twin


def test_it_refuses_a_path_that_leads_nowhere(tree, county_user):
    result = plan(county_user, [HEADER, ["张三", NUMBER, "乙镇党委/甲村党支部"]])

    assert problems(result) == [
        "第2行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「乙镇党委/甲村党支部」。"
    ]


def test_it_refuses_a_dissolved_branch(tree, clerk_a):
    dissolved = BranchFactory(parent=tree.township_a, name="旧村党支部", code="A-OLD")
    dissolved.dissolved_on = datetime.date(2020, 1, 1)
    dissolved.save()

    result = plan(clerk_a, [HEADER, ["张三", NUMBER, "旧村党支部"]])

    assert problems(result) == [
        "第2行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「旧村党支部」。"
    ]


def test_it_places_members_in_a_group_of_their_branch_and_refuses_one_outside(tree, clerk_a):
    result = plan(
        clerk_a,
        [
            [*HEADER, "所在党小组"],
            ["张三", NUMBER, "甲村党支部", "甲村第二党小组"],
            ["李四", OTHER, "甲村党支部", "乙村第一党小组"],
            ["王五", THIRD, "甲镇机关党支部", "甲村第一党小组"],
        ],
    )

    assert result.rows[0].values["group"] == tree.group_a2
    assert problems(result) == [
        "第3行「所在党小组」：党支部「甲村党支部」下没有党小组「乙村第一党小组」。",
        "第4行「所在党小组」：党支部「甲镇机关党支部」下没有党小组「甲村第一党小组」。",
    ]


# -- duplicates and scope --------------------------------------------------------------


def test_it_rejects_every_row_of_a_duplicated_id_number_naming_the_others(tree, clerk_a):
    rows = [
        HEADER,
        ["张三", NUMBER, "甲村党支部"],
        ["李四", OTHER, "甲村党支部"],
        ["张三", NUMBER, "甲镇机关党支部"],
        ["张三", NUMBER.lower(), "甲村党支部"],
    ]

    result = plan(clerk_a, rows)

    assert [r.action for r in result.rows] == ["rejected", "new", "rejected", "rejected"]
    assert problems(result) == [
        f"第2行「公民身份证号」：身份证号 {NUMBER} 在文件中重复（另见第4行、第5行）。",
        f"第4行「公民身份证号」：身份证号 {NUMBER} 在文件中重复（另见第2行、第5行）。",
        f"第5行「公民身份证号」：身份证号 {NUMBER} 在文件中重复（另见第2行、第4行）。",
    ]


def test_it_does_not_resolve_a_branch_outside_the_clerks_township(tree, clerk_a):
    result = plan(clerk_a, [HEADER, ["张三", NUMBER, "乙村党支部"]])

    assert problems(result) == [
        "第2行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「乙村党支部」。"
    ]


def test_it_refuses_an_id_number_on_the_roster_of_another_township_and_leaves_it_alone(
    tree, clerk_a
):
    theirs = MemberFactory(branch=tree.village_b, name="乙镇党员", mobile_phone="13700000000")
    ours = MemberFactory(branch=tree.village_a)
    rows = [
        [*HEADER, "手机号"],
        ["冒名", theirs.id_number, "甲村党支部", "13900000000"],
        [ours.name, ours.id_number, "甲村党支部", "13900000001"],
    ]
    result = plan(clerk_a, rows)
    before_history = Member.history.filter(id=theirs.pk).count()

    roster_commit(plan=result, user=clerk_a, skip_invalid=True)

    assert problems(result) == [
        "第2行「公民身份证号」：该身份证号已登记在你管辖范围以外的组织，"
        "请联系上级组织部门办理组织关系转接。"
    ]
    assert "乙" not in problems(result)[0]  # where it is stays unsaid
    theirs.refresh_from_db()
    assert (theirs.name, theirs.branch, theirs.mobile_phone) == (
        "乙镇党员",
        tree.village_b,
        "13700000000",
    )
    assert Member.objects.filter(id_number=theirs.id_number).count() == 1
    assert Member.history.filter(id=theirs.pk).count() == before_history
    ours.refresh_from_db()
    assert ours.mobile_phone == "13900000001"


def test_it_adds_again_a_member_of_another_township_who_left_the_roster(tree, clerk_a):
    gone = MemberFactory(branch=tree.village_b)
    services.member_leave(
        member=gone, status="transferred_out", on=datetime.date(2024, 1, 1), reason="转出"
    )

    (row,) = plan(clerk_a, [HEADER, ["张三", gone.id_number, "甲村党支部"]]).rows

    assert (row.action, row.problems) == ("new", [])


# -- writing ----------------------------------------------------------------------------


def good_and_bad_rows():
    return [
        [*HEADER, "手机号"],
        ["张三", NUMBER, "甲村党支部", "13800000000"],
        ["李四", OTHER, "无此支部", "13800000001"],
        ["王五", THIRD, "甲镇机关党支部", "13800000002"],
    ]


def test_it_writes_nothing_when_a_row_is_rejected_and_invalid_rows_are_not_skipped(tree, clerk_a):
    result = plan(clerk_a, good_and_bad_rows())
    before = snapshot()

    with pytest.raises(ValueError, match="有被拒绝的行"):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    assert snapshot() == before
    assert Member.objects.count() == 0


def test_it_writes_only_the_valid_rows_when_told_to_skip_the_invalid_ones(tree, clerk_a):
    result = plan(clerk_a, good_and_bad_rows())

    counts = roster_commit(plan=result, user=clerk_a, skip_invalid=True)

    assert counts == {"new": 2, "changed": 0, "unchanged": 0, "rejected": 1}
    assert sorted(Member.objects.values_list("name", "branch__name", "mobile_phone")) == [
        ("张三", "甲村党支部", "13800000000"),
        ("王五", "甲镇机关党支部", "13800000002"),
    ]
    assert not Member.objects.filter(id_number=OTHER).exists()
    for member in Member.objects.all():
        (row,) = member.memberships.all()
        assert (row.branch_id, row.ended_on, row.start_reason) == (
            member.branch_id,
            None,
            MembershipReason.ROSTER,
        )


def test_it_writes_every_column_of_a_new_member(tree, clerk_a):
    headers = [*HEADER, "所在党小组", "人员类别", "加入党组织日期", "转为正式党员日期", "手机号"]
    headers += ["家庭住址", "是否为失联党员", "失去联系日期", "党费缴至年月", "籍贯"]
    row = ["李四", OTHER, "甲村党支部", "甲村第一党小组", "正式党员", "2000-06-30", "2001-06-30"]
    row += ["139 1234 5678", "甲村3组", "是", "2023-03-01", "2024.6", "山西太原"]

    roster_commit(plan=plan(clerk_a, [headers, row]), user=clerk_a, skip_invalid=False)

    member = Member.objects.get()
    assert (member.name, member.id_number, member.branch, member.group) == (
        "李四",
        OTHER,
        tree.village_a,
        tree.group_a1,
    )
    assert (member.sex, member.birth_date) == (Sex.FEMALE, datetime.date(1975, 3, 9))
    assert (member.joined_on, member.full_member_on) == (
        datetime.date(2000, 6, 30),
        datetime.date(2001, 6, 30),
    )
    assert (member.mobile_phone, member.address, member.native_place) == (
        "13912345678",
        "甲村3组",
        "山西太原",
    )
    assert (member.lost_contact, member.lost_contact_on) == (True, datetime.date(2023, 3, 1))
    assert member.dues_paid_until == datetime.date(2024, 6, 1)
    member.full_clean()  # what the import wrote, the model accepts
    membership = member.memberships.get()
    assert (membership.group, membership.started_on) == (tree.group_a1, datetime.date(2000, 6, 30))


@pytest.mark.parametrize(
    ("extra_headers", "cells", "message"),
    [
        (
            ["加入党组织日期", "转为正式党员日期"],
            ["2018-07-01", "2017-07-01"],
            "第2行「转为正式党员日期」：转为正式党员日期早于加入党组织日期。",
        ),
        (
            ["是否为失联党员", "失去联系日期"],
            ["否", "2023-03-01"],
            "第2行「失去联系日期」：未失联的党员不填失去联系日期。",
        ),
        (
            ["是否为失联党员", "失去联系日期"],
            ["是", ""],
            "第2行「失去联系日期」：失联党员须填写失去联系日期。",
        ),
        (
            ["人员类别", "转为正式党员日期"],
            ["预备党员", "2019-07-01"],
            "第2行「转为正式党员日期」：预备党员不应有转为正式党员日期。",
        ),
        (
            ["是否为流动党员", "外出流向"],
            ["否", "广东"],
            "第2行「外出流向」：只有流动党员填写外出流向。",
        ),
    ],
)
def test_it_refuses_rows_the_member_record_itself_would_refuse(
    tree, clerk_a, extra_headers, cells, message
):
    result = plan(clerk_a, [[*HEADER, *extra_headers], ["张三", NUMBER, "甲村党支部", *cells]])

    assert problems(result) == [message]


@pytest.mark.parametrize(
    "target",
    [
        "members.services._update_fields",
        "members.models.MembershipQuerySet.open_for_new_members",
    ],
)
def test_it_leaves_the_registry_as_it_was_when_the_write_fails_half_way(tree, clerk_a, target):
    member = MemberFactory(branch=tree.village_a, mobile_phone="13800000000")
    result = plan(
        clerk_a,
        [
            [*HEADER, "手机号"],
            [member.name, member.id_number, "甲村党支部", "13900000000"],
            ["李四", OTHER, "甲村党支部", "13900000001"],
        ],
    )
    assert result.counts == {"new": 1, "changed": 1, "unchanged": 0, "rejected": 0}
    before = snapshot()

    with patch(target, side_effect=RuntimeError("disk full")), pytest.raises(RuntimeError):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    assert snapshot() == before
    member.refresh_from_db()
    assert member.mobile_phone == "13800000000"
    assert not Member.objects.filter(id_number=OTHER).exists()


def test_it_leaves_a_transfer_undone_when_opening_the_new_membership_fails(tree, clerk_a):
    member = MemberFactory(branch=tree.village_a)
    result = plan(
        clerk_a,
        [HEADER, [member.name, member.id_number, "甲镇机关党支部"], ["李四", OTHER, "甲村党支部"]],
    )
    before = snapshot()

    with (
        patch.object(Membership.objects, "bulk_create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    assert snapshot() == before
    member.refresh_from_db()
    assert member.branch == tree.village_a
    (open_row,) = member.memberships.open()
    assert open_row.branch == tree.village_a


def test_it_finds_nothing_to_do_when_the_same_file_is_imported_twice(tree, clerk_a):
    data = xlsx(
        [
            [*HEADER, "所在党小组", "手机号", "加入党组织日期"],
            ["张三", NUMBER, "甲村党支部", "甲村第一党小组", "13800000000", "2018-07-01"],
            ["李四", OTHER, "甲镇机关党支部", "", "", ""],
        ]
    )
    first = plan_import(data=data, filename="a.xlsx", user=clerk_a)
    roster_commit(plan=first, user=clerk_a, skip_invalid=False)
    stamps = sorted(Member.objects.values_list("pk", "updated_at"))
    before = snapshot()

    second = plan_import(data=data, filename="a.xlsx", user=clerk_a)
    counts = roster_commit(plan=second, user=clerk_a, skip_invalid=False)

    assert counts == {"new": 0, "changed": 0, "unchanged": 2, "rejected": 0}
    assert all(r.changes == {} for r in second.rows)
    assert snapshot() == before
    assert sorted(Member.objects.values_list("pk", "updated_at")) == stamps


def test_it_changes_only_the_field_that_differs(tree, clerk_a):
    member = MemberFactory(
        group=tree.group_a1, mobile_phone="13800000000", joined_on=datetime.date(2018, 7, 1)
    )
    other = MemberFactory(branch=tree.village_a, mobile_phone="13800000001")
    result = plan(
        clerk_a,
        [
            [*HEADER, "所在党小组", "手机号", "加入党组织日期"],
            [member.name, member.id_number, "甲村党支部", "甲村第一党小组", "13900000000"]
            + ["2018-07-01"],
            [other.name, other.id_number, "甲村党支部", "", "13800000001", ""],
        ],
    )

    assert [r.action for r in result.rows] == ["changed", "unchanged"]
    assert result.rows[0].changes == {"mobile_phone": ("13800000000", "13900000000")}
    roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    member.refresh_from_db()
    assert (member.mobile_phone, member.group) == ("13900000000", tree.group_a1)
    assert member.memberships.count() == 1  # a new phone is no transfer
    latest = Member.history.filter(id=member.pk).latest("history_date")
    assert (latest.history_type, latest.mobile_phone) == ("~", "13900000000")
    assert Member.history.filter(id=other.pk).count() == 1  # only its creation


@pytest.mark.parametrize("cell", ["0351-1234567", "0351 1234567", "03511234567"])
def test_it_compares_phone_numbers_without_their_separators(tree, clerk_a, cell):
    member = MemberFactory(branch=tree.village_a, landline="0351-1234567")

    (row,) = plan(
        clerk_a, [[*HEADER, "固定电话"], [member.name, member.id_number, "甲村党支部", cell]]
    ).rows

    assert (row.action, row.changes) == ("unchanged", {})


def test_it_transfers_a_member_whose_branch_changed(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    result = plan(
        clerk_a,
        [[*HEADER, "所在党小组"], [member.name, member.id_number, "甲镇机关党支部", ""]],
    )
    (row,) = result.rows
    assert row.changes == {
        "branch": (tree.village_a.pk, tree.organ_a.pk),
        "group": (tree.group_a1.pk, None),
    }

    roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    today = timezone.localdate()
    member.refresh_from_db()
    assert (member.branch, member.group) == (tree.organ_a, None)
    old, new = member.memberships.order_by("started_on", "pk")
    assert (old.branch, old.group, old.ended_on, old.end_reason) == (
        tree.village_a,
        tree.group_a1,
        today,
        MembershipReason.TRANSFER,
    )
    assert (new.branch, new.group, new.started_on, new.ended_on, new.start_reason) == (
        tree.organ_a,
        None,
        today,
        None,
        MembershipReason.TRANSFER,
    )
    assert new.note == "花名册导入"


def test_it_keeps_the_group_of_a_member_when_the_file_has_no_group_column(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)

    (row,) = plan(clerk_a, [HEADER, [member.name, member.id_number, "甲村党支部"]]).rows

    assert (row.action, row.changes) == ("unchanged", {})


def test_it_leaves_the_old_group_behind_on_a_transfer_without_a_group_column(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    result = plan(clerk_a, [HEADER, [member.name, member.id_number, "甲镇机关党支部"]])

    roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    member.refresh_from_db()
    assert (member.branch, member.group) == (tree.organ_a, None)
    member.full_clean()
    assert member.memberships.open().get().group is None


def test_it_moves_a_member_between_groups_of_the_same_branch(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    result = plan(
        clerk_a,
        [[*HEADER, "党小组"], [member.name, member.id_number, "甲村党支部", "甲村第二党小组"]],
    )

    roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    member.refresh_from_db()
    assert member.group == tree.group_a2
    # A move inside the branch is 调整党小组, as the admin records it, not a transfer.
    old, new = member.memberships.order_by("started_on", "pk")
    assert old.end_reason == new.start_reason == MembershipReason.REGROUP
    assert member.memberships.open().get().group == tree.group_a2


# -- previews kept for confirmation, and the audit trail --------------------------------------


def previewed_change(tree, clerk_a):
    member = MemberFactory(branch=tree.village_a, mobile_phone="13800000000")
    data = xlsx(
        [
            [*HEADER, "手机号"],
            [member.name, member.id_number, "甲村党支部", "13900000000"],
            ["李四", OTHER, "甲村党支部", "13900000001"],
        ]
    )
    run, preview = import_runs.import_run_preview(
        user=clerk_a, data=data, file_name="甲镇花名册.xlsx"
    )
    return member, data, run, preview


def test_it_refuses_to_confirm_a_preview_of_members_changed_since(tree, clerk_a):
    member, _, run, preview = previewed_change(tree, clerk_a)
    assert preview.counts == {"new": 1, "changed": 1, "unchanged": 0, "rejected": 0}
    services.member_update(member=member, mobile_phone="13700000000")
    before = snapshot()

    with pytest.raises(StalePreview, match="预览之后这些党员的数据已被修改"):
        import_runs.import_run_confirm(run=run, skip_invalid=False)

    assert snapshot() == before
    member.refresh_from_db()
    assert member.mobile_phone == "13700000000"
    run.refresh_from_db()
    assert (run.status, run.committed_at) == (ImportRun.Status.PREVIEWED, None)


def test_it_refuses_to_confirm_a_preview_whose_counts_no_longer_hold(tree, clerk_a):
    member, _, run, _ = previewed_change(tree, clerk_a)
    services.member_update(member=member, mobile_phone="13900000000")  # now unchanged
    before = snapshot()

    with pytest.raises(StalePreview, match="预览之后数据已发生变化"):
        import_runs.import_run_confirm(run=run, skip_invalid=False)

    assert snapshot() == before


def test_it_confirms_a_preview_once(tree, clerk_a):
    _, _, run, _ = previewed_change(tree, clerk_a)
    import_runs.import_run_confirm(run=run, skip_invalid=False)
    before = snapshot()

    with pytest.raises(Exception, match="这次导入已经处理过了"):
        import_runs.import_run_confirm(run=run, skip_invalid=False)

    assert snapshot() == before


def test_it_records_who_imported_what_from_which_file_in_the_history(tree, clerk_a):
    member, data, run, _ = previewed_change(tree, clerk_a)

    import_runs.import_run_confirm(run=run, skip_invalid=False)

    changed = Member.history.filter(id=member.pk).latest("history_date")
    assert (changed.history_type, changed.mobile_phone) == ("~", "13900000000")
    assert changed.history_user == clerk_a
    assert "甲镇花名册.xlsx" in changed.history_change_reason
    assert f"导入记录 {run.pk}" in changed.history_change_reason
    added = Member.objects.get(id_number=OTHER)
    (created,) = Member.history.filter(id=added.pk)
    assert (created.history_type, created.history_user) == ("+", clerk_a)
    assert "甲镇花名册.xlsx" in created.history_change_reason
    (membership,) = Membership.history.filter(member_id=added.pk)
    assert (membership.history_type, membership.history_user) == ("+", clerk_a)
    assert "甲镇花名册.xlsx" in membership.history_change_reason

    run.refresh_from_db()
    assert (run.user, run.file_name, run.upload.sha256) == (
        clerk_a,
        "甲镇花名册.xlsx",
        hashlib.sha256(data).hexdigest(),
    )
    assert (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_rejected) == (1, 1, 0, 0)
    assert run.status == ImportRun.Status.COMMITTED
    assert run.committed_at is not None and run.skipped_invalid is False
    with run.file.open("rb") as handle:
        assert handle.read() == data


def test_it_keeps_the_preview_problems_on_the_run(tree, clerk_a):
    run, _ = import_runs.import_run_preview(
        user=clerk_a, data=xlsx(good_and_bad_rows()), file_name="a.xlsx"
    )

    assert run.problems == [
        "第3行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「无此支部」。"
    ]
    assert (run.rows_new, run.rows_rejected, run.status) == (2, 1, ImportRun.Status.PREVIEWED)
    assert Member.objects.count() == 0


# -- encodings and formats ---------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_it_reads_csv_files_in_every_encoding_excel_writes(tree, clerk_a, encoding):
    data = csv_bytes(
        [[*HEADER, "家庭住址"], ["张三", NUMBER, "甲村党支部", "甲村东街"]], encoding=encoding
    )

    result = plan_import(data=data, filename="花名册.csv", user=clerk_a)

    assert result.fields == ["name", "id_number", "branch", "address"]
    (row,) = result.rows
    assert (row.action, row.values["name"], row.values["address"]) == ("new", "张三", "甲村东街")
    assert row.values["branch"] == tree.village_a


def test_it_refuses_a_csv_in_an_encoding_it_cannot_tell(tree, clerk_a):
    with pytest.raises(RosterFileError, match="无法识别 CSV 文件的编码"):
        plan_import(data=b"\xff\xfe\x00\xd8\x00\x00\x81", filename="a.csv", user=clerk_a)


def test_it_reads_an_excel_97_file(tree, clerk_a):
    data = xls(
        [
            ["某某乡党员花名册 2026年"],
            [*HEADER, "加入党组织日期", "手机号"],
            ["张 三", NUMBER, "甲村党支部", 43282, "13800000000"],
        ]
    )

    result = plan_import(data=data, filename="花名册.xls", user=clerk_a)

    (row,) = result.rows
    assert (row.number, row.action) == (3, "new")
    assert (row.values["name"], row.values["joined_on"], row.values["mobile_phone"]) == (
        "张三",
        datetime.date(2018, 7, 1),
        "13800000000",
    )
