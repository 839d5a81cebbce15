"""设岗定责: the services and their refusals, the derived 设岗定责履职 points replacing the
manual rule from 2026, the scoped list (export, print), the phone form, a post's steps,
and the yearly summary with exact figures and its query counts."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.duty import services
from activities.ledgers.duty.selectors import duty_summary, duty_totals
from activities.models import (
    DutyAssignment,
    DutyLog,
    DutyPost,
    EntryStatus,
    PointEntry,
    PointRule,
    PointSource,
)
from activities.points.ledgers import duty_log_points_refresh
from activities.points.services import point_entry_create, point_entry_errors, points_recompute
from branches.models import PostTitle
from branches.services import post_assign
from members.choices import RosterStatus
from members.services import member_leave
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 15)
LIST = "activities:duty_list"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


SET_UP, STARTED, DONE = D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)


def departed(**place):
    member = MemberFactory(**place)
    return member_leave(
        member=member, status=RosterStatus.DECEASED, on=D(2026, 1, 5), reason="病故"
    )


def post_of(branch, by, *, name="政策宣传岗", on=SET_UP):
    return services.duty_post_create(
        org=branch, name=name, duty="每月向群众宣讲一次惠农政策", set_up_on=on, by=by
    )


def assign(post, member, by, *, on=STARTED):
    return services.duty_assign(post=post, member=member, started_on=on, by=by)


def log(assignment, by, *, on=DONE, text="入户宣讲医保政策"):
    return services.duty_log_record(assignment=assignment, done_on=on, text=text, by=by)


def duty_points(member) -> list[tuple]:
    return list(
        PointEntry.objects.filter(member=member, source=PointSource.DUTY_LOG)
        .order_by("date", "pk")
        .values_list("year", "date", "points", "org_id", "status", "reason")
    )


# --- Services ----------------------------------------------------------------------------


def test_a_post_is_set_up_taken_logged_and_left(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    post = post_of(tree.village_a, clerk_a)
    held = assign(post, member, clerk_a)
    done = log(held, clerk_a)
    services.duty_unassign(assignment=held, ended_on=D(2026, 4, 1), by=clerk_a)
    held.refresh_from_db()
    assert (post.org, held.member, held.ended_on) == (tree.village_a, member, D(2026, 4, 1))
    assert (done.assignment, done.done_on, done.recorded_by) == (held, D(2026, 4, 1), clerk_a)
    # Left, the member may take the same post again.
    again = assign(post, member, clerk_a, on=D(2026, 5, 1))
    assert again.ended_on is None and DutyAssignment.objects.count() == 2


@pytest.mark.parametrize(
    "org, on, field",
    [
        ("township_a", D(2026, 2, 1), "org"),  # posts are a branch's
        ("village_a", D(2026, 9, 16), "set_up_on"),  # tomorrow
    ],
)
def test_it_refuses_a_post_that_cannot_be(tree, clerk_a, org, on, field):
    with pytest.raises(ValidationError) as refused:
        post_of(getattr(tree, org), clerk_a, on=on)
    assert field in refused.value.message_dict
    assert not DutyPost.objects.exists()


def test_it_refuses_an_assignment_that_cannot_be(tree, clerk_a):
    post = post_of(tree.village_a, clerk_a)
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    cases = [
        (
            MemberFactory(branch=tree.organ_a, name="机关党员"),
            D(2026, 3, 1),
            "不是甲村党支部在册的党员",
        ),
        (
            departed(branch=tree.village_a),
            D(2026, 3, 1),
            "在册的党员",
        ),
        (member, D(2026, 1, 15), "上岗日期不能早于设岗日期（2026年2月1日）"),
        (member, D(2026, 9, 16), "上岗日期不能晚于今天"),
    ]
    for who, on, message in cases:
        with pytest.raises(ValidationError, match=message):
            assign(post, who, clerk_a, on=on)
    assert not DutyAssignment.objects.exists()
    assign(post, member, clerk_a)
    with pytest.raises(ValidationError, match="张爱民已在政策宣传岗上"):
        assign(post, member, clerk_a, on=D(2026, 4, 1))
    assert DutyAssignment.objects.count() == 1


def test_it_refuses_a_log_or_an_end_outside_the_assignment(tree, clerk_a):
    held = assign(post_of(tree.village_a, clerk_a), MemberFactory(group=tree.group_a1), clerk_a)
    refusals = [
        (D(2026, 2, 28), "入户宣讲", "履职日期不能早于上岗日期（2026年3月1日）"),
        (D(2026, 9, 16), "入户宣讲", "履职日期不能晚于今天"),
        (D(2026, 4, 1), "  ", "请填写履职情况"),
    ]
    for on, text, message in refusals:
        with pytest.raises(ValidationError, match=message):
            log(held, clerk_a, on=on, text=text)
    log(held, clerk_a, on=D(2026, 6, 1))
    with pytest.raises(ValidationError, match="2026年6月1日还有履职记录"):
        services.duty_unassign(assignment=held, ended_on=D(2026, 5, 31), by=clerk_a)
    with pytest.raises(ValidationError, match="离岗日期不能早于上岗日期"):
        services.duty_unassign(assignment=held, ended_on=D(2026, 2, 1), by=clerk_a)
    services.duty_unassign(assignment=held, ended_on=D(2026, 6, 30), by=clerk_a)
    with pytest.raises(ValidationError, match="履职日期不能晚于离岗日期（2026年6月30日）"):
        log(held, clerk_a, on=D(2026, 7, 1))
    with pytest.raises(ValidationError, match="已于2026年6月30日离岗"):
        services.duty_unassign(assignment=held, ended_on=D(2026, 7, 1), by=clerk_a)
    held.refresh_from_db()
    assert held.ended_on == D(2026, 6, 30) and DutyLog.objects.count() == 1
    assert len(duty_points(held.member)) == 1


# --- Derived points ------------------------------------------------------------------------


def test_each_log_earns_a_point_and_recomputing_changes_nothing(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    held = assign(post_of(tree.village_a, clerk_a), member, clerk_a)
    log(held, clerk_a, on=D(2026, 4, 1), text="入户宣讲")
    log(held, clerk_a, on=D(2026, 5, 1), text="召开院坝会")
    expected = [
        (
            2026,
            D(2026, 4, 1),
            1,
            tree.village_a.pk,
            EntryStatus.AUTO,
            "设岗定责履职：政策宣传岗：入户宣讲",
        ),
        (
            2026,
            D(2026, 5, 1),
            1,
            tree.village_a.pk,
            EntryStatus.AUTO,
            "设岗定责履职：政策宣传岗：召开院坝会",
        ),
    ]
    assert duty_points(member) == expected
    points_recompute(year=2026)
    assert duty_points(member) == expected
    points_recompute(year=2026)
    assert duty_points(member) == expected
    assert duty_log_points_refresh(year=2026) == 2
    assert duty_points(member) == expected


def test_the_statement_counts_the_logs_within_the_yearly_cap(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    held = assign(post_of(tree.village_a, clerk_a), member, clerk_a)
    for day in range(12):
        log(held, clerk_a, on=D(2026, 4, 1) + datetime.timedelta(days=day), text=f"巡查{day}")
    page = clerk_a_client.get(
        reverse("activities:points_statement", args=[member.pk]), {"year": 2026}
    ).content.decode()
    assert page.count("设岗定责履职：政策宣传岗：巡查") == 12
    # 12 × 1 point, capped at 10 by the rule of 2026.
    assert '<td>设岗定责履职</td><td class="num">12.0</td><td class="num">10.0</td>' in page


def test_the_manual_rule_is_replaced_from_2026_and_2025_entries_stay(tree, clerk_a, county_user):
    manual = PointRule.objects.get(source=PointSource.DUTY)
    derived = PointRule.objects.get(source=PointSource.DUTY_LOG)
    assert (manual.valid_to, derived.valid_from) == (D(2025, 12, 31), D(2026, 1, 1))
    assert (derived.points, derived.yearly_cap, derived.valid_to) == (1, 10, None)
    # A manual 设岗定责 entry of 2026 is refused: the ledger's items count instead.
    errors = point_entry_errors(
        source=PointSource.DUTY, date=D(2026, 3, 1), points=None, reason="设岗定责：卫生监督岗"
    )
    assert errors == {"source": "2026年度没有「设岗定责」的积分规则。"}
    member = MemberFactory(group=tree.group_a1)
    with pytest.raises(ValidationError, match="2026年度没有"):
        point_entry_create(
            member=member,
            source=PointSource.DUTY,
            date=D(2026, 3, 1),
            points=None,
            reason="设岗定责：卫生监督岗",
            by=clerk_a,
        )
    # One of 2025 is still entered, approved, and kept by a recompute of 2025.
    entry = point_entry_create(
        member=member,
        source=PointSource.DUTY,
        date=D(2025, 6, 1),
        points=None,
        reason="设岗定责：卫生监督岗",
        by=clerk_a,
    )
    PointEntry.objects.filter(pk=entry.pk).update(
        status=EntryStatus.APPROVED, decided_by=county_user, decided_at=NOW
    )
    points_recompute(year=2025)
    kept = PointEntry.objects.filter(member=member).values_list(
        "year", "source", "points", "status"
    )
    assert list(kept) == [(2025, PointSource.DUTY, 5, EntryStatus.APPROVED)]
    # A 2025 log earns nothing: the derived rule starts in 2026.
    held = assign(
        post_of(tree.village_a, clerk_a, on=D(2025, 2, 1)), member, clerk_a, on=D(2025, 3, 1)
    )
    log(held, clerk_a, on=D(2025, 7, 1))
    assert duty_points(member) == []


# --- Pages ---------------------------------------------------------------------------------


def test_the_list_is_scoped_with_holders_and_the_years_logs(tree, clerk_a, clerk_b, clerk_a_client):
    post = post_of(tree.village_a, clerk_a, name="环境卫生监督岗")
    held = assign(post, MemberFactory(group=tree.group_a1, name="张爱民"), clerk_a)
    log(held, clerk_a, on=D(2026, 4, 1))
    log(held, clerk_a, on=D(2026, 5, 1))
    gone = assign(post, MemberFactory(group=tree.group_a2, name="李离岗"), clerk_a)
    services.duty_unassign(assignment=gone, ended_on=D(2026, 6, 30), by=clerk_a)
    other = post_of(tree.village_b, clerk_b, name="乙村的岗位")
    ended = post_of(tree.village_a, clerk_a, name="去年的岗位", on=D(2024, 1, 1))
    ended.ended_on = D(2025, 12, 31)
    ended.save()
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "环境卫生监督岗" in page and "乙村的岗位" not in page and "去年的岗位" not in page
    row = page[page.index(f'data-duty-post="{post.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "张爱民、李离岗<small>（2026-06-30离岗）</small>" in row
    assert '<td class="num">2</td>' in row
    last_year = clerk_a_client.get(reverse(LIST), {"year": 2025}).content.decode()
    assert "去年的岗位" in last_year and "环境卫生监督岗" not in last_year
    # Another township's post, and another township as the filter, do not exist.
    assert (
        clerk_a_client.get(reverse("activities:duty_post_detail", args=[other.pk])).status_code
        == 404
    )
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400


def test_the_export_holds_the_list_rows(tree, clerk_a, clerk_a_client):
    post = post_of(tree.village_a, clerk_a)
    held = assign(post, MemberFactory(group=tree.group_a1, name="张爱民"), clerk_a)
    log(held, clerk_a)
    log(held, clerk_a, on=D(2026, 5, 1))
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年设岗定责登记表"
    assert rows[1] == (
        "党组织",
        "岗位名称",
        "岗位职责",
        "设岗日期",
        "撤岗日期",
        "在岗党员",
        "履职记录（次）",
    )
    assert rows[2][0] == "甲镇党委/甲村党支部" and rows[2][1:3] == (
        "政策宣传岗",
        "每月向群众宣讲一次惠农政策",
    )
    assert rows[2][3].date() == D(2026, 2, 1) and rows[2][4] is None
    assert rows[2][5:] == ("张爱民（2026-03-01起）", 2)
    assert len(rows) == 3


def test_the_printed_list_is_the_paper_ledger(tree, clerk_a, clerk_a_client):
    post_of(tree.village_a, clerk_a)
    page = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年设岗定责登记表</h1>" in page
    assert 'class="print-only signature">党支部书记（签字）' in page


def test_the_form_picks_a_branch_then_sets_up_the_post(tree, clerk_a_client):
    add = reverse("activities:duty_post_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    assert "设置岗位</a>" in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker and keyboard.
    assert 'class="activity-form"' in form and 'type="date"' in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    data = {"name": "矛盾调解岗", "duty": "调解邻里纠纷", "set_up_on": "2026-03-01"}
    url = f"{add}?branch={tree.village_a.pk}"
    refused = clerk_a_client.post(url, {**data, "set_up_on": "2026-09-16"})
    assert refused.status_code == 400 and "设岗日期不能晚于今天" in refused.content.decode()
    assert not DutyPost.objects.exists()
    response = clerk_a_client.post(url, data)
    post = DutyPost.objects.get()
    assert response.url == reverse("activities:duty_post_detail", args=[post.pk])
    assert (post.org, post.name, post.set_up_on) == (tree.village_a, "矛盾调解岗", D(2026, 3, 1))


def test_the_post_page_records_each_step_and_refuses_bad_input(
    tree, clerk_a, clerk_a_client, secretary_a_client
):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    MemberFactory(branch=tree.village_b, name="乙村党员")
    post = post_of(tree.village_a, clerk_a)
    url = reverse("activities:duty_post_detail", args=[post.pk])
    page = clerk_a_client.get(url).content.decode()
    assert "张爱民" in page and "乙村党员" not in page and 'type="date"' in page
    assert secretary_a_client.get(url).status_code == 200
    assign_data = {"step": "assign", "member": member.pk, "started_on": "2026-03-01"}
    assert secretary_a_client.post(url, assign_data).status_code == 403
    bad = clerk_a_client.post(url, {**assign_data, "started_on": "2026-01-01"})
    assert bad.status_code == 400 and 'id="step-assign" open' in bad.content.decode()
    assert "上岗日期不能早于设岗日期" in bad.content.decode()
    assert clerk_a_client.post(url, {"step": "nonsense"}).status_code == 400
    assert not DutyAssignment.objects.exists()
    assert clerk_a_client.post(url, assign_data).status_code == 302
    held = DutyAssignment.objects.get()
    log_data = {"step": "log", "assignment": held.pk, "done_on": "2026-04-01", "text": "入户宣讲"}
    assert clerk_a_client.post(url, {**log_data, "text": ""}).status_code == 400
    assert clerk_a_client.post(url, log_data).status_code == 302
    leave = {"step": "unassign", "assignment": held.pk, "ended_on": "2026-06-30"}
    assert clerk_a_client.post(url, {**leave, "assignment": "x"}).status_code == 400
    assert clerk_a_client.post(url, leave).status_code == 302
    page = clerk_a_client.get(url).content.decode()
    assert "<td>2026-03-01</td><td>2026-06-30</td>" in page and "入户宣讲" in page
    assert len(duty_points(member)) == 1


# --- The yearly summary ------------------------------------------------------------------------


def test_the_township_summary_gives_exact_figures_by_branch(tree, clerk_a):
    # 甲村: four active members, one secretary (an office), one departed.
    secretary = MemberFactory(group=tree.group_a1)
    post_assign(
        org=tree.village_a, member=secretary, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1)
    )
    on_post, left, idle = (MemberFactory(group=tree.group_a2) for _ in range(3))
    departed(branch=tree.village_a)
    # 机关: two members, one on a post.
    organ_on_post, _ = MemberFactory(branch=tree.organ_a), MemberFactory(branch=tree.organ_a)
    policy = post_of(tree.village_a, clerk_a)
    mediation = post_of(tree.village_a, clerk_a, name="矛盾调解岗")
    log(assign(policy, on_post, clerk_a), clerk_a)
    log(assign(mediation, on_post, clerk_a), clerk_a, on=D(2026, 5, 1))
    log(assign(mediation, secretary, clerk_a), clerk_a)  # holds an office too
    gone = assign(policy, left, clerk_a)
    log(gone, clerk_a, on=D(2026, 3, 2))
    services.duty_unassign(assignment=gone, ended_on=D(2026, 3, 31), by=clerk_a)
    organ_post = post_of(tree.organ_a, clerk_a, name="治安巡逻岗")
    log(
        assign(organ_post, organ_on_post, clerk_a),
        clerk_a,
        on=D(2025, 12, 1) + datetime.timedelta(days=200),
    )
    post_of(tree.organ_a, clerk_a, name="去年的岗位", on=D(2025, 1, 1))
    old = post_of(tree.organ_a, clerk_a, name="撤销的岗位", on=D(2024, 1, 1))
    old.ended_on = D(2025, 6, 30)
    old.save()
    summary = duty_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    village, organ = summary.rows
    assert village.org == tree.village_a and organ.org == tree.organ_a
    figures = ("posts", "holders", "no_office", "no_office_holding", "share", "logs")

    def of(row):
        return tuple(row.values[k] for k in figures)

    # 甲村: 2 posts; on a post: on_post, secretary; 无职: on_post, left, idle (1 of 3 on a post).
    # Logs: on_post's two, the secretary's, the one of the member who left the post.
    assert of(village) == (2, 2, 3, 1, Decimal("33.3"), 4)
    # 机关: the 治安巡逻岗 and the one set up last year: 1 of 2 无职党员 on a post.
    assert of(organ) == (2, 1, 2, 1, 50, 1)
    assert of(summary.total) == (4, 3, 5, 2, 40, 5)
    # The county: one row per township, township B empty.
    county = duty_summary(node=tree.county, year=2026, today=D(2026, 9, 15))
    assert [of(r) for r in county.rows][1] == (0, 0, 0, 0, None, 0)
    # The 数据摘要 counts as the summary does.
    totals = duty_totals(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    assert totals == {"posts": 4, "no_office_holding": 2}
    assert duty_totals(node=tree.township_b, year=2026, today=D(2026, 9, 15)) == {
        "posts": 0,
        "no_office_holding": 0,
    }


def test_a_branchs_summary_is_its_own_row(tree, clerk_a, secretary_a_client):
    member = MemberFactory(group=tree.group_a1)
    log(assign(post_of(tree.village_a, clerk_a), member, clerk_a), clerk_a)
    url = reverse("activities:duty_summary", args=[tree.village_a.pk])
    page = secretary_a_client.get(url, {"year": 2026}).content.decode()
    # Posts and members are the branch's: its groups would only show zeros.
    own = '<tr><td>甲村党支部（本级）</td><td class="num">1</td><td class="num">1</td>'
    assert own in page and "甲村第一党小组" not in page


@pytest.mark.parametrize("n", [2, 20])
def test_the_summary_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        member = MemberFactory(group=GroupFactory(parent=branch))
        log(assign(post_of(branch, clerk_a), member, clerk_a), clerk_a)
    url = reverse("activities:duty_summary", args=[tree.county.pk])
    # Session, user, permissions (two), the node, the sums by child of posts, members,
    # their 班子职务, duty holders and logs, the children, the breadcrumb, and the
    # session's save (savepoint, update, release).
    with django_assert_max_num_queries(15):
        response = county_client.get(url, {"year": 2026})
    assert f">{n}</td>" in response.content.decode()
    township = reverse("activities:duty_summary", args=[tree.township_a.pk])
    with django_assert_max_num_queries(15):
        response = county_client.get(township, {"year": 2026})
    assert response.content.decode().count("ledgers/duty-posts/summary/") >= n


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        member = MemberFactory(group=GroupFactory(parent=branch))
        log(assign(post_of(branch, clerk_a), member, clerk_a), clerk_a)
    # Session, user, permissions (two), the picker's nodes, the count, the page of posts
    # with their branches and log counts, the holders with their members, the labels,
    # and the session's save.
    with django_assert_max_num_queries(12):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-duty-post=") == n


@pytest.mark.parametrize("n", [2, 20])
def test_the_post_page_reads_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_max_num_queries
):
    post = post_of(tree.village_a, clerk_a)
    for _ in range(n):
        log(assign(post, MemberFactory(branch=tree.village_a), clerk_a), clerk_a)
    # Session, user, permissions (two), the post, the members to offer and the holders
    # already on it, the open and all assignments of the forms, the holders and the logs
    # shown, and the session's save (savepoint, update, release): fourteen for 2 holders
    # as for 20.
    with django_assert_max_num_queries(14):
        response = clerk_a_client.get(reverse("activities:duty_post_detail", args=[post.pk]))
    assert response.status_code == 200
