"""换届 and the yearly assessment, as county staff do them in a browser: record a branch's
election from the township's 换届 report, see another branch's term due on the
township's worklist, grade the township's organisations from the suggestions, and
open a 软弱涣散 case for the one graded 后进."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activities.models import GradeLevel, OrgGrade, RectificationCase
from branches.models import Candidate, Election, Post, PostTitle
from branches.roles import Role
from branches.services import post_assign
from tests.e2e.conftest import SCREENSHOTS, account, log_in, pdf_pages
from tests.factories import MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAMES = ["王建国", "李秀兰", "张卫东", "刘桂芳", "陈志强"]


def _setup(tree):
    account("county", tree.county, Role.COUNTY)
    people = [
        MemberFactory(group=tree.group_a1, name=name, joined_on=datetime.date(2005 + i, 7, 1))
        for i, name in enumerate(NAMES)
    ]
    MemberFactory(branch=tree.organ_a, group=None, name="赵机关")
    old = post_assign(
        org=tree.village_a,
        member=people[4],
        title=PostTitle.SECRETARY,
        started_on=datetime.date(2021, 4, 10),
    )
    # The village elected in April 2021 (five years: overdue); the township's office
    # branch in late 2023 (three years: due within six months).
    tree.village_a.term_started_on = datetime.date(2021, 4, 10)
    tree.village_a.save()
    tree.organ_a.term_started_on = timezone.localdate() - datetime.timedelta(days=3 * 365 - 60)
    tree.organ_a.save()
    return people, old


def test_county_staff_record_an_election_see_a_term_due_grade_and_open_a_case(
    page, live_server, tree, screenshot
):
    people, old = _setup(tree)
    held = timezone.localdate() - datetime.timedelta(days=10)

    log_in(page, "county")
    page.goto(f"/reports/{tree.township_a.pk}/terms/")
    urgent = page.locator("#terms-urgent")
    expect(urgent).to_contain_text("甲村党支部")
    expect(urgent.locator("tr.late")).to_contain_text("已到期")
    screenshot("leadership-terms-report")

    # The village's 换届: from the report to its page, then the election form.
    urgent.get_by_role("link", name="甲村党支部").click()
    page.get_by_role("link", name="登记选举结果").click()
    page.fill("#id_held_on", held.isoformat())
    page.select_option("#id_method", "direct")
    page.fill("#id_electors", "5")
    page.fill("#id_present", "4")  # four of five: not more than four fifths
    rows = [
        ("王建国", "secretary", "4"),
        ("李秀兰", "organization", "3"),
        ("张卫东", "publicity", "3"),
    ]
    for i, (name, title, votes) in enumerate(rows, start=1):
        page.fill(f"#id_c{i}_member", name)
        page.select_option(f"#id_c{i}_title", title)
        page.fill(f"#id_c{i}_votes", votes)
        page.check(f"#id_c{i}_elected")
    page.get_by_role("button", name="保存选举结果").click()
    expect(page.locator(".errors, .errorlist").first).to_contain_text("五分之四")
    assert not Election.objects.exists()

    page.fill("#id_present", "5")
    screenshot("leadership-election-form")
    page.get_by_role("button", name="保存选举结果").click()
    # The saved election's record, to print: who was elected with how many votes.
    expect(page.locator("h1")).to_contain_text("选举结果报告单")
    expect(page.locator("body")).to_contain_text("王建国")
    screenshot("leadership-election-record")
    election = Election.objects.get()
    assert election.present == 5 and election.candidates.filter(elected=True).count() == 3
    old.refresh_from_db()
    assert old.ended_on == held
    secretary = Post.objects.get(org=tree.village_a, title=PostTitle.SECRETARY, ended_on=None)
    assert secretary.member == people[0] and secretary.started_on == held
    assert Candidate.objects.get(post=secretary).votes == 4
    tree.village_a.refresh_from_db()
    assert tree.village_a.term_started_on == held
    page.goto(f"/terms/orgs/{tree.village_a.pk}/")
    expect(page.locator("#committee")).to_contain_text("王建国")
    screenshot("leadership-term-page")

    # The township's worklist: the office branch's term falls due; the village's is done.
    page.goto(f"/activities/?org={tree.township_a.pk}")
    terms = page.locator("#terms")
    expect(terms).to_contain_text("甲镇机关党支部")
    expect(terms).not_to_contain_text("甲村党支部")
    screenshot("leadership-worklist")


def test_county_staff_grade_a_township_and_open_a_case_for_the_lagging_branch(
    page, live_server, tree, screenshot
):
    account("county", tree.county, Role.COUNTY)
    year = timezone.localdate().year
    log_in(page, "county")

    # The township's grading page: no meeting held this year, no ratings nor ranking,
    # so every row is suggested the level that asks for none (后进), with what is missing.
    page.goto(f"/activities/assessment/grades/{tree.township_a.pk}/?year={year}")
    village = page.locator("tr", has_text="甲村党支部")
    organ = page.locator("tr", has_text="甲镇机关党支部")
    expect(village.locator("td").nth(1)).to_contain_text("0%")
    expect(village).to_contain_text("缺少：本年度无党员评星结果")
    lagging = GradeLevel.objects.get(lagging=True)
    middle = GradeLevel.objects.get(rank=2)
    assert page.input_value(f"#id_level_{tree.village_a.pk}") == str(lagging.pk)
    screenshot("leadership-grading")

    # 后进 needs its reasons: saving without them keeps every row unsaved.
    page.select_option(f"#id_level_{tree.organ_a.pk}", str(middle.pk))
    page.get_by_role("button", name="确认并保存本页全部定级").click()
    expect(page.locator("body")).to_contain_text("本页的定级都没有保存")
    assert not OrgGrade.objects.exists()

    page.fill(f"#id_reasons_{tree.village_a.pk}", "全年未按期开展三会一课，班子不团结")
    page.fill(f"#id_reasons_{tree.organ_a.pk}", "机关支部工作正常，未参加评星")
    page.get_by_role("button", name="确认并保存本页全部定级").click()
    expect(page.locator(".messages, .message").first).to_contain_text("已保存")
    grades = {g.org_id: g.level for g in OrgGrade.objects.filter(year=year)}
    assert grades == {tree.village_a.pk: lagging, tree.organ_a.pk: middle}
    expect(organ).not_to_contain_text("列入软弱涣散整顿")
    screenshot("leadership-graded")

    # The lagging row leads to the register's form, with the branch and year filled in.
    village.get_by_role("link", name="列入软弱涣散整顿").click()
    expect(page.locator(".subtitle")).to_contain_text("甲村党支部评为“后进”")
    assert page.input_value("#id_org") == str(tree.village_a.pk)
    page.get_by_label("组织生活不正常、活动开展少").check()
    page.fill("#id_reason_note", "全年支部委员会只开了三次，党小组会未开展。")
    page.fill("#id_county_leader", "周志刚")
    page.fill("#id_township_cadre", "孙丽")
    page.fill("#id_measure_1", "调整充实支部班子，选优配强书记")
    page.fill("#id_deadline_1", f"{year + 1}-03-31")
    page.fill("#id_measure_2", "每月按期召开支委会和党小组会")
    screenshot("leadership-case-form")
    page.get_by_role("button", name="列入整顿").click()
    # The second measure has no deadline: refused with its row, nothing written.
    expect(page.locator("body")).to_contain_text("第2条整改措施未填写完成时限")
    assert not RectificationCase.objects.exists()
    page.fill("#id_deadline_2", f"{year + 1}-01-31")
    page.get_by_role("button", name="列入整顿").click()

    expect(page.locator("h1")).to_contain_text("甲村党支部")
    case = RectificationCase.objects.get()
    assert case.org == tree.village_a and case.grade.level == lagging
    assert case.measures.count() == 2
    screenshot("leadership-case")

    # The register lists it; the township's overview marks the branch.
    page.goto("/activities/rectification/")
    expect(page.locator("body")).to_contain_text("甲村党支部")
    screenshot("leadership-register")
    page.goto(f"/reports/{tree.township_a.pk}/overview/")
    mark = page.locator("tr", has_text="甲村党支部").locator(".org-mark")
    expect(mark).to_have_text("软弱涣散")
    expect(page.locator("tr", has_text="甲镇机关党支部").locator(".org-mark")).to_have_count(0)

    # The register prints on A4 with its measures; the case's page fits a phone.
    page.goto("/activities/rectification/")
    path = SCREENSHOTS / "leadership-register.pdf"
    page.pdf(path=str(path), prefer_css_page_size=True)
    texts = [re.sub(r"\s+", "", t) for t in pdf_pages(path, "leadership-register-print")]
    assert len(texts) == 1 and "甲村党支部" in texts[0] and "周志刚" in texts[0]
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(f"/activities/rectification/{case.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot("leadership-case-phone")
