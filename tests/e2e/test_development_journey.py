"""发展党员 from the application letter to full membership, as a township clerk keeps it:
each step on the person's page, the worklist item appearing and going, and the
纪实表 printed on A4, one page per stage."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from branches.roles import Role
from members.dates import months_later
from members.idcard import make_id_number
from members.models import Member, Recruit
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = datetime.timedelta(days=1)


def _iso(day: datetime.date) -> str:
    return day.isoformat()


def _step(page, step: str, fields: dict, selects: dict | None = None) -> None:
    """Fill the form of *step* on the person's page and submit it."""
    form = page.locator(f"#step-{step}")
    for name, value in fields.items():
        form.locator(f"#id_{step}_{name}").fill(value)
    for name, label in (selects or {}).items():
        form.locator(f"#id_{step}_{name}").select_option(label=label)
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("已登记")


def _vote(held_on: datetime.date) -> dict:
    return {
        "held_on": _iso(held_on),
        "entitled": "23",
        "present": "19",
        "in_favour": "18",
        "against": "0",
        "abstained": "1",
        "written_in_favour": "2",
    }


def test_a_clerk_takes_one_person_from_application_to_full_membership(page, screenshot, tree):
    account("clerk_a", tree.township_a, Role.CLERK, first_name="甲镇专干")
    for name in ("李红梅", "张国强", "王秀英"):
        MemberFactory(group=tree.group_a1, name=name, joined_on=datetime.date(2001, 7, 1))
    today = timezone.localdate()
    applied = months_later(today, -40)
    activist = months_later(applied, 1)
    candidate = months_later(activist, 12) + DAY
    vote = candidate + 45 * DAY
    confirm = months_later(vote, 12) + 5 * DAY

    # 入党申请人: registered from the application letter; the talk is due.
    log_in(page, "clerk_a")
    page.goto("/members/development/")
    page.click("text=登记入党申请人")
    page.fill("#id_name", "陈晓燕")
    page.fill("#id_id_number", make_id_number("110105", datetime.date(1996, 9, 12), 42))
    page.select_option("#id_branch", label="甲村党支部")
    page.select_option("#id_group", label="甲村第一党小组")
    page.fill("#id_applied_on", _iso(applied))
    page.select_option("#id_education", label="大学专科")
    page.select_option("#id_occupation", label="农牧渔民")
    page.click("form.activity-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已登记入党申请人陈晓燕")
    expect(page.locator("#stage")).to_have_text("入党申请人")
    recruit = Recruit.objects.get()
    detail = f"/members/development/{recruit.pk}/"

    page.goto("/activities/")
    item = page.locator(f'#development li[data-recruit="{recruit.pk}"]')
    expect(item).to_contain_text("入党申请人谈话：陈晓燕")
    expect(item).to_contain_text("已逾期")
    screenshot("development-worklist-talk-due")

    # A talk past the month is refused, with the rule and the dates.
    page.goto(detail)
    page.locator("#step-talk #id_talk_talk_on").fill(_iso(applied + 40 * DAY))
    page.locator("#step-talk #id_talk_talk_by").fill("李红梅")
    page.locator("#step-talk button[type=submit]").click()
    expect(page.locator("#step-talk")).to_contain_text("一个月内派人谈话")
    _step(page, "talk", {"talk_on": _iso(applied + 10 * DAY), "talk_by": "李红梅"})
    screenshot("development-1-applicant")
    page.goto("/activities/")
    expect(page.locator(f'#development li[data-recruit="{recruit.pk}"]')).to_have_count(0)
    screenshot("development-worklist-talk-done")

    # 入党积极分子, assessed every six months.
    page.goto(detail)
    _step(
        page,
        "activist",
        {
            "activist_committee_on": _iso(activist),
            "activist_on": _iso(activist),
            "activist_filed_on": _iso(activist + 7 * DAY),
        },
        {"activist_how": "群团组织推优", "contact_1": "李红梅"},
    )
    expect(page.locator("#stage")).to_have_text("入党积极分子")
    for months in (5, 10):
        _step(page, "assess", {"on": _iso(months_later(activist, months)), "note": "表现积极"})
    screenshot("development-2-activist")

    # 发展对象: introducers, review, training, 公示; then the 支部大会.
    _step(
        page,
        "candidate",
        {"candidate_on": _iso(candidate), "candidate_filed_on": _iso(candidate + 3 * DAY)},
        {"introducer_1": "张国强", "introducer_2": "王秀英"},
    )
    expect(page.locator("#stage")).to_have_text("发展对象")
    _step(page, "review", {"review_on": _iso(candidate + 10 * DAY)})
    _step(
        page,
        "train",
        {
            "training_from": _iso(candidate + 15 * DAY),
            "training_to": _iso(candidate + 17 * DAY),
            "training_hours": "24",
        },
    )
    _step(
        page,
        "prepare",
        {
            "committee_review_on": _iso(candidate + 20 * DAY),
            "prereview_on": _iso(candidate + 25 * DAY),
            "notice_from": _iso(candidate + 30 * DAY),
            "notice_to": _iso(candidate + 40 * DAY),
        },
    )
    screenshot("development-3-candidate")
    _step(page, "admit", _vote(vote))
    _step(page, "approve", {"approved_on": _iso(vote + 20 * DAY)})

    # 预备党员: on the roster from the day of the 支部大会.
    expect(page.locator("#stage")).to_have_text("预备党员")
    member = Member.objects.get(name="陈晓燕")
    assert (member.category, member.joined_on) == ("probationary", vote)
    _step(page, "oath", {"oath_on": _iso(vote + 30 * DAY)})
    screenshot("development-4-probationary")
    page.goto("/activities/")
    expect(page.locator(f'#development li[data-recruit="{recruit.pk}"]')).to_contain_text(
        "预备期已满，尚未讨论转正"
    )
    screenshot("development-worklist-probation-ended")

    # 转正: full from the day probation ended, whatever the day of the meeting.
    page.goto(detail)
    _step(page, "confirm_apply", {"confirm_applied_on": _iso(months_later(vote, 11))})
    _step(page, "confirm", _vote(confirm), {"decision": "按期转为正式党员"})
    _step(page, "approve_confirm", {"approved_on": _iso(confirm + 20 * DAY)})
    expect(page.locator("#stage")).to_have_text("正式党员")
    member.refresh_from_db()
    assert (member.category, member.full_member_on) == ("full", months_later(vote, 12))
    screenshot("development-5-full")
    page.goto("/activities/")
    expect(page.locator(f'#development li[data-recruit="{recruit.pk}"]')).to_have_count(0)

    # The 纪实表: one A4 page per stage.
    page.goto(detail)
    page.click("text=打印纪实表")
    page.emulate_media(media="print")
    path = SCREENSHOTS / "development-record.pdf"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = [re.sub(r"\s+", "", t) for t in pdf_pages(path, "development-record")]
    assert len(texts) == 5
    for number, stage in enumerate(
        ("入党申请人阶段", "入党积极分子阶段", "发展对象阶段", "预备党员阶段", "预备党员转正阶段")
    ):
        assert stage in texts[number], stage
        assert "陈晓燕" in texts[number]
    assert "张国强、王秀英" in texts[2]
    assert f"{vote.year}年{vote.month}月{vote.day}日" in texts[3]


