"""The working ledgers in a browser: a township clerk records a member's 公开承诺 on a
phone, then the leader's comment, the villagers' assessment and its fulfilment, and
finds the points on the member's statement; the branch's ledger prints as the paper
one, and the township's yearly summary drills down to it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import Pledge, PointEntry, PointSource
from branches.roles import Role
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_clerk_records_a_pledge_on_a_phone_and_finds_the_points(
    page, live_server, tree, screenshot
):
    account("clerk_a", tree.township_a, Role.CLERK)
    member = MemberFactory(group=tree.group_a1, name="王建国")
    MemberFactory(group=tree.group_a2, name="李秀兰")
    today = timezone.localdate()
    made, kept = today - datetime.timedelta(days=60), today - datetime.timedelta(days=5)

    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, "clerk_a")
    page.goto("/activities/ledgers/pledges/")
    page.get_by_role("link", name="登记承诺").click()
    page.locator("tr", has_text="甲村党支部").get_by_role("link", name="登记承诺").click()
    _fits_a_phone(page)
    page.select_option("#id_member", label="王建国")
    page.fill("#id_made_on", made.isoformat())
    page.select_option("#id_category", label="公益服务")
    page.fill("#id_text", "义务修缮村组道路三百米")
    page.fill("#id_due_on", (today + datetime.timedelta(days=20)).isoformat())
    screenshot("ledgers-pledge-form-phone")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator("h1")).to_have_text("公开承诺 · 王建国")
    pledge = Pledge.objects.get()
    assert (pledge.member, pledge.org) == (member, tree.group_a1)

    # The leader's comment, then the villagers' assessment, then the fulfilment.
    page.locator("#step-comment summary").click()
    page.fill("#id_comment_comment_by", "镇党委书记 刘志刚")
    page.fill("#id_comment_comment_on", (made + datetime.timedelta(days=10)).isoformat())
    page.fill("#id_comment_comment", "承诺事项具体，望按时兑现。")
    page.get_by_role("button", name="保存领导点评").click()
    expect(page.locator("#pledge-comment")).to_contain_text("镇党委书记 刘志刚")
    page.locator("#step-assess summary").click()
    page.fill("#id_assess_assessed_on", kept.isoformat())
    page.fill("#id_assess_satisfied", "36")
    page.fill("#id_assess_fairly_satisfied", "4")
    page.fill("#id_assess_dissatisfied", "0")
    page.get_by_role("button", name="保存群众评议").click()
    expect(page.locator("#pledge-assessment")).to_contain_text("满意36人")
    page.locator("#step-fulfil summary").click()
    page.select_option("#id_fulfil_fulfilment", label="已兑现")
    page.fill("#id_fulfil_fulfilled_on", kept.isoformat())
    page.fill("#id_fulfil_evidence", "道路已修好，村民验收通过。")
    page.get_by_role("button", name="保存兑现情况").click()
    expect(page.locator("#pledge-fulfilment")).to_contain_text("已兑现")
    _fits_a_phone(page)
    screenshot("ledgers-pledge-phone")

    # The points came with the fulfilment: no one entered them.
    page.get_by_role("link", name="积分明细").click()
    expect(page.locator("body")).to_contain_text("兑现公开承诺：义务修缮村组道路三百米")
    expect(page.locator("body")).to_contain_text("按台账自动计入")
    assert PointEntry.objects.get(source=PointSource.PLEDGE).points == 2
    screenshot("ledgers-statement-phone")

    # The township's summary drills down to the branch, whose ledger prints on A4.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/activities/ledgers/pledges/summary/{tree.township_a.pk}/")
    row = page.locator("#pledge-summary tbody tr", has_text="甲村党支部")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(3)).to_have_text("1")
    expect(row.locator("td").nth(7)).to_have_text("100.0%")
    screenshot("ledgers-summary")
    row.get_by_role("link", name="甲村党支部").click()
    page.locator("#pledge-summary tbody tr", has_text="甲村第一党小组").get_by_role("link").click()
    expect(page.locator("#pledges")).to_contain_text("义务修缮村组道路三百米")
    path = SCREENSHOTS / "ledgers-pledges.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = [re.sub(r"\s+", "", t) for t in pdf_pages(path, "ledgers-pledges-print")]
    assert len(texts) == 1
    assert (
        "甲村第一党小组" in texts[0] and "王建国" in texts[0] and "党支部书记（签字）" in texts[0]
    )
    assert "下载Excel" not in texts[0]


def test_a_clerk_corrects_a_study_session_and_takes_back_a_talk_logged_by_mistake(
    page, live_server, tree, screenshot
):
    from activities.ledgers.study.services import study_session_record
    from activities.ledgers.talks.services import talk_record
    from activities.models import StudySession, Talk

    clerk = account("clerk_a", tree.township_a, Role.CLERK)
    zhang = MemberFactory(group=tree.group_a1, name="张卫东")
    li = MemberFactory(group=tree.group_a1, name="李春梅")
    today = timezone.localdate()
    session = study_session_record(
        org=tree.village_a,
        date=today - datetime.timedelta(days=3),
        topic="学习党章",
        form="class",
        hours=2,
        members=[zhang, li],
        by=clerk,
    )
    talk = talk_record(
        org=tree.village_a,
        initiator=zhang,
        partner=li,
        talked_on=today - datetime.timedelta(days=2),
        summary="误登的谈话",
        by=clerk,
    )

    log_in(page, "clerk_a")
    # The session's 学时 were entered as 2 instead of 3.5: corrected on its page.
    page.goto(f"/activities/ledgers/study/{session.pk}/")
    page.get_by_role("link", name="修改学习信息").click()
    page.fill("#id_hours", "3.5")
    page.get_by_role("button", name="保存修改").click()
    expect(page.locator("#study-facts")).to_contain_text("3.5")
    session.refresh_from_db()
    assert str(session.hours) == "3.5"

    # The talk never took place: its 删除 link, the admin's confirmation, and it is gone.
    page.goto("/activities/ledgers/talks/")
    page.locator(f"tr[data-talk='{talk.pk}']").get_by_role("link", name="删除").click()
    expect(page.locator("#content")).to_contain_text(f"{talk.talked_on} 谈心谈话：误登的谈话")
    screenshot("ledgers-talk-delete")
    page.get_by_role("button", name=re.compile("是的")).click()
    expect(page.locator("body")).to_contain_text("成功删除")
    assert not Talk.objects.filter(pk=talk.pk).exists()
    assert StudySession.objects.filter(pk=session.pk).exists()
