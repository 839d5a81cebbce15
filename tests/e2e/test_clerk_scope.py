import pytest
from playwright.sync_api import expect

from branches.roles import Role
from tests.e2e.conftest import PASSWORD, account
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clerk(tree):
    return account("clerk_a", tree.township_a, Role.CLERK, first_name="甲镇专干")


def test_it_shows_the_clerk_of_township_a_only_township_a(page, screenshot, tree, clerk):
    mine = MemberFactory(group=tree.group_a1, name="甲村党员")
    theirs = MemberFactory(group=tree.group_b1, name="乙村党员")

    page.goto("/")
    expect(page.locator("h1")).to_contain_text("登录党建台账")
    screenshot("login")
    page.fill("#id_username", "clerk_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("甲镇党委")
    expect(page.locator("table.grid")).to_contain_text("甲村党支部")
    expect(page.locator("body")).not_to_contain_text("乙镇")
    screenshot("clerk-home")

    page.goto("/admin/members/member/")
    expect(page.locator("#result_list")).to_contain_text("甲村党员")
    expect(page.locator("#content")).not_to_contain_text("乙村党员")
    expect(page.locator("#changelist-filter")).not_to_contain_text("乙镇党委")
    screenshot("clerk-members")

    page.goto("/admin/branches/organization/")
    expect(page.locator("#result_list")).to_contain_text("甲镇党委")
    expect(page.locator("#result_list")).not_to_contain_text("乙")
    expect(page.locator("#result_list")).not_to_contain_text("县委")
    screenshot("clerk-tree")

    # A hand-typed address of township B's member: "does not exist".
    page.goto(f"/admin/members/member/{theirs.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("不存在")
    expect(page.locator("body")).not_to_contain_text("乙村党员")
    expect(page.locator("body")).not_to_contain_text(theirs.id_number_masked)
    screenshot("clerk-not-found")

    page.goto(f"/admin/members/member/{mine.pk}/change/")
    expect(page.locator("#id_id_number")).to_have_value(mine.id_number)