def test_the_county_sets_the_plan_and_reads_it_beside_the_pipeline(page, screenshot, tree):
    account("county", tree.county, Role.COUNTY, first_name="组织部")
    today = timezone.localdate()
    for index, branch in enumerate((tree.village_a, tree.village_a, tree.organ_b)):
        Recruit.objects.create(
            name=f"申请人{index}",
            id_number=make_id_number("110105", datetime.date(1998, 1, 1), 60 + index),
            branch=branch,
            stage="applicant",
            applied_on=today - 5 * DAY,
        )
    log_in(page, "county")
    page.goto("/members/development/plan/")
    page.click("text=编辑计划")
    page.fill(f"#id_u{tree.township_a.pk}-planned", "6")
    page.fill(f"#id_u{tree.township_a.pk}-young", "9")
    page.fill(f"#id_u{tree.township_b.pk}-planned", "4")
    page.click("#plan-edit button[type=submit]")
    expect(page.locator("#plan-edit")).to_contain_text("其中35岁及以下不能多于计划发展人数")
    page.fill(f"#id_u{tree.township_a.pk}-young", "3")
    page.click("#plan-edit button[type=submit]")
    expect(page.locator(".messages")).to_contain_text(f"已保存{today.year}年发展党员计划")
    row = page.locator(f'#plan tr[data-unit="{tree.township_a.pk}"]')
    expect(row).to_contain_text("甲村党支部")  # no member joined there in two years
    expect(page.locator("#plan tfoot")).to_contain_text("10")
    screenshot("development-plan")

    page.goto(f"/reports/{tree.township_a.pk}/summary/")
    expect(page.locator("body")).to_contain_text("入党申请人2名，入党积极分子0名，发展对象0名")
    screenshot("development-summary")
