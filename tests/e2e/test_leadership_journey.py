"""换届 and the yearly assessment, as county staff do them in a browser: record a branch's
election from the township's 换届 report, see another branch's term due on the
township's worklist, grade the township's organisations from the suggestions, and
open a 软弱涣散 case for the one graded 后进."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from branches.models import Candidate, Election, Post, PostTitle
from branches.roles import Role
from branches.services import post_assign
from tests.e2e.conftest import account, log_in
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
