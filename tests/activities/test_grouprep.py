"""小组月报: a group's month assembled from the records with exact figures, its report
submitted once; the branch's quarter from its groups' months (one missing) and its own
meetings, submitted once and printed; the township's 经验交流会 with the groups that
presented, leaving compliance, tallies and the worklist as they were; the list with
its export, the yearly summary, scope and permissions, and the query counts.

One world (``world``): 甲村党支部 with its two groups, 张三 and 李四 in the first and
王五 in the second until 李四 moves to the second on 20 August 2026; August's meetings
and ledgers of both groups, a July and a September besides. The clock stands at
8 September 2026 (Beijing), before August's reports fall due on the 10th.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities import services as meetings
from activities.ledgers.diary.services import diary_entry_record
from activities.ledgers.duty.services import duty_assign, duty_log_record, duty_post_create
from activities.ledgers.grouprep import selectors, services
from activities.ledgers.pairs.services import pairing_create, visit_record
from activities.ledgers.pledges.services import pledge_create, pledge_fulfil
from activities.models import (
    ActivityKind,
    ActivityTally,
    AttendanceStatus,
    BranchSummary,
    ExchangePresentation,
    GroupReport,
)
from activities.selectors import worklist
from branches.models import Organization, OrgKind
from branches.paths import path_segment
from members.services import Move, members_move
from reports.selectors import compliance
from tests.factories import MemberFactory, UserFactory
from tests.helpers import beijing, frozen, log_meeting

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 8)
AUGUST = D(2026, 8, 1)
Q3 = D(2026, 7, 1)


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


@dataclass
class World:
    zhang: object
    li: object
    wang: object


def _group(branch, index: int, name: str) -> Organization:
    path = branch.path + path_segment(index)
    return Organization.objects.create(
        kind=OrgKind.GROUP,
        name=name,
        code=f"{branch.code}-X{index}",
        parent=branch,
        path=path,
        depth=branch.depth + 1,
        created_at=beijing(2020, 1, 1),
    )


@pytest.fixture
def world(tree, clerk_a) -> World:
    a1, a2, branch = tree.group_a1, tree.group_a2, tree.village_a
    zhang = MemberFactory(group=a1, name="张三")
    li = MemberFactory(group=a1, name="李四")
    wang = MemberFactory(group=a2, name="王五")
    by = clerk_a
    # Meetings: a1's August group meeting (李四 absent), a July one (not August's);
    # a2's August theme day; the branch's July lesson and August theme day.
    log_meeting(org=a1, kind="group_meeting", held_on=D(2026, 7, 3), by=by)
    log_meeting(
        org=a1,
        kind="group_meeting",
        held_on=D(2026, 8, 5),
        by=by,
        statuses={li: AttendanceStatus.ABSENT},
    )
    log_meeting(org=a2, kind="theme_day", held_on=D(2026, 8, 6), by=by)
    log_meeting(org=branch, kind="lesson", held_on=D(2026, 7, 15), by=by)
    log_meeting(
        org=branch,
        kind="theme_day",
        held_on=D(2026, 8, 12),
        by=by,
        statuses={wang: (AttendanceStatus.LEAVE, "外出务工")},
    )
    # 李四 moves to the second group on 20 August: a1's theme day that day expects 张三.
    members_move(moves=[Move(member=li, branch_id=branch.pk, group_id=a2.pk)], on=D(2026, 8, 20))
    li.refresh_from_db()
    log_meeting(org=a1, kind="theme_day", held_on=D(2026, 8, 20), by=by)
    # Pledges kept at a1: one made in July and fulfilled in August, one made in August.
    july = pledge_create(
        org=a1,
        member=zhang,
        made_on=D(2026, 7, 10),
        category="public",
        text="修缮村口便道",
        due_on=D(2026, 12, 31),
        by=by,
    )
    pledge_fulfil(
        pledge=july, fulfilment="done", fulfilled_on=D(2026, 8, 12), evidence="已完工", by=by
    )
    pledge_create(
        org=a1,
        member=zhang,
        made_on=D(2026, 8, 3),
        category="policy",
        text="宣讲医保政策",
        due_on=D(2026, 12, 31),
        by=by,
    )
    # Duty logs of 张三 (a1): two in August, one in July.
    post = duty_post_create(
        org=branch, name="政策宣传岗", duty="宣传政策", set_up_on=D(2026, 1, 1), by=by
    )
    held = duty_assign(post=post, member=zhang, started_on=D(2026, 1, 1), by=by)
    for day in (D(2026, 7, 30), D(2026, 8, 2), D(2026, 8, 15)):
        duty_log_record(assignment=held, done_on=day, text="入户宣传", by=by)
    # 李四's visits: 10 August in a1, 25 August in a2 (after the move).
    pairing = pairing_create(
        org=branch,
        member=li,
        helper_unit="",
        partner_kind="household",
        partner_name="刘大爷",
        address="三组",
        difficulty="elderly",
        started_on=D(2026, 1, 1),
        by=by,
    )
    for day in (D(2026, 8, 10), D(2026, 8, 25)):
        visit_record(
            pairing=pairing,
            visited_on=day,
            kind="call",
            help_given="走访慰问",
            value_note="",
            by=by,
        )
    # 民情日志: 张三 (a1) and 王五 (a2), one each in August.
    for cadre in (zhang, wang):
        diary_entry_record(
            org=branch,
            cadre=cadre,
            date=D(2026, 8, 11),
            household="二组",
            concern="路灯不亮",
            action="联系电工",
            outcome="resolved",
            by=by,
        )
    return World(zhang, li, wang)


def figures_of(f) -> tuple:
    meetings_by_kind = [(line.kind, line.count, line.present, line.expected) for line in f.meetings]
    return (
        meetings_by_kind,
        f.pledges_made,
        f.pledges_fulfilled,
        f.duty_logs,
        f.visits,
        f.diary_entries,
    )


def month_url(group, month=AUGUST):
    url = reverse("activities:group_month", args=[group.pk])
    return f"{url}?year={month.year}&month={month.month}"


def quarter_url(branch, quarter=Q3):
    url = reverse("activities:branch_quarter", args=[branch.pk])
    return f"{url}?year={quarter.year}&quarter={(quarter.month - 1) // 3 + 1}"


# --- A group's month --------------------------------------------------------------------------


def test_a_groups_month_holds_exact_figures_from_the_records(tree, world):
    a1 = selectors.group_month(group=tree.group_a1, month=AUGUST)
    # The group meeting (张三 present, 李四 absent) and the theme day after the move (张三);
    # the July pledge fulfilled in August and the August one; 张三's two August logs;
    # 李四's visit before the move; 张三's diary entry.
    assert figures_of(a1) == (
        [("group_meeting", 1, 1, 2), ("theme_day", 1, 1, 1)],
        1,
        1,
        2,
        1,
        1,
    )
    assert (a1.meeting_count, a1.present, a1.expected) == (2, 2, 3)
    a2 = selectors.group_month(group=tree.group_a2, month=AUGUST)
    # a2: its theme day (王五 alone before the move); 李四's visit after it; 王五's entry.
    assert figures_of(a2) == ([("theme_day", 1, 1, 1)], 0, 0, 0, 1, 1)
    july = selectors.group_month(group=tree.group_a1, month=D(2026, 7, 1))
    assert figures_of(july) == ([("group_meeting", 1, 2, 2)], 1, 0, 1, 0, 0)


def test_the_month_page_shows_the_figures_and_takes_the_report_once(
    tree, world, secretary_a, secretary_a_client, clerk_b_client
):
    url = month_url(tree.group_a1)
    page = secretary_a_client.get(url).content.decode()
    assert "甲村第一党小组2026年8月月度报告" in page
    assert '<tr data-kind="group_meeting"><td>党小组会</td><td class="num">1</td>' in page
    assert '<td class="num">1 / 2</td>' in page
    for name, value in (("pledges_made", 1), ("pledges_fulfilled", 1), ("duty_logs", 2)):
        assert f'data-figure="{name}">{value}<' in page, name
    # The phone form: one column, bounded text.
    assert 'id="group-report-form"' in page and 'class="activity-form"' in page
    assert 'maxlength="1000"' in page
    for bad in ({"work": " "}, {"work": "好" * 1001}):
        refused = secretary_a_client.post(url, bad)
        assert refused.status_code == 400
    assert not GroupReport.objects.exists()
    data = {"work": "召开党小组会1次，入户宣传医保政策。", "plans": "九月组织志愿服务。"}
    assert secretary_a_client.post(url, data).status_code == 302
    report = GroupReport.objects.get()
    assert (report.org, report.month, report.submitted_by, report.on_time) == (
        tree.group_a1,
        AUGUST,
        secretary_a,
        True,
    )
    assert report.history.count() == 1
    page = secretary_a_client.get(url).content.decode()
    assert "召开党小组会1次" in page and "九月组织志愿服务" in page
    assert 'id="group-report-form"' not in page
    # A second report of the month is refused, by the page and by the service.
    twice = secretary_a_client.post(url, data)
    assert twice.status_code == 400 and "不能重复提交" in twice.content.decode()
    with pytest.raises(ValidationError) as refused:
        services.group_report_submit(
            org=tree.group_a1, month=D(2026, 8, 31), work="再报一次", by=secretary_a
        )
    assert "已于2026年9月8日提交，不能重复提交" in refused.value.message_dict["month"][0]
    assert GroupReport.objects.count() == 1
    # A month not begun takes no report; a branch is not a group.
    october = month_url(tree.group_a1, D(2026, 10, 1))
    assert 'id="group-report-form"' not in secretary_a_client.get(october).content.decode()
    late = secretary_a_client.post(october, data)
    assert late.status_code == 400 and "还没有开始" in late.content.decode()
    with pytest.raises(ValidationError):
        services.group_report_submit(org=tree.village_a, month=AUGUST, work="x", by=secretary_a)
    # Another township's clerk: no such page; a branch's id is no group.
    assert clerk_b_client.get(url).status_code == 404
    assert secretary_a_client.get(month_url(tree.village_a)).status_code == 404
    # A month after the deadline is late: July's report, submitted on 8 September.
    july = services.group_report_submit(
        org=tree.group_a2, month=D(2026, 7, 1), work="补报", by=secretary_a
    )
    assert july.on_time is False


def test_without_the_permissions_it_is_403_and_nothing_is_written(tree, world):
    from django.test import Client

    nobody = UserFactory(org=tree.township_a)
    reader = UserFactory(org=tree.township_a)
    reader.user_permissions.add(Permission.objects.get(codename="view_groupreport"))
    clients = {}
    for user in (nobody, reader):
        clients[user] = Client()
        clients[user].force_login(user)
    url = month_url(tree.group_a1)
    assert clients[nobody].get(url).status_code == 403
    assert clients[reader].get(url).status_code == 200
    assert 'id="group-report-form"' not in clients[reader].get(url).content.decode()
    assert clients[reader].post(url, {"work": "x"}).status_code == 403
    assert clients[reader].post(quarter_url(tree.village_a), {"text": "x"}).status_code == 403
    assert clients[reader].get(reverse("activities:exchange_add")).status_code == 403
    assert not GroupReport.objects.exists() and not BranchSummary.objects.exists()


# --- The branch's quarter ---------------------------------------------------------------------


def test_the_quarter_assembles_the_groups_months_and_the_branch_meetings(
    tree, world, clerk_a, clerk_a_client, clerk_b_client
):
    services.group_report_submit(
        org=tree.group_a1, month=D(2026, 7, 1), work="七月情况", by=clerk_a
    )
    services.group_report_submit(org=tree.group_a1, month=AUGUST, work="八月情况", by=clerk_a)
    services.group_report_submit(
        org=tree.group_a2, month=AUGUST, work="八月二组", plans="九月打算", by=clerk_a
    )
    quarter = selectors.branch_quarter(branch=tree.village_a, quarter=Q3, today=D(2026, 9, 8))
    assert [g.group for g in quarter.groups] == [tree.group_a1, tree.group_a2]
    # July and August ended: four group-months due, three reported; September under way.
    assert (quarter.submitted, quarter.due) == (3, 4)
    a1, a2 = quarter.groups
    assert [m.report.work if m.report else None for m in a1.months] == [
        "七月情况",
        "八月情况",
        None,
    ]
    assert [m.report is not None for m in a2.months] == [False, True, False]
    assert figures_of(a1.months[1].figures) == figures_of(
        selectors.group_month(group=tree.group_a1, month=AUGUST)
    )
    assert (a1.months[0].figures.meeting_count, a1.months[0].figures.pledges_made) == (1, 1)
    assert a2.months[1].figures.visits == 1
    # The branch's own meetings: July's lesson (3 of 3) and August's theme day (王五 on
    # leave, 2 of 3); the groups' meetings are theirs, not the branch's.
    assert [(m.kind, m.count, m.present, m.expected) for m in quarter.meetings] == [
        ("lesson", 1, 3, 3),
        ("theme_day", 1, 2, 3),
    ]
    url = quarter_url(tree.village_a)
    page = clerk_a_client.get(url).content.decode()
    assert "甲村党支部2026年第3季度小结" in page
    assert "党小组月度报告已提交 3 份（已结束的月份应报 4 份）" in page
    assert page.count("未提交") == 1 and page.count("未到期") == 2
    assert "八月二组" in page and "九月打算" in page
    assert 'class="print-only signature">党支部书记（签字）' in page
    assert 'id="branch-summary-form"' in page
    data = {"text": "本季度各党小组按月报告，一组九月报告待交。"}
    assert clerk_a_client.post(url, {"text": ""}).status_code == 400
    assert clerk_a_client.post(url, data).status_code == 302
    summary = BranchSummary.objects.get()
    assert (summary.org, summary.quarter, summary.submitted_by) == (tree.village_a, Q3, clerk_a)
    page = clerk_a_client.get(url).content.decode()
    assert "一组九月报告待交" in page and 'id="branch-summary-form"' not in page
    twice = clerk_a_client.post(url, data)
    assert twice.status_code == 400 and "小结已提交，不能重复提交" in twice.content.decode()
    assert BranchSummary.objects.count() == 1
    # A quarter not begun; another township's clerk; a group's id is no branch.
    q4 = quarter_url(tree.village_a, D(2026, 10, 1))
    assert clerk_a_client.post(q4, data).status_code == 400
    assert clerk_b_client.get(url).status_code == 404
    assert clerk_a_client.get(quarter_url(tree.group_a1)).status_code == 404
    # Odd parameters fall back to the last quarter ended, as branches.params does.
    odd = clerk_a_client.get(
        reverse("activities:branch_quarter", args=[tree.village_a.pk]),
        {"quarter": "9", "year": "x"},
    )
    assert odd.status_code == 200 and odd.context["quarter"] == D(2026, 4, 1)


# --- The township's 经验交流会 -------------------------------------------------------------------


def _compliance_state(tree, clerk_a):
    today = D(2026, 9, 8)
    work = worklist(user=clerk_a, root=tree.township_a, today=today)
    report = compliance(node=tree.county, year=2026, today=today, by="month")
    township = compliance(node=tree.township_a, year=2026, today=today, by="quarter")
    return (
        [(o.org.pk, o.kind, o.start) for o in work.gaps],
        (work.done, work.total),
        [(r.org.pk, r.total, r.expected, r.present) for r in report.children],
        report.kinds,
        [(r.org.pk, r.total, r.expected, r.present) for r in township.children],
    )


def test_the_exchange_is_logged_at_the_township_with_its_groups_and_owes_nothing(
    tree, world, clerk_a, clerk_a_client, secretary_a_client
):
    before = _compliance_state(tree, clerk_a)
    add = reverse("activities:exchange_add")
    form = clerk_a_client.get(add).content.decode()
    assert 'id="exchange-form"' in form and 'type="date"' in form
    assert f'value="{tree.group_a1.pk}"' in form and f'value="{tree.group_b1.pk}"' not in form
    data = {
        "held_on": "2026-08-28",
        "topic": "甲镇党小组工作经验交流会",
        "place": "镇党群服务中心",
        "groups": [tree.group_a1.pk, tree.group_b1.pk],
    }
    refused = clerk_a_client.post(add, data)
    assert refused.status_code == 400 and "所选党小组不在本乡镇" in refused.content.decode()
    assert clerk_a_client.post(add, {**data, "groups": []}).status_code == 400
    assert clerk_a_client.post(add, {**data, "groups": ["x"]}).status_code == 400
    with pytest.raises(ValidationError) as strangers:
        services.exchange_log(
            township=tree.township_a,
            held_on=D(2026, 8, 28),
            topic="交流",
            groups=[tree.group_a1, tree.group_b1],
            by=clerk_a,
        )
    assert "乙村第一党小组不是甲镇党委在册的党小组" in strangers.value.message_dict["groups"][0]
    assert not ExchangePresentation.objects.exists()
    response = clerk_a_client.post(add, {**data, "groups": [tree.group_a1.pk, tree.group_a2.pk]})
    assert response.status_code == 302
    presented = ExchangePresentation.objects.select_related("activity")
    assert {p.group for p in presented} == {tree.group_a1, tree.group_a2}
    exchange = presented[0].activity
    assert (exchange.org, exchange.kind, exchange.expected_count) == (
        tree.township_a,
        ActivityKind.EXCHANGE,
        0,
    )
    tally = ActivityTally.objects.get(org=tree.township_a)
    assert (tally.kind, tally.count, tally.expected, tally.present) == ("exchange", 1, 0, 0)
    # Compliance, attendance and the worklist are what they were.
    assert _compliance_state(tree, clerk_a) == before
    # Only a township logs it, and a township logs nothing else.
    for org, kind in ((tree.village_a, "exchange"), (tree.township_a, "lesson")):
        with pytest.raises(ValidationError):
            meetings.activity_log(
                org=org, kind=kind, held_on=D(2026, 8, 1), marks=[], recorded_by=clerk_a, topic="x"
            )
    # The group's August report says it presented; the page of the exchange names both.
    month = secretary_a_client.get(month_url(tree.group_a1)).content.decode()
    assert "8月28日在乡镇党委经验交流会上交流发言" in month
    detail = clerk_a_client.get(response["Location"]).content.decode()
    assert "甲村第一党小组" in detail and "甲村第二党小组" in detail
    # The secretary neither sees the township's meeting nor logs one.
    assert secretary_a_client.get(response["Location"]).status_code == 404
    assert secretary_a_client.get(add).status_code == 403


# --- Who has reported, and the year -------------------------------------------------------------


def test_the_list_shows_who_reported_and_exports_it(tree, world, clerk_a, clerk_a_client):
    services.group_report_submit(org=tree.group_a1, month=AUGUST, work="八月情况", by=clerk_a)
    services.branch_summary_submit(org=tree.village_a, quarter=Q3, text="小结", by=clerk_a)
    url = reverse("activities:grouprep_list")
    page = clerk_a_client.get(url, {"year": 2026, "month": 8}).content.decode()
    assert "甲镇党委2026年8月党小组月度报告" in page
    assert f'data-group="{tree.group_a1.pk}"' in page and f'data-group="{tree.group_a2.pk}"' in page
    assert f'data-group="{tree.group_b1.pk}"' not in page  # another township
    assert page.count("已提交") == 1 and page.count("未提交") == 1
    quarter = clerk_a_client.get(url, {"period": "quarter", "year": 2026, "quarter": 3})
    quarter = quarter.content.decode()
    assert f'data-branch="{tree.village_a.pk}"' in quarter
    assert f'data-branch="{tree.organ_a.pk}"' not in quarter  # no groups, no summary owed
    response = clerk_a_client.get(url, {"year": 2026, "month": 8, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年8月党小组月度报告"
    assert rows[1] == ("党小组", "月份", "是否提交", "提交时间", "提交人")
    assert rows[2][:3] == ("甲镇党委/甲村党支部/甲村第一党小组", "2026年8月", "已提交")
    assert rows[3][:3] == ("甲镇党委/甲村党支部/甲村第二党小组", "2026年8月", "未提交")
    assert len(rows) == 4
    response = clerk_a_client.get(url, {"period": "quarter", "quarter": 3, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[2][:4] == ("甲镇党委/甲村党支部", "2026年第3季度", 1, "已提交")
    assert clerk_a_client.get(url, {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(url, {"org": "x"}).status_code == 400
    assert clerk_a_client.get(url, {"month": "13", "period": "x"}).status_code == 200


def test_the_yearly_summary_counts_due_reported_on_time_and_quarters(
    tree, world, clerk_a, county_client
):
    # 甲村's groups: January–August ended, 8 months each; a1 reported July (late, on 8
    # September) and August (on time); a2 August. Q1 and Q2 ended: 甲村 owes two
    # summaries and gave one (Q2); Q3's is not due yet and not counted.
    for group, month in (
        (tree.group_a1, D(2026, 7, 1)),
        (tree.group_a1, AUGUST),
        (tree.group_a2, AUGUST),
    ):
        services.group_report_submit(org=group, month=month, work="情况", by=clerk_a)
    services.branch_summary_submit(
        org=tree.village_a, quarter=D(2026, 4, 1), text="二季度", by=clerk_a
    )
    services.branch_summary_submit(org=tree.village_a, quarter=Q3, text="三季度", by=clerk_a)
    # A group set up on 15 May owes May to August.
    late = _group(tree.village_b, 3, "乙村第三党小组")
    late.founded_on = D(2026, 5, 15)
    late.save()
    summary = selectors.report_summary(node=tree.county, year=2026, today=D(2026, 9, 8))
    keys = ("due", "submitted", "on_time", "quarters_due", "quarters_submitted")

    def of(row):
        return tuple(row.values[k] for k in keys)

    a, b = summary.rows
    assert (a.org, b.org) == (tree.township_a, tree.township_b)
    assert of(a) == (16, 3, 2, 2, 1)
    assert of(b) == (20, 0, 0, 2, 0)
    assert of(summary.total) == (36, 3, 2, 4, 1)
    village = selectors.report_summary(node=tree.village_a, year=2026, today=D(2026, 9, 8))
    assert [of(r) for r in village.rows] == [(8, 2, 1, 0, 0), (8, 1, 1, 0, 0)]
    assert of(village.own) == (0, 0, 0, 2, 1)
    page = county_client.get(
        reverse("activities:grouprep_summary", args=[tree.county.pk]), {"year": 2026}
    ).content.decode()
    assert '<td class="num">3 / 16</td><td class="num">2</td>' in page
    assert '<td class="num">3 / 36</td><td class="num">2</td><td class="num">6%</td>' in page


def test_the_roles_hold_the_permissions_the_migration_grants():
    from django.contrib.auth.models import Group

    def codenames(role):
        perms = Group.objects.get(name=role).permissions
        models = ("groupreport", "branchsummary", "exchangepresentation")
        return set(perms.filter(content_type__model__in=models).values_list("codename", flat=True))

    everything = {
        f"{a}_{m}"
        for a in ("view", "add", "change")
        for m in ("groupreport", "branchsummary", "exchangepresentation")
    }
    for role in ("县委组织部", "乡镇专干", "系统管理员"):
        assert codenames(role) == everything, role
    assert codenames("支部书记") == everything - {
        "add_exchangepresentation",
        "change_exchangepresentation",
    }


# --- Query counts: the same for 2 rows as for 20 ------------------------------------------------


@pytest.mark.parametrize("n", [2, 20])
def test_the_pages_read_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, county_client, n, django_assert_num_queries
):
    groups = [_group(tree.village_a, 10 + i, f"测试第{i}党小组") for i in range(n)]
    for i, group in enumerate(groups):
        member = MemberFactory(group=group)
        log_meeting(org=group, kind="group_meeting", held_on=D(2026, 8, 3), by=clerk_a)
        log_meeting(org=group, kind="theme_day", held_on=D(2026, 8, 4), by=clerk_a)
        diary_entry_record(
            org=tree.village_a,
            cadre=member,
            date=D(2026, 8, 5),
            household="一组",
            concern="诉求",
            action="办理",
            outcome="resolved",
            by=clerk_a,
        )
        if i % 2:
            services.group_report_submit(org=group, month=AUGUST, work="情况", by=clerk_a)
    # The month page of a group with n meetings: session, user, permissions (two), the
    # group, the report, the label, the seven figure queries, and the session's save
    # (savepoint, update, release).
    busy = groups[0]
    for day in range(n):
        log_meeting(
            org=busy, kind="other", held_on=D(2026, 8, 6) + datetime.timedelta(day), by=clerk_a
        )
    with django_assert_num_queries(17):
        response = clerk_a_client.get(month_url(busy))
    assert f'<td class="num">{n}</td>' in response.content.decode()
    # The quarter of a branch with n groups: session, user, permissions (two), the
    # branch, the groups, the seven figure queries, the reports, the summary, the label,
    # and the session's save.
    with django_assert_num_queries(19):
        response = clerk_a_client.get(quarter_url(tree.village_a))
    assert response.content.decode().count("data-group=") == 3 * (n + 2)  # the tree's two too
    # The list: session, user, permissions (two), the picker, the count, the page of
    # groups with their reports, the labels, the year's exchanges (none, so nothing to
    # prefetch), and the session's save.
    with django_assert_num_queries(12):
        response = clerk_a_client.get(
            reverse("activities:grouprep_list"), {"year": 2026, "month": 8}
        )
    assert response.content.decode().count("data-group=") == n + 2
    # The county's summary: session, user, permissions (two), the node, the groups, the
    # reports and the summaries by child, the children (no breadcrumb above a county),
    # and the session's save.
    with django_assert_num_queries(12):
        response = county_client.get(
            reverse("activities:grouprep_summary", args=[tree.county.pk]), {"year": 2026}
        )
    assert f"{n // 2} / {8 * (n + 2)}" in response.content.decode()
