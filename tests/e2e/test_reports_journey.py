import datetime

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from activities.models import ActivityKind
from activities.ratings.services import rating_draft_compute
from branches.roles import Role
from tests.e2e.conftest import SCREENSHOTS, account, log_in
from tests.factories import MemberFactory
from tests.helpers import log_meeting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_lets_county_staff_drill_down_and_download(page, screenshot, tree, tmp_path):
    account("county", tree.county, Role.COUNTY)
    clerk = account("clerk_a", tree.township_a, Role.CLERK)
    for group, names in ((tree.group_a1, "王建国 李秀英 张志强"), (tree.group_a2, "刘桂兰 陈德明")):
        for name in names.split():
            MemberFactory(group=group, name=name)
    MemberFactory(group=tree.group_b1, name="赵淑珍")
    for month in (1, 2, 3, 4, 5, 6):
        log_meeting(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2026, month, 8),
            by=clerk,
        )
    rating_draft_compute(node=tree.county, year=2026)

    log_in(page, "county")
    page.get_by_role("link", name="统计报表").click()
    expect(page.locator("h1")).to_contain_text("县委 组织概况")
    expect(page.locator("table.report-table tfoot")).to_contain_text("6")
    page.wait_for_function("document.querySelector('#report-chart').width > 0")
    screenshot("report-overview-county")

    page.get_by_role("link", name="甲镇党委", exact=True).click()
    expect(page.locator("h1")).to_contain_text("甲镇党委 组织概况")
    page.get_by_role("link", name="甲村党支部", exact=True).click()
    expect(page.locator("h1")).to_contain_text("甲村党支部 组织概况")
    expect(page.locator(".crumbs")).to_contain_text("县委 › 甲镇党委 › 甲村党支部")
    expect(page.locator(".stats")).to_contain_text("5")
    screenshot("report-overview-village")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("甲村党支部组织概况")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and 5 in rows[-1]

    page.get_by_role("link", name="三会一课").last.click()
    expect(page.locator("h1")).to_contain_text("三会一课开展情况")
    screenshot("report-compliance-village")
    page.locator(".crumbs").get_by_role("link", name="县委").click()
    expect(page.locator("h1")).to_contain_text("县委 2026年三会一课开展情况")
    screenshot("report-compliance-county")

    page.locator(".tabs").get_by_role("link", name="积分与评星").click()
    expect(page.locator("h1")).to_contain_text("积分与评星")
    screenshot("report-stars-county")

    page.locator(".tabs").get_by_role("link", name="数据摘要").click()
    expect(page.locator("#summary-text")).to_contain_text("全县共有乡镇（街道）党委2个")
    page.get_by_role("button", name="复制这段文字").click()
    expect(page.get_by_role("button", name="已复制")).to_be_visible()
    screenshot("report-summary-county")

    page.locator(".tabs").get_by_role("link", name="组织概况").click()
    page.emulate_media(media="print")
    screenshot("report-overview-print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "report-overview.pdf"), format="A4")
