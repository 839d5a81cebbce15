import datetime

import pytest
from playwright.sync_api import expect

from branches.models import BranchCategory, OrgKind
from branches.services import org_create
from members.idcard import make_id_number
from members.services import member_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def roster():
    county = org_create(kind=OrgKind.COUNTY, name="桐溪县委", code="C1", parent=None)
    township = org_create(
        kind=OrgKind.TOWNSHIP, name="城关镇党委", short_name="城关镇", code="T1", parent=county
    )
    branch = org_create(
        kind=OrgKind.BRANCH,
        name="东庄村党支部",
        code="B1",
        parent=township,
        category=BranchCategory.VILLAGE,
    )
    members = []
    for i, name in enumerate(["王建国", "李秀英", "张志刚"]):
        birth = datetime.date(1970 + i, 3, 15)
        sex = "F" if name == "李秀英" else "M"
        number = make_id_number("131221", birth, 20 + i * 2 + (sex == "M"))
        members.append(
            member_create(
                name=name,
                id_number=number,
                branch=branch,
                started_on=datetime.date(2000, 7, 1),
                sex=sex,
                birth_date=birth,
                mobile_phone=f"1380000000{i}",
            )
        )
    return members


def test_it_lets_the_admin_log_in_and_find_a_member_by_id_number(
    page, screenshot, admin_user, roster
):
    target = roster[1]
    page.goto("/admin/")
    expect(page.locator("h1")).to_contain_text("登录党建台账")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    expect(page.locator("#content h1")).to_contain_text("后台管理")
    screenshot("admin-index")

    page.get_by_role("link", name="党员", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    # Lists show ID numbers masked, never whole.
    expect(page.locator("#result_list")).not_to_contain_text(target.id_number)
    expect(page.locator("#result_list")).to_contain_text(target.id_number_masked)

    page.fill("#searchbar", target.id_number.lower())
    page.press("#searchbar", "Enter")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("李秀英")
    expect(rows.first).to_contain_text("城关镇/东庄村党支部")
    screenshot("admin-member-search")

    rows.first.locator("th a").click()
    expect(page.locator("#id_id_number")).to_have_value(target.id_number)
    expect(page.locator(".inline-group")).to_contain_text("东庄村党支部")
