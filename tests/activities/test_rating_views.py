"""The points and rating pages: statement, ranking, draft, publication; access and query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from activities import services
from activities.models import (
    ActivityKind,
    AttendanceStatus,
    EntryStatus,
    GroupRank,
    LastRankDecision,
    PointEntry,
    PointSource,
    Rating,
    RatingPublication,
)
from activities.points.services import point_entry_create
from activities.ratings import publishing
from activities.ratings.publishing import last_rank_decide
from activities.ratings.services import rating_draft_compute
from activities.tasks import compute_rating_draft
from branches.models import PostTitle
from branches.services import post_assign
from tests.factories import GroupFactory, MemberFactory
from tests.helpers import beijing, frozen, log_meeting

DAY = datetime.date(2026, 3, 10)


def url(name, *args, year=2026, **query):
    query = "&".join(f"{k}={v}" for k, v in {"year": year, **query}.items())
    return f"{reverse(name, args=args)}?{query}"


def sheet_rows(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return [tuple(c for c in row) for row in book.active.iter_rows(values_only=True)]


def populate(tree, clerk, groups: int, per_group: int = 2):
    made = [tree.group_a1, tree.group_a2]
    made += [GroupFactory(parent=tree.village_a) for _ in range(groups - 2)]
    members = []
    for group in made:
        members += [MemberFactory(group=group) for _ in range(per_group)]
        log_meeting(org=group, kind=ActivityKind.GROUP_MEETING, held_on=DAY, by=clerk)
    rating_draft_compute(node=tree.township_a, year=2026, today=datetime.date(2026, 4, 1))
    return members


def test_it_shows_a_members_statement_with_pending_entries_apart(tree, clerk, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    log_meeting(
        org=tree.group_a1,
        kind=ActivityKind.GROUP_MEETING,
        held_on=DAY,
        by=clerk,
        topic="学习新党章",
    )
    with frozen(beijing(2026, 4, 1)):
        point_entry_create(
            member=member,
            source=PointSource.VOLUNTEER,
            date=DAY,
            points=None,
            reason="防汛志愿服务",
            by=clerk,
        )
    response = clerk_a_client.get(url("activities:points_statement", member.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "学习新党章" in body and "防汛志愿服务" in body
    assert "另有 1 条手工积分待审批" in body
    assert response.context["score"].total == 61

    rows = sheet_rows(
        clerk_a_client.get(url("activities:points_statement", member.pk, format="xlsx"))
    )
    assert rows[0][0] == f"{member.name} 2026年度积分明细"
    assert ("总分", None, None, None, 61, "★") in [r[:6] for r in rows]


def test_it_hides_rankings_and_ratings_from_branch_secretaries(tree, secretary_a_client):
    for name in ("activities:group_ranking", "activities:rating_draft"):
        assert secretary_a_client.get(url(name, tree.village_a.pk)).status_code == 403


def test_it_answers_404_for_another_townships_node(tree, clerk_b_client):
    assert clerk_b_client.get(url("activities:rating_draft", tree.township_a.pk)).status_code == 404


@pytest.mark.parametrize("groups", [3, 12])
def test_it_ranks_groups_in_a_bounded_number_of_queries(
    tree, clerk, clerk_a_client, groups, django_assert_num_queries
):
    populate(tree, clerk, groups)
    # session + user (2), permissions (2), node (1), count and a page of ranking
    # rows with groups, scopes, leaders and decisions (2), the groups' ancestors
    # for their labels (1), the rating rule explained above the table (1), session
    # save (3)
    with django_assert_num_queries(12):
        response = clerk_a_client.get(url("activities:group_ranking", tree.township_a.pk))
    assert len(response.context["page"]) == groups


@pytest.mark.parametrize("groups", [3, 12])
def test_it_shows_the_draft_in_a_bounded_number_of_queries(
    tree, clerk, clerk_a_client, groups, django_assert_num_queries
):
    populate(tree, clerk, groups)
    # session + user (2), permissions (2), node (1), star counts and computed at,
    # last and undecided counts, last groups (3), the rule (1), page count and rows
    # (2), publication (1), session save (3). The groups all tie here, so no last
    # group needs its ancestors read for a label.
    with django_assert_num_queries(15):
        response = clerk_a_client.get(url("activities:rating_draft", tree.township_a.pk))
    assert response.context["total"] == groups * 2
    assert "重新计算草稿" in response.content.decode()


def test_it_recomputes_the_draft_on_request(tree, clerk, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    with frozen(beijing(2026, 4, 1)):
        response = clerk_a_client.post(url("activities:rating_compute", tree.township_a.pk))
    assert response.status_code == 302
    assert Rating.objects.get(member=member).total == 60
    assert (
        clerk_a_client.get(url("activities:rating_compute", tree.township_a.pk)).status_code == 405
    )


def test_it_queues_a_countys_draft_for_the_worker(tree, county_client):
    member = MemberFactory(group=tree.group_b1)
    response = county_client.post(url("activities:rating_compute", tree.county.pk), follow=True)
    assert "已在后台重新计算全县的评星草稿" in response.content.decode()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [tree.county.pk, 2026]
    assert not Rating.objects.exists()
    assert compute_rating_draft.call(tree.county.pk, 2026) == 1
    assert Rating.objects.get(member=member).total == 60


def test_it_exports_the_draft_with_its_caps_explained(tree, clerk, clerk_a_client):
    populate(tree, clerk, 3)
    rows = sheet_rows(
        clerk_a_client.get(url("activities:rating_draft", tree.township_a.pk, format="xlsx"))
    )
    assert rows[1][:3] == ("党支部", "党小组", "姓名")
    assert len(rows) == 2 + 6
    assert {r[7] for r in rows[2:]} == {61}


def test_it_publishes_and_then_lists_differences(tree, clerk, county_user, client):
    members = populate(tree, clerk, 3)
    # One more meeting for the first group: the other two still tie at the bottom.
    log_meeting(
        org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, held_on=DAY.replace(day=20), by=clerk
    )
    with frozen(beijing(2027, 1, 5)):
        client.force_login(county_user)
        rating_draft_compute(node=tree.county, year=2026)
        tie = GroupRank.objects.filter(tied=True, publication=None)
        last_rank_decide(
            unit=tree.township_a,
            year=2026,
            last_group_ids=[tie.first().group_id],
            reason="全年未开展主题党日",
            by=county_user,
        )
        page = client.get(url("activities:rating_publish", tree.county.pk))
        response = client.post(
            url("activities:rating_publish", tree.county.pk),
            {"confirmed": page.context["fingerprint"]},
        )
        assert response.status_code == 302
        publication = RatingPublication.objects.get()
        assert publication.member_count == 6
        activity = tree.group_a1.activities.get(held_on=DAY)
        services.activity_log(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=DAY,
            marks=[services.Mark(m.pk, AttendanceStatus.ABSENT) for m in members[:2]],
            recorded_by=clerk,
            activity=activity,
            topic="改",
        )
        rating_draft_compute(node=tree.county, year=2026)
        response = client.get(url("activities:rating_published", tree.township_a.pk))
    assert response.status_code == 200
    assert len(response.context["differences"]) == 2
    assert response.context["total"] == 6
    assert "与当前草稿的差异（2人）" in response.content.decode()


def test_it_lets_only_county_staff_publish(tree, clerk, clerk_a, client):
    populate(tree, clerk, 3)
    with frozen(beijing(2027, 1, 5)):
        client.force_login(clerk_a)
        response = client.post(url("activities:rating_publish", tree.township_a.pk))
    assert response.status_code == 403
    assert not RatingPublication.objects.exists()


def test_it_approves_manual_entries_in_bulk_from_the_admin(tree, clerk, clerk_a, client):
    members = [MemberFactory(group=tree.group_a1) for _ in range(3)]
    with frozen(beijing(2026, 4, 1)):
        for m in members:
            point_entry_create(
                member=m,
                source=PointSource.VOLUNTEER,  # manual still; 设岗定责 is derived from 2026
                date=DAY,
                points=None,
                reason="志愿服务：清理河道",
                by=clerk,
            )
    client.force_login(clerk_a)
    listing = client.get(reverse("admin:activities_pointentry_changelist") + "?status=pending")
    assert listing.status_code == 200
    assert "志愿服务：清理河道" in listing.content.decode()
    assert "批准所选的手工积分" in listing.content.decode()
    response = client.post(
        reverse("admin:activities_pointentry_changelist"),
        {
            "action": "approve",
            "_selected_action": list(PointEntry.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "已批准 3 条手工积分" in response.content.decode()
    assert set(PointEntry.objects.values_list("status", flat=True)) == {EntryStatus.APPROVED}


def test_it_adds_a_manual_entry_in_the_admin_with_clear_errors(tree, clerk_a, client):
    member = MemberFactory(group=tree.group_a1)
    client.force_login(clerk_a)
    add = reverse("admin:activities_pointentry_add")
    response = client.post(
        add,
        {"member": member.pk, "date": "2026-03-10", "source": PointSource.DISCIPLINE, "reason": ""},
    )
    assert "请填写事由" in response.content.decode()
    with frozen(beijing(2026, 4, 1)):
        response = client.post(
            add,
            {
                "member": member.pk,
                "date": "2026-03-10",
                "source": PointSource.DISCIPLINE,
                "reason": "违规",
            },
        )
    assert response.status_code == 302
    entry = PointEntry.objects.get()
    assert (entry.points, entry.status, entry.entered_by) == (-10, EntryStatus.PENDING, clerk_a)


def test_it_refuses_to_grade_a_probationary_member(tree, clerk_a, client):
    member = MemberFactory(group=tree.group_a1, category="probationary")
    client.force_login(clerk_a)
    response = client.post(
        reverse("admin:activities_appraisal_add"),
        {"member": member.pk, "year": 2026, "grade": "excellent"},
    )
    assert "预备党员：参加民主评议，但不评定等次" in response.content.decode()


def test_it_warns_when_more_than_a_third_are_rated_excellent(tree, clerk_a, client):
    members = [MemberFactory(group=tree.group_a1) for _ in range(3)]
    client.force_login(clerk_a)
    add = reverse("admin:activities_appraisal_add")
    first = client.post(
        add, {"member": members[0].pk, "year": 2026, "grade": "qualified"}, follow=True
    )
    assert "三分之一" not in first.content.decode()
    client.post(add, {"member": members[1].pk, "year": 2026, "grade": "qualified"})
    third = client.post(
        add, {"member": members[2].pk, "year": 2026, "grade": "excellent"}, follow=True
    )
    assert "三分之一" not in third.content.decode()  # 1 of 3 is the limit, not over it
    fourth_member = MemberFactory(group=tree.group_a2)
    fourth = client.post(
        add, {"member": fourth_member.pk, "year": 2026, "grade": "excellent"}, follow=True
    )
    assert "评为优秀的已有 2 人，占已评定 4 人的三分之一以上" in fourth.content.decode()


# --- publishing through the confirmation page, withdrawing, deciding ties -----------------


def three_groups_2025(tree, clerk, extra_groups: int = 0):
    """2025: the first group met every month, the second twice, the others never (tied)."""
    groups = [
        tree.group_a1,
        tree.group_a2,
        GroupFactory(parent=tree.village_a, name="甲村第三党小组"),
    ]
    groups += [GroupFactory(parent=tree.village_a) for _ in range(extra_groups)]
    for group in groups:
        MemberFactory(group=group)
    for group, months in ((groups[0], range(1, 13)), (groups[1], (3, 9))):
        for month in months:
            log_meeting(
                org=group,
                kind=ActivityKind.GROUP_MEETING,
                held_on=datetime.date(2025, month, 12),
                by=clerk,
            )
    return groups


def test_it_shows_what_publishing_would_freeze_and_explains_the_rule(tree, clerk, county_client):
    groups = three_groups_2025(tree, clerk)
    leader = MemberFactory(group=groups[2], name="陈德明")
    post_assign(
        org=groups[2],
        member=leader,
        title=PostTitle.GROUP_LEADER,
        started_on=datetime.date(2024, 1, 1),
    )
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.county, year=2025)
        response = county_client.get(url("activities:rating_publish", tree.county.pk, year=2025))
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["refusals"] == []
    assert "共 <strong>4</strong> 名党员" in body and "末位党小组 <strong>1</strong> 个" in body
    assert "陈德明" in body  # the leader of the last group, named
    # The weights of the rule in force on 1 January 2025, its scope and its source.
    assert "组织生活完成率（%）× 0.5 + 党员平均积分 × 0.5" in body
    assert "在本支部内排名" in body and "最高评为★★★★" in body
    assert "2000年1月1日起施行，至2025年12月31日" in body
    assert 'name="confirmed"' in body


def test_it_refuses_on_the_confirmation_page_a_year_under_way_or_empty(tree, clerk, county_client):
    three_groups_2025(tree, clerk)
    with frozen(beijing(2026, 1, 8)):
        under_way = county_client.get(url("activities:rating_publish", tree.county.pk, year=2026))
        empty = county_client.get(url("activities:rating_publish", tree.county.pk, year=2024))
    assert "2026年度尚未结束" in under_way.content.decode()
    assert "没有登记任何组织生活" in empty.content.decode()
    for response in (under_way, empty):
        assert response.context["fingerprint"] == ""
        assert 'name="confirmed"' not in response.content.decode()


def test_it_points_from_the_confirmation_page_to_the_undecided_tie(
    tree, clerk, county_client, clerk_a_client
):
    groups = three_groups_2025(tree, clerk, extra_groups=1)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.county, year=2025)
        page = county_client.get(url("activities:rating_publish", tree.county.pk, year=2025))
        assert "并列末位" in page.context["refusals"][-1]
        assert url("activities:rating_ties", tree.county.pk, year=2025) in page.content.decode()

        ties = clerk_a_client.get(url("activities:rating_ties", tree.township_a.pk, year=2025))
        assert [r.group for r in ties.context["ties"][0].ranks] == groups[2:]
        decide = url("activities:rating_tie_decide", tree.village_a.pk, year=2025)
        response = clerk_a_client.post(
            decide, {"last": [groups[3].pk], "reason": "第四党小组全年未开会"}, follow=True
        )
    assert "已记录决定" in response.content.decode()
    decision = LastRankDecision.objects.get()
    assert (decision.last_group_ids, decision.reason) == ([groups[3].pk], "第四党小组全年未开会")
    assert "第四党小组全年未开会" in response.content.decode()  # in the decisions' record


def test_it_answers_a_decision_without_a_reason_with_a_message(tree, clerk, clerk_a_client):
    groups = three_groups_2025(tree, clerk, extra_groups=1)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.township_a, year=2025)
        response = clerk_a_client.post(
            url("activities:rating_tie_decide", tree.village_a.pk, year=2025),
            {"last": [groups[2].pk], "reason": ""},
            follow=True,
        )
    assert "请填写决定理由" in response.content.decode()
    assert not LastRankDecision.objects.exists()


def test_it_refuses_a_decision_to_the_branch_secretary(tree, clerk, secretary_a_client):
    three_groups_2025(tree, clerk, extra_groups=1)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.township_a, year=2025)
        response = secretary_a_client.post(
            url("activities:rating_tie_decide", tree.village_a.pk, year=2025),
            {"last": [], "reason": "理由"},
        )
    assert response.status_code == 403
    assert not LastRankDecision.objects.exists()


def test_it_publishes_only_what_was_confirmed(tree, clerk, county_client):
    three_groups_2025(tree, clerk)
    publish = url("activities:rating_publish", tree.county.pk, year=2025)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.county, year=2025)
        unconfirmed = county_client.post(publish, follow=True)
        assert "请先在本页核对" in unconfirmed.content.decode()
        stale = county_client.post(publish, {"confirmed": "0" * 32}, follow=True)
        assert "与确认页所示不同" in stale.content.decode()
        assert not RatingPublication.objects.exists()
        shown = county_client.get(publish).context["fingerprint"]
        done = county_client.post(publish, {"confirmed": shown}, follow=True)
    assert "已发布2025年度评星定级，共 3 名党员" in done.content.decode()
    assert RatingPublication.objects.get().org == tree.county


def test_it_withdraws_from_the_published_page_within_the_period(tree, clerk, county_user, client):
    three_groups_2025(tree, clerk)
    client.force_login(county_user)
    with frozen(beijing(2026, 1, 8)):
        publication = publishing.rating_publish(node=tree.county, year=2025, by=county_user)
        page = client.get(url("activities:rating_published", tree.county.pk, year=2025))
        assert "2026-02-07 10:00 前" in page.content.decode()
        response = client.post(
            url("activities:rating_withdraw", tree.county.pk, year=2025),
            {"reason": "乙镇积分未审核"},
            follow=True,
        )
        unpublished = client.get(url("activities:rating_published", tree.county.pk, year=2025))
    body = response.content.decode()
    assert "已撤回2025年度评星定级的发布" in body and "评星定级草稿" in body
    publication.refresh_from_db()
    assert publication.withdraw_reason == "乙镇积分未审核"
    assert "尚未发布" in unpublished.content.decode()
    assert "乙镇积分未审核" in unpublished.content.decode()  # the withdrawal on record


def test_it_shows_a_final_publication_after_the_period(tree, clerk, county_user, client):
    three_groups_2025(tree, clerk)
    client.force_login(county_user)
    with frozen(beijing(2026, 1, 8)):
        publishing.rating_publish(node=tree.county, year=2025, by=county_user)
    with frozen(beijing(2026, 3, 1)):
        page = client.get(url("activities:rating_published", tree.county.pk, year=2025))
        response = client.post(
            url("activities:rating_withdraw", tree.county.pk, year=2025),
            {"reason": "晚了"},
            follow=True,
        )
    assert "结果为最终结果，不能撤回" in page.content.decode()
    assert 'name="reason"' not in page.content.decode()
    assert "撤回期限（30 天" in response.content.decode()
    assert RatingPublication.objects.in_force().exists()


@pytest.mark.parametrize("extra_groups", [0, 18])
def test_it_shows_the_confirmation_in_a_fixed_number_of_queries(
    tree, clerk, county_client, extra_groups, django_assert_num_queries
):
    groups = three_groups_2025(tree, clerk, extra_groups=extra_groups)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.county, year=2025)
        if extra_groups:
            last_rank_decide(
                unit=tree.village_a,
                year=2025,
                last_group_ids=[g.pk for g in groups[2:5]],
                reason="三个党小组全年未开会",
                by=clerk,
            )
        # session + user (2), permissions (2), node (1); summary: star counts and
        # computed at, last and undecided counts, last groups, the rule (4), the last
        # groups' ancestors for their labels (1); refusals: meetings logged,
        # publications (2); the fingerprint: star counts, flagged groups (2); session
        # save (3)
        with django_assert_num_queries(17):
            response = county_client.get(
                url("activities:rating_publish", tree.county.pk, year=2025)
            )
    assert response.context["refusals"] == []
    assert response.context["flagged_count"] == (3 if extra_groups else 1)


@pytest.mark.parametrize("extra_groups", [1, 18])
def test_it_lists_ties_in_a_fixed_number_of_queries(
    tree, clerk, clerk_a_client, extra_groups, django_assert_num_queries
):
    groups = three_groups_2025(tree, clerk, extra_groups=extra_groups)
    with frozen(beijing(2026, 1, 8)):
        rating_draft_compute(node=tree.township_a, year=2025)
        last_rank_decide(
            unit=tree.village_a,
            year=2025,
            last_group_ids=[groups[2].pk],
            reason="初定",
            by=clerk,
        )
        # session + user (2), permissions (2), node (1), publication (1), tied rows
        # with groups, scopes, leaders and decisions (1), their ancestors for labels
        # (1), the decisions of the year (1), the names of groups decisions chose (1),
        # the rule (1), session save (3)
        with django_assert_num_queries(14):
            response = clerk_a_client.get(
                url("activities:rating_ties", tree.township_a.pk, year=2025)
            )
    [tie] = response.context["ties"]
    assert len(tie.ranks) == 1 + extra_groups
    assert tie.decision is not None
