import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from branches.roles import Role
from members.idcard import make_id_number
from members.models import Member
from tests.e2e.conftest import account, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def roster_file(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["甲镇党员花名册 2026年"])
    sheet.append(["姓名", "公民身份证号", "所在党支部", "性别", "入党时间"])
    good = [make_id_number("131221", datetime.date(1980, 1, i + 1), 11) for i in range(3)]
    sheet.append(["王建国", good[0], "甲村党支部", "男", "2005-07-01"])
    sheet.append(["李 强", good[1], "甲村党支部", "男", "2006年7月1日"])
    sheet.append(["赵六", "110105194912310021", "甲村党支部", "女", "2007-07-01"])
    sheet.append(["钱七", good[2], "不存在村党支部", "男", "2008-07-01"])
    path = tmp_path / "甲镇花名册.xlsx"
    workbook.save(path)
    return path


def test_it_lets_a_clerk_import_only_the_valid_rows_after_seeing_the_problems(
    page, screenshot, tree, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    account("clerk_a", tree.township_a, Role.CLERK)
    log_in(page, "clerk_a")
    page.click("text=花名册导入")
    page.set_input_files("#id_file", str(roster_file(tmp_path)))
    page.click("button.primary")

    problems = page.locator(".problem-list")
    expect(problems).to_contain_text("第5行「公民身份证号」")
    expect(problems).to_contain_text("校验位")
    expect(problems).to_contain_text("第6行「所在党支部」")
    expect(page.locator("#import-counts")).to_contain_text("2")
    screenshot("import-preview")

    with page.expect_download() as download_info:
        page.click("text=下载被拒绝的行")
    # Playwright saves downloads without a suffix; openpyxl wants a file object then.
    with open(download_info.value.path(), "rb") as handle:
        rejected = load_workbook(io.BytesIO(handle.read()))
    rows = list(rejected.active.values)
    assert rows[0][-1] == "错误说明"
    assert [r[0] for r in rows[1:]] == ["赵六", "钱七"]

    page.check("input[name=skip_invalid]")
    page.click("text=只导入有效行")
    expect(page.locator(".messages")).to_contain_text("新增 2 人")
    screenshot("import-done")
    assert sorted(Member.objects.values_list("name", flat=True)) == ["李强", "王建国"]
