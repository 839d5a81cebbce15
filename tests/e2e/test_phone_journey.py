"""A clerk on a 375 × 667 phone: the page starts with the work, the menu folds
behind one button (a CSS-only toggle: the CSP forbids inline script)."""

import pytest
from playwright.sync_api import expect

from branches.roles import Role
from tests.e2e.conftest import SCREENSHOTS, account, log_in
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# How many lines an element's text takes.
LINES = "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"


def test_it_starts_the_phone_screen_with_the_first_worklist_item(browser, live_server, tree):
    account("clerk_a", tree.township_a, Role.CLERK)
    for group in (tree.group_a1, tree.group_a2):
        MemberFactory(group=group)
    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    log_in(page, "clerk_a")
    expect(page.locator("h1")).to_contain_text("三会一课待办")
    first = page.locator("#worklist .work-items li").first
    box = first.bounding_box()
    assert page.evaluate("window.scrollY") == 0
    assert box["y"] + box["height"] <= 667, box
    expect(page.locator(".usernav")).to_be_hidden()
    for period in page.locator("#worklist .when").all():
        assert period.evaluate(LINES) <= 2, period.inner_text()
    assert page.locator(".subtitle").first.evaluate(LINES) <= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "worklist-phone.png"))

    page.get_by_text("菜单", exact=True).click()
    menu = page.locator(".usernav")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="统计报表")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "worklist-phone-menu.png"))
    page.get_by_text("菜单", exact=True).click()
    expect(menu).to_be_hidden()
    phone.close()


def test_it_keeps_the_menu_open_in_one_line_on_a_desktop(page, tree):
    account("clerk_a", tree.township_a, Role.CLERK)

    log_in(page, "clerk_a")

    expect(page.locator(".usernav").get_by_role("link", name="统计报表")).to_be_visible()
    expect(page.get_by_text("菜单", exact=True)).to_be_hidden()
    assert page.locator(".topbar").bounding_box()["height"] < 80
