"""谈心谈话: the cycle since the last 组织生活会, the required pairs of a branch built here
with those met and missing, the service's and the phone form's refusals, the scoped
list (export, print), the branch page, the yearly summary with exact figures, and the
query counts of the list, the branch page and the summary."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.talks import services
from activities.ledgers.talks.selectors import branch_talks, cycle_start, pair_key, talk_summary
from activities.models import ActivityKind, Talk
from branches.models import PostTitle
from branches.services import post_assign
from members.models import Member
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen, log_meeting

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 15)
TODAY = D(2026, 9, 15)
MAY = D(2026, 5, 6)
LIST = "activities:talk_list"
ADD = "activities:talk_add"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


@dataclass
class Branch:
    """甲村党支部 as the tests build it: a secretary and two committee members (one in
    第一党小组, one in no group), the group's two other members, a member of 第二党小组
    (no committee member there) and a member in no group."""

    secretary: Member
    organiser: Member  # 组织委员, in 第一党小组
    publicity: Member  # 宣传委员, in no group
    first: Member  # 第一党小组
    second: Member  # 第一党小组
    other_group: Member  # 第二党小组
    free: Member  # no group


def post(branch, member, title):
    post_assign(org=branch, member=member, title=title, started_on=D(2024, 1, 1))


@pytest.fixture
def village(tree) -> Branch:
    v, g1, g2 = tree.village_a, tree.group_a1, tree.group_a2
    people = Branch(
        secretary=MemberFactory(branch=v, name="李书记"),
        organiser=MemberFactory(group=g1, name="王组织"),
        publicity=MemberFactory(branch=v, name="赵宣传"),
        first=MemberFactory(group=g1, name="张一"),
        second=MemberFactory(group=g1, name="刘二"),
        other_group=MemberFactory(group=g2, name="陈三"),
        free=MemberFactory(branch=v, name="周四"),
    )
    post(v, people.secretary, PostTitle.SECRETARY)
    post(v, people.organiser, PostTitle.ORGANIZATION)
    post(v, people.publicity, PostTitle.PUBLICITY)
    return people


def talk(branch, a, b, by, on=None, summary="交流思想"):
    return services.talk_record(
        org=branch, initiator=a, partner=b, talked_on=on or MAY, summary=summary, by=by
    )


def test_the_cycle_starts_after_the_last_life_meeting_or_on_1_january():
    assert cycle_start(last_life_meeting=None, today=TODAY) == D(2026, 1, 1)
    assert cycle_start(last_life_meeting=D(2026, 3, 10), today=TODAY) == D(2026, 3, 11)
    # A meeting of last year leaves this year's cycle from 1 January.
    assert cycle_start(last_life_meeting=D(2025, 12, 20), today=TODAY) == D(2026, 1, 1)
    assert cycle_start(last_life_meeting=D(2025, 12, 31), today=TODAY) == D(2026, 1, 1)


def test_the_required_pairs_are_met_by_talks_of_the_cycle_in_either_direction(
    tree, village, clerk_a, clerk_a_client, clerk_b_client
):
    v, p = tree.village_a, village
    log_meeting(org=v, kind=ActivityKind.LIFE_MEETING, held_on=D(2026, 3, 10), by=clerk_a)
    # A meeting today starts no cycle before tomorrow; another branch's meeting none here.
    log_meeting(org=v, kind=ActivityKind.LIFE_MEETING, held_on=TODAY, by=clerk_a)
    talk(v, p.secretary, p.organiser, clerk_a, on=D(2026, 3, 1))  # before the meeting
    talk(v, p.secretary, p.publicity, clerk_a)  # the secretary sought it
    talk(v, p.first, p.organiser, clerk_a, summary="谈工作困难")  # the member sought it
    talk(v, p.first, p.second, clerk_a)  # two members: no pair of the rules
    cycle = branch_talks(branch_ids=[v.pk], today=TODAY)[v.pk]
    assert (cycle.start, cycle.end, cycle.secretary) == (D(2026, 3, 11), TODAY, p.secretary.pk)
    ids = {
        (p.secretary.pk, p.organiser.pk),
        (p.secretary.pk, p.publicity.pk),
        (p.organiser.pk, p.publicity.pk),
        (p.organiser.pk, p.first.pk),
        (p.organiser.pk, p.second.pk),
        (p.secretary.pk, p.other_group.pk),
        (p.secretary.pk, p.free.pk),
    }
    assert set(cycle.required.values()) == ids
    assert cycle.met_count == 2
    assert cycle.met & cycle.required.keys() == {
        pair_key(p.secretary.pk, p.publicity.pk),
        pair_key(p.organiser.pk, p.first.pk),
    }
    missing = [(a, b) for a, _an, b, _bn in cycle.missing]
    assert set(missing) == ids - {
        (p.secretary.pk, p.publicity.pk),
        (p.organiser.pk, p.first.pk),
    }
    # The secretary's pairs first.
    assert [a for a, _b in missing[:3]] == [p.secretary.pk] * 3
    # The branch page: the cycle, the count, each missing pair a link to the form for the two.
    url = reverse("activities:talk_branch", args=[v.pk])
    page = clerk_a_client.get(url).content.decode()
    assert "2026年3月11日至2026年9月15日" in page and "已谈 2 / 应谈 7 对" in page
    assert "尚未谈话（5对）" in page and "由书记谈" in page
    prefilled = f"?branch={v.pk}&amp;initiator={p.secretary.pk}&amp;partner={p.free.pk}"
    assert prefilled in page and page.count("data-missing=") == 5
    assert page.count("data-talk=") == 3 and "谈工作困难" in page
    form = clerk_a_client.get(
        reverse(ADD), {"branch": v.pk, "initiator": p.secretary.pk, "partner": p.free.pk}
    ).content.decode()
    assert f'<option value="{p.secretary.pk}" selected>' in form
    assert f'<option value="{p.free.pk}" selected>' in form
    # Another township's clerk, a township, a garbled id.
    assert clerk_b_client.get(url).status_code == 404
    assert (
        clerk_a_client.get(reverse("activities:talk_branch", args=[tree.township_a.pk])).status_code
        == 404
    )
    assert clerk_a_client.get(reverse(ADD), {"branch": v.pk, "partner": "x"}).status_code == 400


def test_a_branch_without_groups_leaves_its_members_to_the_secretary(tree, clerk_a):
    branch = tree.organ_a
    secretary = MemberFactory(branch=branch, name="孙书记")
    deputy = MemberFactory(branch=branch, name="钱副书记")
    members = [MemberFactory(branch=branch) for _ in range(3)]
    post(branch, secretary, PostTitle.SECRETARY)
    post(branch, deputy, PostTitle.DEPUTY_SECRETARY)
    talk(branch, members[0], secretary, clerk_a, on=D(2025, 12, 1))  # last year
    cycle = branch_talks(branch_ids=[branch.pk], today=TODAY)[branch.pk]
    assert set(cycle.required.values()) == {(secretary.pk, deputy.pk)} | {
        (secretary.pk, m.pk) for m in members
    }
    assert (cycle.start, cycle.met_count, len(cycle.missing)) == (D(2026, 1, 1), 0, 4)


def test_it_refuses_a_talk_that_cannot_be(tree, village, clerk_a):
    v, p = tree.village_a, village
    stranger = MemberFactory(branch=tree.village_b, name="乙村党员")
    cases = [
        ({"partner": p.secretary}, "partner", "谈话人和谈话对象不能是同一名党员"),
        ({"partner": stranger}, "partner", "乙村党员在2026年5月6日不是甲村党支部的党员"),
        ({"on": D(2026, 9, 16)}, "talked_on", "谈话日期不能晚于今天"),
        # Not yet in the branch on the day: the factory's members joined it on 2020-01-01.
        ({"on": D(2019, 12, 31)}, "initiator", "李书记在2019年12月31日不是甲村党支部的党员"),
        ({"org": tree.township_a}, "org", "不是在册的党支部"),
    ]
    for change, field, message in cases:
        with pytest.raises(ValidationError) as refused:
            talk(
                change.get("org", v),
                p.secretary,
                change.get("partner", p.free),
                clerk_a,
                on=change.get("on", D(2026, 5, 6)),
            )
        assert message in " ".join(refused.value.message_dict[field]), change
    assert not Talk.objects.exists()


def test_the_phone_form_picks_a_branch_then_logs_the_talk(
    tree, village, clerk_a_client, secretary_a_client
):
    p = village
    MemberFactory(branch=tree.village_b, name="乙村党员")
    stranger = MemberFactory(branch=tree.organ_a, name="机关党员")
    add = reverse(ADD)
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker; the branch's members only.
    assert 'class="activity-form"' in form and 'type="date"' in form
    assert "周四" in form and "机关党员" not in form and "乙村党员" not in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    url = f"{add}?branch={tree.village_a.pk}"
    data = {
        "talked_on": "2026-09-10",
        "initiator": p.secretary.pk,
        "partner": p.free.pk,
        "summary": "了解家庭困难，鼓励参加支部活动",
    }
    refusals = [
        ({"partner": p.secretary.pk}, "谈话人和谈话对象不能是同一名党员"),
        ({"partner": stranger.pk}, "选择一个有效的选项"),
        ({"talked_on": "2026-09-16"}, "谈话日期不能晚于今天"),
        ({"talked_on": "2026-13-01"}, "输入一个有效的日期"),
        ({"summary": "长" * 301}, "不超过 300 字符"),
    ]
    for change, message in refusals:
        refused = clerk_a_client.post(url, {**data, **change})
        assert refused.status_code == 400 and message in refused.content.decode(), change
    assert not Talk.objects.exists()
    # The branch's secretary reads the ledger but does not write it.
    assert secretary_a_client.get(url).status_code == 403
    assert secretary_a_client.post(url, data).status_code == 403
    response = clerk_a_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("activities:talk_branch", args=[tree.village_a.pk])
    written = Talk.objects.get()
    assert (written.org, written.initiator, written.partner, written.talked_on) == (
        tree.village_a,
        p.secretary,
        p.free,
        D(2026, 9, 10),
    )
    assert written.history.count() == 1


def test_the_list_is_scoped_filtered_exported_and_printed(
    tree, village, clerk_a, clerk_b, clerk_a_client, secretary_a_client
):
    p = village
    talk(tree.village_a, p.secretary, p.free, clerk_a, summary="谈学习体会")
    talk(tree.village_a, p.organiser, p.first, clerk_a, on=D(2026, 4, 2), summary="谈小组工作")
    talk(tree.village_a, p.organiser, p.second, clerk_a, on=D(2025, 11, 2), summary="去年的谈话")
    b1, b2 = MemberFactory(branch=tree.village_b), MemberFactory(branch=tree.village_b)
    talk(tree.village_b, b1, b2, clerk_b, summary="乙村的谈话")
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "谈学习体会" in page and "谈小组工作" in page
    assert "乙村的谈话" not in page and "去年的谈话" not in page
    assert "去年的谈话" in clerk_a_client.get(reverse(LIST), {"year": 2025}).content.decode()
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400
    assert "谈学习体会" in secretary_a_client.get(reverse(LIST)).content.decode()
    # The print: one branch's ledger, its columns and the signature line.
    printed = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年谈心谈话记录</h1>" in printed
    assert (
        "<th>日期</th><th>谈话人</th><th>谈话对象</th><th>内容摘要</th><th>登记人</th>" in printed
    )
    assert 'class="print-only signature">登记人（签字）' in printed
    # The export: the list's rows in its order.
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年谈心谈话记录"
    assert rows[1] == ("党支部", "日期", "谈话人", "谈话对象", "内容摘要", "登记人")
    clerk = clerk_a.first_name or clerk_a.username
    assert [r[0] for r in rows[2:]] == ["甲镇党委/甲村党支部"] * 2
    assert rows[2][1].date() == D(2026, 4, 2)
    assert rows[2][2:] == ("王组织", "张一", "谈小组工作", clerk)
    assert rows[3][2:] == ("李书记", "周四", "谈学习体会", clerk)
    assert len(rows) == 4


def test_the_summary_gives_exact_figures_by_child(tree, village, clerk_a, clerk_a_client):
    v, p = tree.village_a, village
    log_meeting(org=v, kind=ActivityKind.LIFE_MEETING, held_on=D(2026, 3, 10), by=clerk_a)
    talk(v, p.secretary, p.organiser, clerk_a, on=D(2026, 3, 1))  # this year, not this cycle
    talk(v, p.publicity, p.secretary, clerk_a)
    talk(v, p.organiser, p.publicity, clerk_a)
    talk(v, p.secretary, p.free, clerk_a, on=D(2025, 6, 1))  # last year
    # 机关: a secretary and a member who talked; every pair met.
    secretary, member = MemberFactory(branch=tree.organ_a), MemberFactory(branch=tree.organ_a)
    post(tree.organ_a, secretary, PostTitle.SECRETARY)
    talk(tree.organ_a, member, secretary, clerk_a)
    keys = ("talks", "branches", "talked", "members", "required", "missing", "due", "complete")

    def of(row):
        return tuple(row.values[k] for k in keys)

    summary = talk_summary(node=tree.township_a, year=2026, today=TODAY)
    village_row, organ_row = summary.rows
    # 甲村: 3 talks this year by 3 of its 7 members; 7 pairs, 2 met in the cycle.
    assert of(village_row) == (3, 1, 3, 7, 7, 5, 1, 0)
    assert of(organ_row) == (1, 1, 2, 2, 1, 0, 1, 1)
    assert of(summary.total) == (4, 2, 5, 9, 8, 5, 2, 1)
    # The county: talks and members by township; no pairs counted that high up.
    county = talk_summary(node=tree.county, year=2026, today=TODAY)
    assert [tuple(r.values.values()) for r in county.rows] == [(4, 2, 9, 5), (0, 0, 0, 0)]
    assert "required" not in county.total.values
    # Last year: talks only (the cycles are this year's).
    last = talk_summary(node=tree.township_a, year=2025, today=TODAY)
    assert last.rows[0].values == {"talks": 1, "branches": 1, "members": 7, "talked": 2}
    page = clerk_a_client.get(
        reverse("activities:talk_summary", args=[tree.township_a.pk])
    ).content.decode()
    assert '<td class="num">5</td><td class="num">0 / 1</td>' in page
    assert reverse("activities:talk_branch", args=[v.pk]) in page


def test_the_roles_hold_the_talk_permissions_the_migration_grants():
    from django.contrib.auth.models import Group

    def codenames(role):
        group = Group.objects.get(name=role)
        return set(
            group.permissions.filter(codename__endswith="_talk").values_list("codename", flat=True)
        )

    for role in ("县委组织部", "乡镇专干", "系统管理员"):
        # Those who log the talks may take one logged by mistake back (0034).
        assert codenames(role) == {"view_talk", "add_talk", "change_talk", "delete_talk"}, role
    assert codenames("支部书记") == {"view_talk"}


# --- Query counts: the same for 2 rows as for 20 -------------------------------------------


def _branches_with_talks(tree, clerk, n):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        group = GroupFactory(parent=branch)
        secretary = MemberFactory(branch=branch)
        post(branch, secretary, PostTitle.SECRETARY)
        member = MemberFactory(group=group)
        talk(branch, secretary, member, clerk)


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_and_summary_read_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_num_queries
):
    _branches_with_talks(tree, clerk_a, n)
    # Session, user, permissions (two), the picker's nodes, the count, the page of talks
    # with their branches, members and clerks, the labels, and the session's save
    # (savepoint, update, release).
    with django_assert_num_queries(11):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-talk=") == n
    # Session, user, permissions (two), the node, the talks by child, the members by
    # child, the children, and the session's save (three); the county has no ancestors,
    # so its breadcrumb reads nothing.
    county = reverse("activities:talk_summary", args=[tree.county.pk])
    with django_assert_num_queries(11):
        response = county_client.get(county)
    assert f">{n}</td>" in response.content.decode()
    # A township adds its breadcrumb, the branches and their cycles: the last 组织生活会,
    # the roster, the committees, the talks.
    township = reverse("activities:talk_summary", args=[tree.township_a.pk])
    with django_assert_num_queries(17):
        response = county_client.get(township)
    assert response.content.decode().count("ledgers/talks/branch/") >= n


@pytest.mark.parametrize("n", [2, 20])
def test_the_branch_page_reads_a_fixed_number_of_queries(
    tree, village, clerk_a, clerk_a_client, n, django_assert_num_queries
):
    for _ in range(n):
        member = MemberFactory(branch=tree.village_a)
        talk(tree.village_a, village.secretary, member, clerk_a)
    url = reverse("activities:talk_branch", args=[tree.village_a.pk])
    # Session, user, permissions (two), the branch, the cycle (last 组织生活会, roster,
    # committee, talks), the label, the cycle's talks with their members and clerks,
    # and the session's save (three).
    with django_assert_num_queries(14):
        response = clerk_a_client.get(url)
    assert response.content.decode().count("data-talk=") == n
