"""An admin imports a roster whose township is not in the tree yet, in one sitting:
upload, create the township and its branches from the preview, import every valid row."""

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


def roster_file(tmp_path):
    """丙镇's roster: two village branches the tree lacks, dates to the month, a 村干部."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["丙镇党员花名册（2026年11月）"])
    sheet.append(["姓名", "身份证号码", "所在支部", "性别", "入党时间", "职业", "文化程度"])
    people = [
        ("周建华", "丙镇党委/青山村党支部", "2009.06", "务农", "初中"),
        ("吴秀英", "丙镇党委/青山村党支部", "201107", "村干部", "高中"),
        ("郑国强", "丙镇党委/青山村党支部", "2015年7月", "个体户", "大专"),
        ("冯丽娟", "丙镇党委/石桥村党支部", "2003-07-01", "退休", "本科"),
        ("陈志明", "丙镇党委/石桥村党支部", "2018年6月", "农民", "初中"),
    ]
    for i, (name, branch, joined, job, school) in enumerate(people):
        female = name in ("吴秀英", "冯丽娟")
        number = make_id_number("131221", datetime.date(1965 + i, 3, 1 + i), 22 if female else 21)
        sheet.append([name, number, branch, "女" if female else "男", joined, job, school])
    path = tmp_path / "丙镇花名册.xlsx"
    workbook.save(path)
    return path


def test_an_admin_creates_the_missing_township_from_the_preview_and_imports_every_row(
    page, screenshot, tree, tmp_path
):
    account("county_admin", tree.county, Role.ADMIN, first_name="县委组织部管理员")
    log_in(page, "county_admin")
    page.click("text=花名册导入")
    page.set_input_files("#id_file", str(roster_file(tmp_path)))
    page.click("button.primary")

    missing = page.locator("#missing")
    expect(missing).to_contain_text("组织树中没有的组织（5 行）")
    expect(missing).to_contain_text("丙镇党委")
    expect(missing).to_contain_text("丙镇党委（一并新建）")
    # The five rows' messages are two lines, one per branch.
    expect(page.locator("#problems h2")).to_have_text("问题（2 条）")
    expect(page.locator("#problems")).to_contain_text("（共 3 行）")
    screenshot("missing-1-preview")

    page.click("text=新建这些组织")
    expect(page.locator("#missing-nodes tbody tr")).to_have_count(3)
    screenshot("missing-2-confirm")
    page.check("input[name=confirm]")
    page.click("text=新建并重新检查花名册")

    expect(page.locator(".messages")).to_contain_text("已新建 3 个组织")
    expect(page.locator("#missing")).to_have_count(0)
    expect(page.locator("#import-counts")).to_contain_text("5")
    expect(page.locator("#warnings h2")).to_have_text("警告 1 条，不影响导入")
    screenshot("missing-3-rechecked")
    page.click("text=确认导入")
    expect(page.locator(".messages")).to_contain_text("新增 5 人")
    screenshot("missing-4-imported")

    township = Organization.objects.get(name="丙镇党委")
    assert (township.kind, township.parent_id) == (OrgKind.TOWNSHIP, tree.county.pk)
    assert Member.objects.filter(branch__parent=township).count() == 5
    assert Member.objects.get(name="吴秀英").occupation_as_written == "村干部"
