"""党费 on a 375 px phone: a township clerk records a branch's month on one form (in
full, another amount, three months ahead) and prints one receipt."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from branches.roles import Role
from members.dues.services import dues_base_set
from members.models import DuesCategory, DuesEntry, DuesLine, DuesReceipt
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["王建国", "李秀兰", "张卫东", "刘桂芳", "陈志强"]


def test_a_clerk_records_a_month_on_a_phone_and_prints_a_receipt(browser, live_server, tree):
    account("clerk_a", tree.township_a, Role.CLERK)
    people = []
    for index, name in enumerate(NAMES):
        person = MemberFactory(
            group=tree.group_a1, name=name, joined_on=datetime.date(2008 + index, 7, 1)
        )
        if index < 3:
            dues_base_set(
                member=person,
                starts=datetime.date(2026, 1, 1),
                category=DuesCategory.FARMER,
                amount=Decimal("1"),
            )
        else:
            dues_base_set(
                member=person,
                starts=datetime.date(2026, 1, 1),
                category=DuesCategory.PENSION,
                income=Decimal("3600"),
            )
        people.append(person)
    phone = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    page.set_default_timeout(15_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    log_in(page, "clerk_a")
    page.get_by_text("菜单", exact=True).click()
    page.locator(".usernav").get_by_role("link", name="党费").click()
    expect(page.locator("h2")).to_contain_text("甲村党支部")
    expect(page.locator(".dues-totals")).to_contain_text("应缴5人，合计39.00元；已收0.00元")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "dues-ledger-phone.png"), full_page=True)

    rows = {name: page.locator(f"li.dues-row:has-text('{name}')") for name in NAMES}
    # Only the choice shows until a row needs more: an amount, months, a reason.
    expect(rows["刘桂芳"].locator("input[name^=amount]")).to_be_hidden()
    page.get_by_role("button", name="未交的全部按应缴交纳").click()
    for name in NAMES:
        expect(rows[name].locator("select")).to_have_value("full")
    rows["刘桂芳"].locator("select").select_option("amount")
    rows["刘桂芳"].locator("input[name^=amount]").fill("20")
    rows["刘桂芳"].locator("input[name^=note]").fill("自愿多交")
    rows["陈志强"].locator("select").select_option("advance")
    rows["陈志强"].locator("input[name^=months]").fill("3")
    page.screenshot(path=str(SCREENSHOTS / "dues-ledger-phone-filled.png"), full_page=True)
    page.get_by_role("button", name="保存本月党费").click()

    expect(page.locator(".messages, .notice").first).to_be_visible()
    expect(page.locator("#receipts")).to_contain_text("陈志强 54.00元")
    expect(page.locator(".dues-totals")).to_contain_text("未交0人")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "dues-ledger-phone-saved.png"), full_page=True)
    month = timezone.localdate().replace(day=1)
    assert DuesLine.objects.filter(month=month, paid__gt=0).count() == 5
    assert DuesEntry.objects.count() == 7  # 陈志强's three months: three entries

    page.locator("#receipts").get_by_role("link", name=re.compile("陈志强")).click()
    expect(page.locator("h1")).to_have_text("党 费 收 据")
    receipt = DuesReceipt.objects.get(member__name="陈志强")
    page.screenshot(path=str(SCREENSHOTS / "dues-receipt-phone.png"), full_page=True)
    page.get_by_role("link", name="改为半张").click()
    page.emulate_media(media="print")
    path = SCREENSHOTS / "dues-receipt.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = [re.sub(r"\s+", "", t) for t in pdf_pages(path, "dues-receipt")]
    assert len(texts) == 1
    for part in ("党费收据", receipt.number, "陈志强", "甲村党支部", "54.00", "人民币54.00元"):
        assert part in texts[0], part

    # The member's statement: the three months, each with its receipt.
    page.emulate_media(media="screen")
    page.goto(f"/members/dues/members/{receipt.member_id}/")
    expect(page.locator("#statement tbody tr")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "dues-member-phone.png"), full_page=True)
    # The township's report: the village's row adds up and opens the month's ledger.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/reports/{tree.township_a.pk}/dues/?period={month.month}&year={month.year}")
    village = page.locator("#dues-report tbody tr", has_text="甲村党支部")
    expect(village.locator("td").nth(1)).to_have_text("39.00")
    expect(village.locator("td").nth(2)).to_have_text("39.00")
    page.screenshot(path=str(SCREENSHOTS / "dues-report.png"), full_page=True)
    village.get_by_role("link").click()
    expect(page.locator("h2")).to_contain_text("甲村党支部")
    phone.close()
