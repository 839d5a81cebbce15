"""公开承诺: the services and their refusals, the derived 兑现公开承诺 points, the scoped list
(filters, export, print), the phone form, a pledge's steps, the yearly summary with
exact figures and its query counts, and the 数据摘要's sentence."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.pledges import services
from activities.ledgers.pledges.selectors import pledge_summary
from activities.models import EntryStatus, Fulfilment, Pledge, PointEntry, PointRule, PointSource
from activities.points.ledgers import pledge_points_refresh
from activities.points.services import points_recompute
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 15)
LIST = "activities:pledge_list"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


MADE, DUE, KEPT = D(2026, 3, 1), D(2026, 8, 31), D(2026, 8, 20)


def pledge_of(member, by, *, org=None, text="为村里修一段路", made=MADE, due=DUE):
    return services.pledge_create(
        org=org or member.branch,
        member=member,
        made_on=made,
        category="public",
        text=text,
        due_on=due,
        by=by,
    )


def fulfil(pledge, by, *, on=KEPT, how=Fulfilment.DONE):
    return services.pledge_fulfil(
        pledge=pledge, fulfilment=how, fulfilled_on=on, evidence="路已修好", by=by
    )


def pledge_points(member) -> list[tuple]:
    return list(
        PointEntry.objects.filter(member=member, source=PointSource.PLEDGE)
        .order_by("date", "pk")
        .values_list("year", "date", "points", "org_id", "status", "reason")
    )


# --- Services ----------------------------------------------------------------------------


def test_a_members_pledge_is_kept_in_their_group_and_an_organisations_in_itself(tree, clerk_a):
    grouped = MemberFactory(group=tree.group_a1)
    pledge = pledge_of(grouped, clerk_a)
    assert (pledge.org, pledge.year, pledge.fulfilment) == (tree.group_a1, 2026, "pending")
    own = services.pledge_create(
        org=tree.village_a,
        member=None,
        made_on=D(2026, 3, 1),
        category="environment",
        text="整治村内河道",
        due_on=D(2026, 10, 1),
        by=clerk_a,
    )
    assert own.org == tree.village_a and own.member is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"made_on": D(2026, 9, 16)}, "made_on"),  # tomorrow
        ({"due_on": D(2026, 2, 1)}, "due_on"),  # before it was made
        ({"org": "organ"}, "member"),  # not a member of that branch
    ],
)
def test_it_refuses_a_pledge_that_cannot_be(tree, clerk_a, change, field):
    member = MemberFactory(group=tree.group_a1)
    data = {
        "org": tree.village_a,
        "member": member,
        "made_on": D(2026, 3, 1),
        "category": "public",
        "text": "修路",
        "due_on": D(2026, 8, 31),
        "by": clerk_a,
    }
    data.update(change)
    if data["org"] == "organ":
        data["org"] = tree.organ_a
    with pytest.raises(ValidationError) as refused:
        services.pledge_create(**data)
    assert field in refused.value.message_dict
    assert not Pledge.objects.exists()


def test_the_comment_assessment_and_fulfilment_are_checked(tree, clerk_a):
    pledge = pledge_of(MemberFactory(group=tree.group_a1), clerk_a)
    with pytest.raises(ValidationError, match="不能早于公开承诺日期"):
        services.pledge_comment(
            pledge=pledge, comment_by="王书记", comment_on=D(2026, 2, 1), comment="好", by=clerk_a
        )
    with pytest.raises(ValidationError, match="参加评议的人数"):
        services.pledge_assess(
            pledge=pledge,
            assessed_on=D(2026, 9, 1),
            satisfied=0,
            fairly_satisfied=0,
            dissatisfied=0,
            by=clerk_a,
        )
    with pytest.raises(ValidationError, match="请说明兑现情况"):
        services.pledge_fulfil(
            pledge=pledge, fulfilment="done", fulfilled_on=D(2026, 9, 1), evidence=" ", by=clerk_a
        )
    with pytest.raises(ValidationError, match="不能晚于今天"):
        fulfil(pledge, clerk_a, on=D(2026, 9, 16))
    pledge.refresh_from_db()
    assert (pledge.comment_on, pledge.assessed_on, pledge.fulfilment) == (None, None, "pending")
    assert pledge_points(pledge.member) == []


# --- Derived points ------------------------------------------------------------------------


def test_a_fulfilled_pledge_earns_the_rule_once_and_recomputing_changes_nothing(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    first = pledge_of(member, clerk_a, text="修路")
    second = pledge_of(member, clerk_a, text="办夜校")
    fulfil(first, clerk_a, on=D(2026, 8, 20))
    fulfil(second, clerk_a, on=D(2026, 9, 1), how=Fulfilment.PARTLY)
    expected = [(2026, D(2026, 8, 20), 2, tree.group_a1.pk, EntryStatus.AUTO, "兑现公开承诺：修路")]
    assert pledge_points(member) == expected
    assert points_recompute(year=2026) >= 1
    assert pledge_points(member) == expected
    assert pledge_points_refresh(year=2026) == 1
    assert pledge_points(member) == expected
    # Set back to 部分兑现, the pledge's points go; fulfilled again, they return once.
    fulfil(first, clerk_a, on=D(2026, 8, 21), how=Fulfilment.PARTLY)
    assert pledge_points(member) == []
    fulfil(first, clerk_a, on=D(2026, 8, 22))
    assert [row[1] for row in pledge_points(member)] == [D(2026, 8, 22)]


def test_the_statement_counts_the_pledge_points_within_the_yearly_cap(
    tree, clerk_a, clerk_a_client
):
    member = MemberFactory(group=tree.group_a1)
    for n in range(3):
        fulfil(pledge_of(member, clerk_a, text=f"承诺{n}"), clerk_a)
    page = clerk_a_client.get(
        reverse("activities:points_statement", args=[member.pk]), {"year": 2026}
    ).content.decode()
    assert page.count("兑现公开承诺：承诺") == 3
    # 3 × 2 points, capped at 4 by the rule of 2026, entered by no one.
    assert '<td>兑现公开承诺</td><td class="num">6.0</td><td class="num">4.0</td>' in page
    assert "<strong>64.0</strong><span>总分</span>" in page
    assert page.count("按台账自动计入") == 3


def test_no_points_before_the_rule_starts_and_none_for_an_organisations_pledge(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    old = pledge_of(member, clerk_a, made=D(2025, 3, 1), due=D(2025, 8, 31))
    fulfil(old, clerk_a, on=D(2025, 8, 1))
    own = services.pledge_create(
        org=tree.village_a,
        member=None,
        made_on=D(2026, 3, 1),
        category="environment",
        text="整治河道",
        due_on=D(2026, 10, 1),
        by=clerk_a,
    )
    fulfil(own, clerk_a)
    assert PointRule.objects.get(source=PointSource.PLEDGE).valid_from == D(2026, 1, 1)
    assert not PointEntry.objects.filter(source=PointSource.PLEDGE).exists()


# --- Pages ---------------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_marks_overdue(tree, clerk_a, clerk_a_client, clerk_b):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    late = pledge_of(member, clerk_a, text="逾期的承诺", due=D(2026, 9, 1))
    kept = fulfil(pledge_of(member, clerk_a, text="兑现的承诺"), clerk_a)
    other = pledge_of(MemberFactory(branch=tree.village_b), clerk_b, text="乙村的承诺")
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "逾期的承诺" in page and "兑现的承诺" in page and "乙村的承诺" not in page
    assert page.count("逾期未兑现</strong>") == 1
    overdue = clerk_a_client.get(reverse(LIST), {"state": "overdue"}).content.decode()
    assert f'data-pledge="{late.pk}"' in overdue and f'data-pledge="{kept.pk}"' not in overdue
    done = clerk_a_client.get(reverse(LIST), {"state": "done"}).content.decode()
    assert f'data-pledge="{kept.pk}"' in done and f'data-pledge="{late.pk}"' not in done
    # Another township's pledge, and another township as the filter, do not exist.
    detail = reverse("activities:pledge_detail", args=[other.pk])
    assert clerk_a_client.get(detail).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404


def test_the_export_holds_the_list_rows(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    pledge = pledge_of(member, clerk_a)
    services.pledge_assess(
        pledge=pledge,
        assessed_on=D(2026, 9, 1),
        satisfied=30,
        fairly_satisfied=5,
        dissatisfied=1,
        by=clerk_a,
    )
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx", "state": "overdue"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年党员公开承诺践诺台账"
    assert rows[1][:4] == ("党组织", "承诺人", "类别", "承诺事项")
    line = rows[2]
    assert line[0] == "甲镇党委/甲村党支部/甲村第一党小组" and line[1] == "张爱民"
    assert line[10:14] == (30, 5, 1, "未兑现（逾期）")
    assert len(rows) == 3


def test_the_printed_list_is_the_paper_ledger(tree, clerk_a, clerk_a_client):
    pledge_of(MemberFactory(group=tree.group_a1), clerk_a)
    page = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年党员公开承诺践诺台账</h1>" in page
    assert 'class="print-only signature">党支部书记（签字）' in page


def test_the_form_picks_a_branch_then_records_the_pledge(tree, clerk_a_client):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    MemberFactory(branch=tree.village_b, name="乙村党员")
    add = reverse("activities:pledge_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker and keyboard.
    assert 'class="activity-form"' in form and 'type="date"' in form
    assert "张爱民" in form and "乙村党员" not in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    data = {
        "member": member.pk,
        "made_on": "2026-03-01",
        "category": "policy",
        "text": "每月宣讲一次惠农政策",
        "due_on": "2026-12-31",
    }
    refused = clerk_a_client.post(f"{add}?branch={tree.village_a.pk}", {**data, "due_on": ""})
    assert refused.status_code == 400 and not Pledge.objects.exists()
    response = clerk_a_client.post(f"{add}?branch={tree.village_a.pk}", data)
    pledge = Pledge.objects.get()
    assert response.url == reverse("activities:pledge_detail", args=[pledge.pk])
    assert (pledge.member, pledge.org, pledge.category) == (member, tree.group_a1, "policy")


def test_the_pledge_page_records_each_step_and_refuses_bad_input(
    tree, clerk_a, clerk_a_client, secretary_a_client
):
    member = MemberFactory(group=tree.group_a1)
    pledge = pledge_of(member, clerk_a)
    url = reverse("activities:pledge_detail", args=[pledge.pk])
    steps = {
        "comment": {"comment_by": "镇党委书记 王建国", "comment_on": "2026-04-01", "comment": "好"},
        "assess": {
            "assessed_on": "2026-09-01",
            "satisfied": "30",
            "fairly_satisfied": "4",
            "dissatisfied": "1",
        },
        "fulfil": {"fulfilment": "done", "fulfilled_on": "2026-08-20", "evidence": "已修好"},
    }
    bad = clerk_a_client.post(url, {"step": "assess", **steps["assess"], "satisfied": "-1"})
    assert bad.status_code == 400 and 'id="step-assess" open' in bad.content.decode()
    assert clerk_a_client.post(url, {"step": "nonsense"}).status_code == 400
    assert secretary_a_client.post(url, {"step": "comment", **steps["comment"]}).status_code == 403
    pledge.refresh_from_db()
    assert (pledge.comment_on, pledge.assessed_on) == (None, None)
    for step, data in steps.items():
        assert clerk_a_client.post(url, {"step": step, **data}).status_code == 302
    page = clerk_a_client.get(url).content.decode()
    assert "好（镇党委书记 王建国，2026-04-01）" in page
    assert "满意30人，基本满意4人，不满意1人" in page and "已兑现（2026-08-20）：已修好" in page
    assert len(pledge_points(member)) == 1


# --- The yearly summary ------------------------------------------------------------------------


def test_the_township_summary_gives_exact_figures_by_branch(tree, clerk_a):
    a1, a2 = MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a2)
    organ = MemberFactory(branch=tree.organ_a)
    on_time = fulfil(pledge_of(a1, clerk_a, text="按时"), clerk_a, on=D(2026, 8, 1))
    fulfil(pledge_of(a1, clerk_a, text="晚了", due=D(2026, 6, 30)), clerk_a, on=D(2026, 7, 5))
    fulfil(pledge_of(a2, clerk_a, text="部分"), clerk_a, how=Fulfilment.PARTLY)
    pledge_of(a2, clerk_a, text="逾期", due=D(2026, 9, 1))
    pledge_of(organ, clerk_a, text="未到期", due=D(2026, 12, 31))
    pledge_of(a1, clerk_a, text="去年", made=D(2025, 3, 1), due=D(2025, 6, 1))
    services.pledge_assess(
        pledge=on_time,
        assessed_on=D(2026, 9, 1),
        satisfied=8,
        fairly_satisfied=1,
        dissatisfied=1,
        by=clerk_a,
    )
    summary = pledge_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    village, organ_row = summary.rows
    assert village.org == tree.village_a and organ_row.org == tree.organ_a
    figures = ("made", "members", "done", "on_time", "partly", "overdue", "satisfaction")

    def of(row):
        return tuple(row.values[k] for k in figures)

    assert of(village) == (4, 2, 2, 1, 1, 1, 90)
    assert of(organ_row) == (1, 1, 0, 0, 0, 0, None)
    assert of(summary.total) == (5, 3, 2, 1, 1, 1, 90)
    # Under the branch the rows are its groups.
    branch = pledge_summary(node=tree.village_a, year=2026, today=D(2026, 9, 15))
    assert [of(r)[:3] for r in branch.rows] == [(2, 1, 2), (2, 1, 0)]


@pytest.mark.parametrize("n", [2, 20])
def test_the_summary_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        pledge_of(MemberFactory(group=GroupFactory(parent=branch)), clerk_a)
    url = reverse("activities:pledge_summary", args=[tree.county.pk])
    # Session, user, permissions (two), the node, the sums by child, the children,
    # the breadcrumb, and the session's save (savepoint, update, release).
    with django_assert_max_num_queries(11):
        response = county_client.get(url, {"year": 2026})
    assert f">{n}</td>" in response.content.decode()
    township = reverse("activities:pledge_summary", args=[tree.township_a.pk])
    with django_assert_max_num_queries(11):
        response = county_client.get(township, {"year": 2026})
    assert response.content.decode().count("pledge_list") == 0
    assert response.content.decode().count("ledgers/pledges/summary/") >= n


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        pledge_of(MemberFactory(group=GroupFactory(parent=branch)), clerk_a)
    # Session, user, permissions (two), the picker's nodes, the count and the page of
    # pledges with their organisations and members, the labels, and the session's save.
    with django_assert_max_num_queries(11):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-pledge=") == n


def test_the_data_summary_names_the_pledges(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    kept = fulfil(pledge_of(member, clerk_a), clerk_a)
    pledge_of(member, clerk_a, text="第二件")
    services.pledge_assess(
        pledge=kept,
        assessed_on=D(2026, 9, 1),
        satisfied=3,
        fairly_satisfied=0,
        dissatisfied=1,
        by=clerk_a,
    )
    url = reverse("reports:summary", args=[tree.township_a.pk])
    page = clerk_a_client.get(url, {"on": "2026-09-15"}).content.decode()
    assert "2026年全镇党员、党组织公开承诺事项2件，已兑现1件，群众满意率75.0%。" in page
    empty = clerk_a_client.get(url, {"on": "2025-09-15"}).content.decode()
    assert "公开承诺事项" not in empty


def test_the_data_summary_names_each_ledger_with_records(tree, clerk_a, clerk_a_client):
    """One sentence for the working ledgers, a clause for each that has the year's records."""
    from activities.ledgers.duty import services as duty
    from activities.ledgers.pairs import services as pairs

    on_post, helper = MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a2)
    post = duty.duty_post_create(
        org=tree.village_a,
        name="环境卫生监督岗",
        duty="每周巡查村容",
        set_up_on=D(2026, 2, 1),
        by=clerk_a,
    )
    duty.duty_assign(post=post, member=on_post, started_on=D(2026, 3, 1), by=clerk_a)
    pairing = pairs.pairing_create(
        org=tree.village_a,
        member=helper,
        helper_unit="",
        partner_kind="household",
        partner_name="王秀英",
        address="甲村三组12号",
        difficulty="illness",
        started_on=D(2026, 3, 1),
        by=clerk_a,
    )
    for day in (D(2026, 4, 1), D(2026, 6, 1)):
        pairs.visit_record(
            pairing=pairing,
            visited_on=day,
            kind="call",
            help_given="送米油",
            value_note="",
            by=clerk_a,
        )
    from activities.ledgers.study.services import study_session_record

    for day, hours in ((D(2026, 3, 6), Decimal("2.5")), (D(2026, 5, 8), Decimal("2"))):
        study_session_record(
            org=tree.village_a,
            date=day,
            topic="学习党章",
            form="class",
            hours=hours,
            members=[on_post, helper],
            by=clerk_a,
        )
    url = reverse("reports:summary", args=[tree.township_a.pk])
    page = clerk_a_client.get(url, {"on": "2026-09-15"}).content.decode()
    assert (
        "2026年全镇设岗定责1个岗位，1名无职党员上岗；结对帮扶1对，走访2次；"
        "开展党员学习教育2次、共4.5学时。"
    ) in page
    assert "公开承诺事项" not in page  # no pledge this year: no clause


@pytest.mark.parametrize("n", [2, 20])
def test_the_pledge_page_reads_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_max_num_queries
):
    member = MemberFactory(group=tree.group_a1)
    pledges = [pledge_of(member, clerk_a, text=f"承诺{i}") for i in range(n)]
    # Session, user, permissions (two), the pledge with its organisation, member and
    # recorder, the label, and the session's save (savepoint, update, release): the
    # member's other pledges are not read: nine for 2 pledges as for 20.
    with django_assert_max_num_queries(9):
        response = clerk_a_client.get(reverse("activities:pledge_detail", args=[pledges[0].pk]))
    assert response.status_code == 200
