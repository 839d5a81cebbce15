"""组织关系转接 between two townships: township A's clerk issues and prints the
介绍信, township B's clerk receives the member; both worklists before and after."""

import re

import pytest
from playwright.sync_api import expect

from branches.roles import Role
from members.models import Member
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_out(page) -> None:
    page.goto("/")  # the site's menu: the admin's pages have a logout of their own
    page.click("form[action='/accounts/logout/'] button")


def test_a_member_moves_from_township_a_to_township_b(page, screenshot, tree):
    account("clerk_a", tree.township_a, Role.CLERK, first_name="甲镇专干")
    account("clerk_b", tree.township_b, Role.CLERK, first_name="乙镇专干")
    member = MemberFactory(group=tree.group_a1, name="王建国")

    # Township B before: nothing to receive.
    log_in(page, "clerk_b")
    page.goto("/activities/")
    expect(page.locator("body")).not_to_contain_text("王建国")
    screenshot("transfer-worklist-b-before")
    _log_out(page)

    # Township A issues the letter from the member's page.
    log_in(page, "clerk_a")
    page.goto("/activities/")
    expect(page.locator("body")).not_to_contain_text("转出中")
    screenshot("transfer-worklist-a-before")
    page.goto(f"/admin/members/member/{member.pk}/change/")
    page.click("text=开具组织关系介绍信")
    expect(page.locator("h1")).to_have_text("开具组织关系介绍信")
    page.select_option("#id_to_org", label="乙镇党委")
    page.fill("#id_dues_paid_until", "2026-11")
    screenshot("transfer-issue-form")
    page.click("form.activity-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已开具王建国的组织关系介绍信")
    expect(page.locator("#state")).to_have_text("转出中，待接收")

    # The letter on A4: stub, letter and receipt.
    page.click("text=打印介绍信（A4）")
    page.emulate_media(media="print")
    path = SCREENSHOTS / "transfer-letter.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = pdf_pages(path, "transfer-letter")
    assert len(texts) == 1
    flat = re.sub(r"\s+", "", texts[0])
    for part in (
        "（存根）",
        "中国共产党党员组织关系介绍信回执",
        "乙镇党委：",
        "党费已交到2026年11月",
    ):
        assert part in flat, part
    assert f"身份证号码{member.id_number}" in flat
    page.emulate_media(media="screen")

    page.goto("/activities/")
    expect(page.locator("#transfers")).to_contain_text("转出中：王建国")
    screenshot("transfer-worklist-a-sent")
    _log_out(page)

    # Township B receives it into a branch and group of its own.
    log_in(page, "clerk_b")
    page.goto("/activities/")
    expect(page.locator("#transfers")).to_contain_text("待接收：王建国（甲村党支部转来")
    screenshot("transfer-worklist-b-incoming")
    page.click('#transfers a.button:text-is("接收")')
    page.select_option("#id_branch", label="乙村党支部")
    page.select_option("#id_group", label="乙村第一党小组")
    page.click("#receive button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("王建国的组织关系已转入")
    expect(page.locator("#state")).to_have_text("已接收")
    page.goto("/activities/")
    expect(page.locator("body")).not_to_contain_text("待接收")
    screenshot("transfer-worklist-b-after")
    page.goto("/admin/members/member/")
    expect(page.locator("#result_list")).to_contain_text("王建国")
    _log_out(page)

    # Township A afterwards: the member and the open letter are gone from its lists.
    log_in(page, "clerk_a")
    page.goto("/activities/")
    expect(page.locator("body")).not_to_contain_text("转出中")
    screenshot("transfer-worklist-a-after")
    member = Member.objects.get(pk=member.pk)
    assert (member.branch, member.group) == (tree.village_b, tree.group_b1)


def test_a_clerk_records_a_member_away_and_county_staff_read_the_years_changes(
    page, screenshot, tree
):
    account("clerk_a", tree.township_a, Role.CLERK, first_name="甲镇专干")
    account("county", tree.county, Role.COUNTY, first_name="组织部")
    member = MemberFactory(group=tree.group_a1, name="李春生")
    MemberFactory(group=tree.group_a1, name="赵秀兰")

    log_in(page, "clerk_a")
    page.goto(f"/admin/members/member/{member.pk}/change/")
    page.click("text=登记外出、返回、失联或党籍变化")
    page.fill("#id_away_destination", "广东省东莞市")
    page.fill("#id_away_employer", "东莞某电子厂")
    page.click("#step-away button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已登记李春生：外出")
    expect(page.locator("#spells")).to_contain_text("广东省东莞市")
    screenshot("standing-member")
    page.goto("/members/standing/")
    expect(page.locator("#register")).to_contain_text("李春生")
    screenshot("standing-register")
    _log_out(page)

    log_in(page, "county")
    page.goto(f"/reports/{tree.county.pk}/changes/")
    expect(page.locator("#changes")).to_contain_text("甲镇党委")
    expect(page.locator("#changes")).not_to_contain_text("不符")
    screenshot("report-changes")
    # On paper: the nineteen columns fit the page's width, the last one included.
    page.emulate_media(media="print")
    path = SCREENSHOTS / "report-changes-print.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True)
    flat = re.sub(r"\s+", "", "".join(pdf_pages(path, "report-changes-print")))
    assert "党员增减" in flat and "核对" in flat and "相符" in flat
    page.emulate_media(media="screen")
    page.goto(f"/reports/{tree.county.pk}/overview/")
    expect(page.locator("body")).to_contain_text("流动党员")
    screenshot("report-overview-standing")
