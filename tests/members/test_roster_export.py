"""The roster as a spreadsheet: round trip with the import, masking, formula escaping, template."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from members.choices import Education, MemberCategory, Occupation
from members.idcard import make_id_number
from members.models import Member, PiiAccess
from members.roster_columns import COLUMNS
from members.roster_export import roster_csv, roster_xlsx
from members.roster_plan import plan_import
from tests.conftest import logged_in
from tests.factories import MemberFactory
from tests.members.roster_helpers import read_xlsx

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]


# A number whose check character is wrong, on the roster with an explicit override.
WRONG_CHECK = make_id_number("110105", datetime.date(1980, 5, 17), 21)[:17] + "0"


def col(name: str) -> int:
    return HEADERS.index(name)


@pytest.fixture
def roster(tree):
    """Members of township A with every column filled one way or another, and one of B."""
    full = MemberFactory(
        name="张三",
        group=tree.group_a1,
        ethnicity="回族",
        education=Education.JUNIOR_COLLEGE,
        category=MemberCategory.FULL,
        joined_on=datetime.date(2001, 7, 1),
        full_member_on=datetime.date(2002, 7, 1),
        occupation=Occupation.FARMER,
        mobile_phone="13812345678",
        landline="0351-1234567",
        address="甲村东街1号",
        is_mobile=True,
        mobile_destination="广东省深圳市",
        employer="甲村合作社 会计",
        native_place="山西太原",
        monthly_dues=Decimal("12.50"),
        dues_paid_until=datetime.date(2024, 6, 1),
    )
    probationary = MemberFactory(
        name="李四",
        branch=tree.organ_a,
        category=MemberCategory.PROBATIONARY,
        joined_on=datetime.date(2025, 7, 1),
        lost_contact=True,
        lost_contact_on=datetime.date(2025, 9, 1),
        monthly_dues=Decimal("0.20"),
    )
    plain = MemberFactory(name="王五", branch=tree.village_a)
    overridden = MemberFactory(
        name="孙九",
        branch=tree.village_a,
        id_number=WRONG_CHECK,
        birth_date=datetime.date(1980, 5, 17),
        sex="M",
        id_check_override=True,
        id_check_override_reason="户籍证明核实无误",
    )
    other = MemberFactory(name="乙镇党员", branch=tree.village_b)
    return {
        "full": full,
        "probationary": probationary,
        "plain": plain,
        "overridden": overridden,
        "other": other,
    }


def export(client, fmt="xlsx"):
    response = client.get(reverse("members:roster_export"), {"format": fmt} if fmt else {})
    assert response.status_code == 200
    return response


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # Chinese Excel opens it without garbling
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_it_exports_the_clerks_roster_in_the_import_columns(roster, clerk_a):
    response = export(logged_in(clerk_a))

    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment; filename*=UTF-8''" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    assert rows[0] == HEADERS
    assert {r[col("姓名")] for r in rows[1:]} == {"张三", "李四", "王五", "孙九"}  # not B's member
    full = next(r for r in rows if r[col("姓名")] == "张三")
    assert full[col("公民身份证号")] == roster["full"].id_number
    assert full[col("所在党支部")] == "甲镇党委/甲村党支部"
    assert full[col("所在党小组")] == "甲村第一党小组"
    assert full[col("学历")] == "大学专科"
    assert full[col("人员类别")] == "正式党员"
    assert full[col("是否为流动党员")] == "是"
    assert full[col("是否为失联党员")] == "否"
    assert full[col("手机号")] == "13812345678"
    assert full[col("加入党组织日期")] == datetime.datetime(2001, 7, 1)


@pytest.mark.parametrize(("fmt", "filename"), [("xlsx", "roster.xlsx"), ("csv", "roster.csv")])
def test_it_imports_its_own_export_back_unchanged(roster, clerk_a, fmt, filename):
    response = export(logged_in(clerk_a), fmt)

    result = plan_import(data=response.content, filename=filename, user=clerk_a)

    assert result.unknown_columns == []
    assert result.problems == []
    assert result.counts == {"new": 0, "changed": 0, "unchanged": 4, "rejected": 0}
    assert {r.existing for r in result.rows} == {
        roster["full"],
        roster["probationary"],
        roster["plain"],
        roster["overridden"],
    }


def test_it_imports_a_county_export_back_unchanged_with_branches_of_the_same_name(
    roster, tree, county_user
):
    from tests.factories import BranchFactory

    twin = BranchFactory(parent=tree.township_b, name="甲村党支部", code="B-TWIN")
    MemberFactory(name="赵六", branch=twin)
    response = export(logged_in(county_user))

    result = plan_import(data=response.content, filename="roster.xlsx", user=county_user)

    assert result.problems == []
    assert result.counts["unchanged"] == 6
    paths = {r[col("所在党支部")] for r in read_xlsx(response.content)[1:]}
    assert {"甲镇党委/甲村党支部", "乙镇党委/甲村党支部"} <= paths


def test_it_masks_id_numbers_and_phones_for_a_user_without_view_pii(roster, secretary_a):
    assert not secretary_a.has_perm("members.view_pii")
    full = roster["full"]

    rows = read_xlsx(export(logged_in(secretary_a)).content)

    row = next(r for r in rows if r[col("姓名")] == "张三")
    assert row[col("公民身份证号")] == full.id_number[:6] + "********" + full.id_number[-4:]
    assert row[col("手机号")] == "138****5678"
    # The ID number's hidden digits are the birth date: the year alone is shown.
    assert row[col("出生日期")] == f"{full.birth_date.year}年"
    assert row[col("固定电话")] == "********4567"
    assert full.id_number not in str(rows) and "13812345678" not in str(rows)
    assert "0351-1234567" not in str(rows)
    assert not PiiAccess.objects.exists()


def test_it_masks_the_csv_export_too(roster, secretary_a):
    rows = csv_rows(export(logged_in(secretary_a), "csv").content)

    row = next(r for r in rows if r[col("姓名")] == "张三")
    assert row[col("公民身份证号")] == roster["full"].id_number_masked
    assert row[col("手机号")] == "138****5678"
    assert row[col("出生日期")] == f"{roster['full'].birth_date.year}年"
    assert row[col("固定电话")] == "********4567"


def test_it_refuses_to_import_a_masked_export(roster, secretary_a, clerk_a):
    data = export(logged_in(secretary_a)).content

    result = plan_import(data=data, filename="roster.xlsx", user=clerk_a)

    assert result.counts == {"new": 0, "changed": 0, "unchanged": 0, "rejected": 3}
    assert all(p.message == "身份证号已被遮蔽（含 *），请填写完整号码。" for p in result.problems)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_it_records_an_export_of_whole_id_numbers(roster, clerk_a, fmt):
    export(logged_in(clerk_a), fmt)

    (access,) = PiiAccess.objects.all()
    assert (access.user, access.action, access.member) == (clerk_a, PiiAccess.Action.EXPORT, None)
    assert access.detail == "导出花名册 4 人"


FORMULAS = {
    "家庭住址": "=cmd|' /C calc'!A0",
    "工作单位及职务": "+SUM(A1:A9)",
    "籍贯": "-2+3",
    "外出流向": "@A1",
    "固定电话": "\t0351",
}


@pytest.fixture
def formula_member(tree):
    MemberFactory(name="赵七", branch=tree.village_a, address="\r=1+1")
    return MemberFactory(
        name="钱八",
        branch=tree.village_a,
        address=FORMULAS["家庭住址"],
        employer=FORMULAS["工作单位及职务"],
        native_place=FORMULAS["籍贯"],
        is_mobile=True,
        mobile_destination=FORMULAS["外出流向"],
        landline=FORMULAS["固定电话"],
    )


def test_it_escapes_every_cell_a_spreadsheet_would_run_as_a_formula(formula_member, clerk_a):
    rows = read_xlsx(export(logged_in(clerk_a)).content)

    row = next(r for r in rows if r[col("姓名")] == "钱八")
    for header, value in FORMULAS.items():
        assert row[col(header)] == "'" + value, header
    other = next(r for r in rows if r[col("姓名")] == "赵七")
    assert other[col("家庭住址")].startswith("'")  # the XML turns the CR into LF


def test_it_escapes_formulas_in_the_csv_export(formula_member, clerk_a):
    rows = csv_rows(export(logged_in(clerk_a), "csv").content)

    row = next(r for r in rows if r[col("姓名")] == "钱八")
    assert row[col("家庭住址")] == "'=cmd|' /C calc'!A0"
    for header, value in FORMULAS.items():
        assert row[col(header)] == "'" + value, header
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_it_writes_the_export_functions_for_any_queryset(roster, clerk_a):
    members = Member.objects.filter(pk=roster["plain"].pk).select_related("branch", "group")

    response = roster_xlsx(members=members, user=clerk_a, mask=True, filename="x.xlsx")
    data = roster_csv(members=members, user=clerk_a, mask=False)

    (row,) = read_xlsx(response.content)[1:]
    assert row[col("公民身份证号")] == roster["plain"].id_number_masked
    (csv_row,) = csv_rows(data)[1:]
    assert csv_row[col("公民身份证号")] == roster["plain"].id_number
    assert csv_row[col("出生日期")] == roster["plain"].birth_date.isoformat()
    assert csv_row[col("所在党支部")] == "甲镇党委/甲村党支部"


def test_it_offers_an_import_template_with_the_required_columns_and_one_example(tree, clerk_a):
    response = logged_in(clerk_a).get(reverse("members:import_template"))

    assert response.status_code == 200
    assert "%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response.content)
    assert len(rows) == 2  # the header and one example
    header, example = rows
    assert header[:3] == ["姓名*", "所在党支部*", "公民身份证号*"]
    assert header[3:] == HEADERS[3:]
    assert example[:3] == ["张三", "城关镇党委/东庄村党支部", "11010519491231002X"]


def test_it_reads_the_templates_header_as_the_roster_columns(tree, clerk_a):
    response = logged_in(clerk_a).get(reverse("members:import_template"))

    result = plan_import(data=response.content, filename="导入模板.xlsx", user=clerk_a)

    assert result.fields == [c.field for c in COLUMNS]
    assert result.unknown_columns == []
    (row,) = result.rows  # the example, whose township does not exist here
    assert [str(p) for p in row.problems] == [
        "第2行「所在党支部*」：在你管辖的范围内找不到未撤销的党支部「城关镇党委/东庄村党支部」。"
    ]
