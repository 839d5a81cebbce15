"""County staff add a department's 基层党委 under the county, a 党总支 in it and two
branches under that; the department's clerk imports a roster into one of the branches;
county staff drill down to it in the overview: the deeper tree, end to end."""

import datetime

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from branches.models import Organization, OrgKind
from branches.roles import Role
from members.idcard import make_id_number
from members.models import Member
from tests.e2e.conftest import account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def add_organisation(page, *, kind, name, code, category, parent):
    """The admin's add form; the parent through its autocomplete, as a person picks it."""
    page.goto("/admin/branches/organization/add/")
    page.select_option("#id_kind", label=kind)
    page.fill("#id_name", name)
    page.fill("#id_code", code)
    page.select_option("#id_category", label=category)
    page.click(".field-parent .select2-selection")
    page.fill(".select2-search__field", parent)
    page.click(f".select2-results__option:has-text('{parent}')")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text(name)


def roster_file(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号码", "所在支部", "性别", "入党时间", "职业", "文化程度"])
    for i, (name, female) in enumerate((("孙志远", False), ("钱雅琴", True), ("林海峰", False))):
        number = make_id_number("131221", datetime.date(1975 + i, 5, 1 + i), 22 if female else 21)
        sheet.append(
            [
                name,
                number,
                "县财政局第一党支部",
                "女" if female else "男",
                "2010.07",
                "公务员",
                "本科",
            ]
        )
    path = tmp_path / "财政局花名册.xlsx"
    workbook.save(path)
    return path


def test_county_staff_add_a_department_committee_import_into_it_and_drill_down(
    page, screenshot, tree, tmp_path
):
    account("county", tree.county, Role.COUNTY, first_name="县委组织部")
    log_in(page, "county")
    add_organisation(
        page, kind="基层党委", name="县财政局党委", code="CZ", category="机关", parent="县委"
    )
    add_organisation(
        page,
        kind="党总支",
        name="县财政局党总支",
        code="CZ-Z",
        category="机关",
        parent="县财政局党委",
    )
    for n, ordinal in enumerate("一二", 1):
        add_organisation(
            page,
            kind="党支部",
            name=f"县财政局第{ordinal}党支部",
            code=f"CZ-Z-{n}",
            category="机关",
            parent="县财政局党总支",
        )
    screenshot("committee-1-admin-list")

    # County staff keep the tree but do not import members (Role.COUNTY): the
    # department's own clerk, attached to its 党委, does.
    committee = Organization.objects.get(name="县财政局党委")
    account("caizheng", committee, Role.CLERK, first_name="财政局党委专干")
    page.context.clear_cookies()
    log_in(page, "caizheng")
    page.click("text=花名册导入")
    page.set_input_files("#id_file", str(roster_file(tmp_path)))
    page.click("button.primary")
    expect(page.locator("#import-counts")).to_contain_text("3")
    screenshot("committee-2-roster-preview")
    page.click("text=确认导入")
    expect(page.locator(".messages")).to_contain_text("新增 3 人")
    page.context.clear_cookies()
    log_in(page, "county")

    page.get_by_role("link", name="统计报表").click()
    expect(page.locator("h1")).to_contain_text("县委 组织概况")
    expect(page.locator("main")).to_contain_text("基层党委")
    screenshot("committee-3-overview-county")
    page.get_by_role("link", name="县财政局党委", exact=True).click()
    page.get_by_role("link", name="县财政局党总支", exact=True).click()
    page.get_by_role("link", name="县财政局第一党支部", exact=True).click()
    expect(page.locator("h1")).to_contain_text("县财政局第一党支部 组织概况")
    expect(page.locator(".crumbs")).to_contain_text(
        "县委 › 县财政局党委 › 县财政局党总支 › 县财政局第一党支部"
    )
    expect(page.locator(".stats")).to_contain_text("3")
    screenshot("committee-4-overview-branch")

    committee.refresh_from_db()
    assert (committee.kind, committee.parent_id) == (OrgKind.PRIMARY_COMMITTEE, tree.county.pk)
    branch = Organization.objects.get(name="县财政局第一党支部")
    assert branch.depth == 4 and branch.parent.kind == OrgKind.GENERAL_BRANCH
    assert Member.objects.filter(branch=branch).count() == 3
