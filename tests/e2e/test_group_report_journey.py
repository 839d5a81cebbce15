"""小组月报 in a browser: a branch secretary, on a phone, finds which groups have not
reported last month, opens the first group's month – its meetings, attendance and
ledger figures assembled from the records – writes how the month went and submits it;
then sums up the branch's quarter and prints it on A4 as the paper 支部季度小结."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.ledgers.diary.services import diary_entry_record
from activities.ledgers.pledges.services import pledge_create
from activities.models import AttendanceStatus, BranchSummary, GroupReport
from activities.periods import add_months
from branches.roles import Role
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory
from tests.helpers import log_meeting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_secretary_submits_a_groups_month_and_prints_the_quarter(
    page, live_server, tree, screenshot
):
    secretary = account("secretary_a", tree.village_a, Role.SECRETARY)
    wang = MemberFactory(group=tree.group_a1, name="王建国")
    li = MemberFactory(group=tree.group_a1, name="李秀兰")
    MemberFactory(group=tree.group_a2, name="赵小红")
    today = timezone.localdate()
    month = add_months(today.replace(day=1), -1)
    quarter = month.replace(month=3 * ((month.month - 1) // 3) + 1)
    # Last month: the first group met twice (李秀兰 on leave once), 王建国 pledged and wrote
    # a 民情日志 entry; the branch held its theme day.
    log_meeting(
        org=tree.group_a1,
        kind="group_meeting",
        held_on=month + datetime.timedelta(days=4),
        by=secretary,
        statuses={li: (AttendanceStatus.LEAVE, "外出务工")},
    )
    log_meeting(
        org=tree.group_a1,
        kind="theme_day",
        held_on=month + datetime.timedelta(days=14),
        by=secretary,
    )
    log_meeting(
        org=tree.village_a,
        kind="theme_day",
        held_on=month + datetime.timedelta(days=9),
        by=secretary,
    )
    pledge_create(
        org=tree.group_a1,
        member=wang,
        made_on=month + datetime.timedelta(days=2),
        category="public",
        text="义务修缮村组道路",
        due_on=today + datetime.timedelta(days=90),
        by=secretary,
    )
    diary_entry_record(
        org=tree.village_a,
        cadre=wang,
        date=month + datetime.timedelta(days=6),
        household="三组 刘家",
        concern="村道路灯不亮",
        action="联系电工维修",
        outcome="resolved",
        by=secretary,
    )

    # On a phone: the list of last month's groups, the first one not yet reported.
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, "secretary_a")
    page.goto("/activities/ledgers/group-reports/")
    expect(page.locator("h1")).to_contain_text(f"{month.year}年{month.month}月党小组月度报告")
    row = page.locator("#grouprep-rows tbody tr", has_text="甲村第一党小组")
    row.get_by_role("link", name="未提交").click()
    expect(page.locator("h1")).to_have_text(f"甲村第一党小组{month.year}年{month.month}月月度报告")
    meeting = page.locator('#month-meetings tr[data-kind="group_meeting"]')
    expect(meeting).to_contain_text("1 / 2")
    expect(page.locator('[data-figure="pledges_made"]')).to_have_text("1")
    expect(page.locator('[data-figure="diary_entries"]')).to_have_text("1")
    page.fill("#id_work", "召开党小组会1次、主题党日1次；王建国公开承诺修缮村组道路。")
    page.fill("#id_plans", "组织党员入户走访，收集群众诉求。")
    _fits_a_phone(page)
    screenshot("grouprep-month-form-phone")
    page.get_by_role("button", name="提交月度报告").click()
    expect(page.locator("#month-report")).to_contain_text("王建国公开承诺修缮村组道路")
    _fits_a_phone(page)
    screenshot("grouprep-month-phone")
    report = GroupReport.objects.get()
    assert (report.org, report.month, report.submitted_by) == (tree.group_a1, month, secretary)

    # The branch's quarter: the first group's month reported, the second's missing; the
    # secretary sums it up and prints it on A4.
    page.get_by_role("link", name="本季度支部小结").click()
    number = (quarter.month - 1) // 3 + 1
    expect(page.locator("h1")).to_have_text(f"甲村党支部{quarter.year}年第{number}季度小结")
    page.fill("#id_text", "本季度党小组按月报告，第二党小组需补报月度报告。")
    page.get_by_role("button", name="提交季度小结").click()
    expect(page.locator("#quarter-summary")).to_contain_text("第二党小组需补报")
    assert BranchSummary.objects.get().org == tree.village_a
    page.set_viewport_size({"width": 1366, "height": 900})
    screenshot("grouprep-quarter")
    path = SCREENSHOTS / "grouprep-quarter.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = [re.sub(r"\s+", "", t) for t in pdf_pages(path, "grouprep-quarter-print")]
    assert len(texts) == 1
    text = texts[0]
    assert f"甲村党支部{quarter.year}年第{number}季度小结" in text
    assert "甲村第一党小组" in text and "甲村第二党小组" in text and "未提交" in text
    assert "王建国公开承诺修缮村组道路" in text and "第二党小组需补报" in text
    assert "党支部书记（签字）" in text
    assert "提交季度小结" not in text and "查看" not in text
