import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from activities.models import ActivityKind, PointRule, PointSource, RatingPublication
from branches.models import PostTitle
from branches.roles import Role
from branches.services import post_assign
from tests.e2e.conftest import SCREENSHOTS, account, log_in
from tests.factories import GroupFactory, MemberFactory
from tests.helpers import log_meeting

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_lets_county_staff_rate_publish_withdraw_and_publish_again(page, screenshot, tree):
    # A generous base, so the third group's members would earn five stars but for the rule.
    PointRule.objects.filter(source=PointSource.BASE).update(points=96)
    account("county", tree.county, Role.COUNTY)
    clerk = account("clerk_a", tree.township_a, Role.CLERK)
    third = GroupFactory(parent=tree.village_a, name="甲村第三党小组")
    groups = [tree.group_a1, tree.group_a2, third]
    names = iter(["王建国", "李秀英", "张志强", "刘桂兰", "陈德明", "赵淑珍"])
    members = {g: [MemberFactory(group=g, name=next(names)) for _ in range(2)] for g in groups}
    post_assign(
        org=third,
        member=members[third][0],
        title=PostTitle.GROUP_LEADER,
        started_on=datetime.date(2024, 1, 1),
    )
    for group in groups[:2]:
        for month in range(1, 13):
            log_meeting(
                org=group,
                kind=ActivityKind.GROUP_MEETING,
                held_on=datetime.date(2025, month, 12),
                by=clerk,
            )

    log_in(page, "county")
    page.get_by_role("link", name="评星定级").click()
    expect(page.locator("h1")).to_contain_text("评星定级草稿")
    page.get_by_role("link", name="2025年度").click()
    expect(page.locator("h1")).to_contain_text("2025年度评星定级草稿")
    page.get_by_role("button", name="重新计算草稿").click()
    expect(page.locator(".messages")).to_contain_text("已在后台重新计算全县的评星草稿")
    # The worker, run here between page loads so the step is deterministic.
    call_command("db_worker", batch=True, interval=0.01)
    page.reload()
    expect(page.locator("body")).to_contain_text("末位党小组（1个）")
    expect(page.locator("table.ratings tr.capped")).to_have_count(2)
    screenshot("rating-draft")

    page.get_by_role("link", name="党小组排名").click()
    last = page.locator("tr.last")
    expect(last).to_contain_text("甲村第三党小组")
    expect(last).to_contain_text("党小组长陈德明应予调整")
    screenshot("group-ranking")

    page.get_by_role("link", name="评星定级草稿").click()
    page.get_by_role("link", name="王建国").click()
    expect(page.locator("h1")).to_contain_text("王建国 2025年度积分明细")
    expect(page.locator(".stats")).to_contain_text("108")
    screenshot("points-statement")

    page.go_back()
    page.get_by_role("link", name="已发布结果").click()
    expect(page.locator("body")).to_contain_text("尚未发布")
    page.get_by_role("link", name="核对并发布2025年度评星定级").click()
    # The confirmation: what will be frozen, the leader to replace, and the rule behind it.
    expect(page.locator("h1")).to_contain_text("发布 县委 2025年度评星定级")
    confirm = page.locator(".confirm-card")
    expect(confirm).to_contain_text("共 6 名党员，末位党小组 1 个")
    expect(page.locator("body")).to_contain_text("陈德明")
    expect(page.locator(".rule-note").first).to_contain_text(
        "组织生活完成率（%）× 0.5 + 党员平均积分 × 0.5"
    )
    screenshot("rating-publish-confirm")
    page.get_by_role("button", name="确认发布2025年度评星定级").click()
    expect(page.locator(".messages")).to_contain_text("已发布2025年度评星定级，共 6 名党员")
    expect(page.locator("body")).to_contain_text("与当前草稿的差异（0人）")
    screenshot("rating-published")
    page.emulate_media(media="print")
    screenshot("rating-published-print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "rating-published.pdf"), format="A4")
    page.emulate_media(media="screen")

    # A mistake found: withdrawn within the period, with the reason, then published again.
    page.fill("#withdraw-reason", "第二党小组12月的会议记录漏登")
    page.get_by_role("button", name="撤回2025年度评星定级发布").click()
    expect(page.locator(".messages")).to_contain_text("已撤回2025年度评星定级的发布")
    expect(page.locator("h1")).to_contain_text("2025年度评星定级草稿")
    page.get_by_role("link", name="已发布结果").click()
    expect(page.locator("body")).to_contain_text("第二党小组12月的会议记录漏登")
    screenshot("rating-withdrawn")
    page.get_by_role("link", name="核对并发布2025年度评星定级").click()
    page.get_by_role("button", name="确认发布2025年度评星定级").click()
    expect(page.locator(".messages")).to_contain_text("已发布2025年度评星定级，共 6 名党员")

    withdrawn, in_force = RatingPublication.objects.order_by("pk")
    assert withdrawn.withdraw_reason == "第二党小组12月的会议记录漏登"
    assert in_force.withdrawn_at is None and in_force.org == tree.county
    history = withdrawn.history.order_by("history_id").last()
    assert history.history_user.username == "county"
    assert history.history_change_reason == "撤回2025年度评星定级：第二党小组12月的会议记录漏登"


def test_it_lets_a_clerk_decide_which_tied_group_is_last(page, screenshot, tree):
    clerk = account("clerk_a", tree.township_a, Role.CLERK)
    groups = [tree.group_a1, tree.group_a2]
    groups += [GroupFactory(parent=tree.village_a, name=f"甲村第{n}党小组") for n in "三四"]
    for group in groups:
        MemberFactory(group=group)
    for month in range(1, 13):
        log_meeting(
            org=groups[0],
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2025, month, 12),
            by=clerk,
        )

    log_in(page, "clerk_a")
    page.goto(f"/activities/ratings/{tree.township_a.pk}/?year=2025")
    page.get_by_role("button", name="重新计算草稿").click()
    expect(page.locator(".warning").first).to_contain_text("另有 3 个党小组并列末位")
    page.get_by_role("link", name="查看并决定").click()
    expect(page.locator("h1")).to_contain_text("并列末位党小组")
    expect(page.locator(".tie")).to_contain_text("尚未决定")
    page.check(f"#last-{groups[3].pk}")
    page.fill("textarea[name=reason]", "第四党小组全年未开展组织生活，经乡镇党委研究确定")
    screenshot("rating-ties")
    page.get_by_role("button", name="记录决定").click()
    expect(page.locator(".messages")).to_contain_text("已记录决定")
    expect(page.locator(".tie .ok")).to_contain_text("甲村第四党小组为末位")
    screenshot("rating-ties-decided")
