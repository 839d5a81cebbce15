import datetime

import pytest
from django.core.management import call_command
from openpyxl import Workbook
from playwright.sync_api import expect

from members.idcard import make_id_number
from members.models import Member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def roster(path, rows):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册")
    sheet.append(["县党员花名册"])
    sheet.append(["姓名", "公民身份证号", "所在党支部", "所在党小组", "入党时间"])
    for i in range(rows):
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i)
        number = make_id_number("131221", birth, 31 + 2 * (i % 400))
        group = "甲村第一党小组" if i % 2 else "甲村第二党小组"
        sheet.append([f"党员{i:04d}", number, "甲镇党委/甲村党支部", group, "2010-07-01"])
    workbook.save(path)
    return path


def run_worker():
    """The worker, run here between page loads so each step is deterministic."""
    call_command("db_worker", batch=True, interval=0.01)


def test_it_imports_a_big_roster_in_the_background_with_a_progress_bar(
    page, screenshot, tree, admin_user, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_BACKGROUND_BYTES = 64 * 1024
    page.goto("/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")

    page.goto("/members/import/")
    page.set_input_files("#id_file", str(roster(tmp_path / "县花名册.xlsx", 5000)))
    page.click("button.primary")
    expect(page.locator("#import-progress progress")).to_be_visible()
    expect(page.locator("#import-progress")).to_contain_text("排队中")
    screenshot("import-progress")
    page.reload()  # the progress lives on the server: a reload shows it again
    expect(page.locator("#import-progress")).to_contain_text("等待后台处理")

    run_worker()
    # The page refreshes itself every 2 seconds and ends on the preview.
    expect(page.locator("h1")).to_contain_text("导入预览", timeout=10_000)
    expect(page.locator("#import-counts")).to_contain_text("5000")
    screenshot("import-background-preview")

    page.click("text=确认导入")
    expect(page.locator("#import-progress")).to_contain_text("写入中")
    run_worker()
    expect(page.locator("h1")).to_contain_text("导入完成", timeout=10_000)
    screenshot("import-background-done")
    assert Member.objects.count() == 5000
