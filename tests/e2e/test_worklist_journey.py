import pytest
from playwright.sync_api import expect

from activities.models import Activity, AttendanceStatus
from branches.roles import Role
from tests.e2e.conftest import account, log_in
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def clerk(username, township):
    return account(username, township, Role.CLERK)


def test_it_lets_a_clerk_log_a_group_meeting_from_the_worklist(
    browser, live_server, page, screenshot, tree
):
    clerk("clerk_a", tree.township_a)
    clerk("clerk_b", tree.township_b)
    present = MemberFactory(group=tree.group_a1, name="王建国")
    away = MemberFactory(group=tree.group_a1, name="李秀英")
    group_item = f'#worklist li[data-org="{tree.group_a1.pk}"][data-kind="group_meeting"]'

    log_in(page, "clerk_a")
    expect(page.locator("h1")).to_contain_text("三会一课待办")
    expect(page.locator(group_item)).to_have_count(1)
    screenshot("worklist-before")

    page.locator(f"{group_item} a.button").click()
    expect(page.locator("legend").first).to_contain_text("党小组会")
    page.fill("#id_topic", "学习党章")
    page.fill("#id_host", "王建国")
    page.check(f'input[name="status_{away.pk}"][value="leave"]')
    reason = page.locator(f'input[name="reason_{away.pk}"]')
    expect(reason).to_be_visible()
    reason.fill("外出务工")
    screenshot("log-form")
    page.click("button.primary")

    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.locator(group_item)).to_have_count(0)
    screenshot("worklist-after")
    activity = Activity.objects.get(org=tree.group_a1)
    assert (activity.present_count, activity.leave_count) == (1, 1)
    assert activity.attendance.get(member=away).status == AttendanceStatus.LEAVE
    assert activity.attendance.get(member=present).status == AttendanceStatus.PRESENT

    other = browser.new_context(base_url=live_server.url, locale="zh-CN")
    other_page = other.new_page()
    log_in(other_page, "clerk_b")
    expect(other_page.locator("h1")).to_contain_text("三会一课待办")
    expect(other_page.locator("body")).not_to_contain_text("甲村")
    response = other_page.goto(f"/activities/{activity.pk}/")
    assert response.status == 404
    other.close()


def test_it_fits_the_worklist_and_the_form_on_a_phone(browser, live_server, tree):
    clerk("clerk_a", tree.township_a)
    MemberFactory(group=tree.group_a1, name="王建国")
    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport={"width": 375, "height": 740},
        is_mobile=True,
    )
    page = phone.new_page()
    log_in(page, "clerk_a")
    page.locator("#worklist a.button").first.click()
    expect(page.locator("button.primary")).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="var/screenshots/log-form-phone.png", full_page=True)
    phone.close()
