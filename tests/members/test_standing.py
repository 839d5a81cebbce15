"""流动党员, 失联党员 and 党籍 changes: dated spells, the rules' time limits, the pages."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from activities.models import ActivityKind
from activities.selectors import expected_attendees
from members.choices import PartyStatus, RosterStatus
from members.models import Inflow, Member, Spell
from members.services import member_update
from members.standing import (
    inflow_register,
    member_away,
    member_found,
    member_lost,
    member_restore,
    member_return,
    member_strike_off,
    member_suspend,
    spells_follow_flags,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today() -> datetime.date:
    return timezone.localdate()


def _ago(days: int) -> datetime.date:
    return _today() - days * DAY


def test_a_member_away_is_flagged_until_the_return(tree):
    member = MemberFactory(group=tree.group_a1)

    member_away(
        member=member,
        on=_ago(40),
        destination="广东省东莞市",
        employer="东莞某电子厂",
        contact="13800000000",
        mobile_org="东莞市长安镇流动党员党支部",
    )
    member.refresh_from_db()
    assert (member.is_mobile, member.mobile_destination) == (True, "广东省东莞市")

    member_return(member=member, on=_ago(2))
    member.refresh_from_db()
    spell = member.spells.get()
    assert (member.is_mobile, member.mobile_destination) == (False, "")
    assert (spell.started_on, spell.ended_on, spell.end_note) == (_ago(40), _ago(2), "返回")


def test_lost_suspended_and_restored_with_dates_and_decisions(tree):
    member = MemberFactory(group=tree.group_a1)
    member_lost(member=member, on=_ago(200), efforts="电话停机，家属称无联系")

    with pytest.raises(ValidationError, match="失联未满六个月"):
        member_suspend(member=member, on=_ago(100), decision_number="甲村支〔2026〕1号")
    member_suspend(member=member, on=_ago(10), decision_number="甲村支〔2026〕1号")
    with pytest.raises(ValidationError, match="须由支部作出恢复党籍的决定"):
        member_found(member=member, on=_today())
    member.refresh_from_db()
    assert member.party_status == PartyStatus.SUSPENDED  # the suspension stood

    member_restore(member=member, on=_today(), decision_number="甲村支〔2026〕5号")

    member.refresh_from_db()
    assert (member.party_status, member.lost_contact, member.lost_contact_on) == (
        PartyStatus.NORMAL,
        False,
        None,
    )
    lost, suspended = member.spells.order_by("started_on")
    assert (lost.kind, lost.started_on, lost.ended_on) == ("lost", _ago(200), _today())
    assert (suspended.started_on, suspended.decision_number) == (_ago(10), "甲村支〔2026〕1号")
    assert (suspended.ended_on, suspended.end_decision_number) == (_today(), "甲村支〔2026〕5号")


def test_struck_off_two_years_after_the_suspension(tree):
    member = MemberFactory(group=tree.group_a1)
    member_lost(member=member, on=_ago(1000), efforts="多方查找未果")
    member_suspend(member=member, on=_ago(790), decision_number="甲村支〔2024〕2号")

    with pytest.raises(ValidationError, match="停止党籍未满两年"):
        member_strike_off(member=member, on=_ago(100), decision_number="甲镇党委〔2026〕9号")
    member_strike_off(member=member, on=_today(), decision_number="甲镇党委〔2026〕9号")

    member.refresh_from_db()
    assert (member.roster_status, member.party_status, member.left_on) == (
        RosterStatus.LAPSED,
        PartyStatus.LAPSED,
        _today(),
    )
    assert "甲镇党委〔2026〕9号" in member.left_reason
    assert not member.spells.open().exists()


def test_refusals_say_what_is_missing_and_write_nothing(tree):
    member = MemberFactory(group=tree.group_a1)

    with pytest.raises(ValidationError, match="查找情况"):
        member_lost(member=member, on=_ago(1), efforts=" ")
    with pytest.raises(ValidationError, match="不是失联党员"):
        member_suspend(member=member, on=_today(), decision_number="1")
    with pytest.raises(ValidationError, match="晚于今天"):
        member_away(member=member, on=_today() + DAY, destination="外地")

    assert not Spell.objects.exists()


def test_a_suspended_member_is_not_expected_and_a_lost_one_is_counted(tree):
    suspended = MemberFactory(group=tree.group_a1, name="停止党籍的党员")
    lost = MemberFactory(group=tree.group_a1, name="失联的党员")
    away = MemberFactory(group=tree.group_a1, name="外出的党员")
    member_lost(member=suspended, on=_ago(300), efforts="查找未果")
    member_suspend(member=suspended, on=_ago(20), decision_number="1")
    member_lost(member=lost, on=_ago(30), efforts="查找未果")
    member_away(member=away, on=_ago(30), destination="浙江省杭州市")

    names = {
        m.name
        for m in expected_attendees(org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, on=_today())
    }

    # Expected: the member away (they may take part remotely); not the lost or suspended.
    assert "外出的党员" in names
    assert not {"停止党籍的党员", "失联的党员"} & names


def test_spells_follow_flags_set_without_them(tree):
    member = MemberFactory(group=tree.group_a1)
    member_update(member=member, is_mobile=True, mobile_destination="北京市朝阳区")
    member_update(member=member, lost_contact=True, lost_contact_on=_ago(50))

    assert spells_follow_flags(Member.objects.active(), on=_today()) == (2, 0)
    assert spells_follow_flags(Member.objects.active(), on=_today()) == (0, 0)
    member_update(member=member, is_mobile=False, mobile_destination="")
    assert spells_follow_flags(Member.objects.active(), on=_today()) == (0, 1)

    away, lost = member.spells.order_by("kind")
    assert (away.destination, away.ended_on) == ("北京市朝阳区", _today())
    assert (lost.started_on, lost.ended_on) == (_ago(50), None)


# --- pages --------------------------------------------------------------------------------


def _standing_url(member) -> str:
    return reverse("members:member_standing", args=[member.pk])


def test_the_clerk_records_steps_on_the_members_page(tree, clerk_a_client):
    member = MemberFactory(group=tree.group_a1, name="外出务工党员")
    url = _standing_url(member)

    page = clerk_a_client.get(url).content.decode()
    assert 'id="step-away"' in page and 'id="step-lost"' in page and "step-suspend" not in page

    response = clerk_a_client.post(
        url, {"step": "away", "on": _ago(3).isoformat(), "destination": "江苏省苏州市"}
    )
    assert response.status_code == 302
    page = clerk_a_client.get(url).content.decode()
    assert "已登记外出务工党员：外出" in page and "江苏省苏州市" in page
    assert 'id="step-return"' in page

    refused = clerk_a_client.post(url, {"step": "suspend", "on": _today().isoformat()})
    assert refused.status_code == 302
    assert "这一步不适用" in clerk_a_client.get(url).content.decode()
    assert member.spells.count() == 1


def test_others_are_refused(tree, county_client, clerk_b_client):
    member = MemberFactory(group=tree.group_a1)
    data = {"step": "away", "on": _today().isoformat(), "destination": "外地"}

    assert county_client.get(_standing_url(member)).status_code == 200
    assert county_client.post(_standing_url(member), data).status_code == 403
    assert clerk_b_client.get(_standing_url(member)).status_code == 404
    assert clerk_b_client.post(_standing_url(member), data).status_code == 404
    assert not Spell.objects.exists()


def test_the_worklist_names_what_the_rules_ask(tree, clerk_a_client):
    lost = MemberFactory(group=tree.group_a1, name="失联七个月")
    member_lost(member=lost, on=_ago(215), efforts="查找未果")
    suspended = MemberFactory(group=tree.group_a1, name="停止党籍两年多")
    member_lost(member=suspended, on=_ago(1000), efforts="查找未果")
    member_suspend(member=suspended, on=_ago(790), decision_number="1")
    for days in (215, 30):  # only the first has been away six months
        member_away(member=MemberFactory(group=tree.group_a1), on=_ago(days), destination="外地")

    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()

    assert "失联满六个月：失联七个月" in page
    assert "停止党籍满两年：停止党籍两年多" in page
    assert "外出满六个月的流动党员 1 名" in page


def test_the_register_lists_and_exports_members_away(tree, clerk_a_client, clerk_b_client):
    member = MemberFactory(group=tree.group_a1, name="在外党员")
    member_away(member=member, on=_ago(9), destination="上海市浦东新区", employer="某物流公司")
    url = reverse("members:standing_register")

    page = clerk_a_client.get(url).content.decode()
    sheet = clerk_a_client.get(url, {"format": "xlsx"})

    assert "在外党员" in page and "上海市浦东新区" in page
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "在外党员" not in clerk_b_client.get(url).content.decode()
    assert clerk_a_client.get(url, {"kind": "nonsense"}).status_code in (200, 400)


@pytest.mark.parametrize("count", [2, 20])
def test_the_register_runs_a_constant_number_of_queries(
    tree, clerk_a_client, count, django_assert_num_queries
):
    for _ in range(count):
        member_away(
            member=MemberFactory(group=tree.group_a1), on=_ago(5), destination="广东省深圳市"
        )
    # Session and user; the account's and its groups' permissions (the menu); the
    # page's count and rows; the session's save (savepoint, update, release).
    with django_assert_num_queries(9):
        response = clerk_a_client.get(reverse("members:standing_register"))
    assert response.content.decode().count("广东省深圳市") == count


# --- 流入党员 -------------------------------------------------------------------------


def test_a_member_of_another_place_is_registered_and_leaves(tree, clerk_a_client, clerk_b_client):
    url = reverse("members:inflow_add")
    response = clerk_a_client.post(
        url,
        {
            "name": "在甲村打工的党员",
            "origin_org": "中共某县某镇委员会",
            "origin_place": "四川省",
            "branch": tree.village_a.pk,
            "arrived_on": _ago(30).isoformat(),
        },
    )
    assert response.status_code == 302
    inflow = Inflow.objects.get()
    register = reverse("members:standing_register") + "?kind=inflow"
    assert "在甲村打工的党员" in clerk_a_client.get(register).content.decode()
    assert "在甲村打工的党员" not in clerk_b_client.get(register).content.decode()
    leave = reverse("members:inflow_leave", args=[inflow.pk])
    assert clerk_b_client.post(leave, {"on": _today().isoformat()}).status_code == 404

    clerk_a_client.post(leave, {"on": _today().isoformat()})

    inflow.refresh_from_db()
    assert inflow.left_on == _today()
    table = clerk_a_client.get(register).content.decode().split('id="register"')[1]
    assert "在甲村打工的党员" not in table


def test_a_member_on_the_roster_is_no_inflow(tree):
    member = MemberFactory(group=tree.group_a1)

    with pytest.raises(ValidationError, match="不是流入党员"):
        inflow_register(
            branch=tree.village_b,
            name=member.name,
            origin_org="外地",
            arrived_on=_today(),
            id_number=member.id_number,
        )
    assert not Inflow.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_the_inflow_register_runs_a_constant_number_of_queries(
    tree, clerk_a_client, count, django_assert_num_queries
):
    for index in range(count):
        inflow_register(
            branch=tree.village_a, name=f"流入{index}", origin_org="外省某党委", arrived_on=_ago(9)
        )
    # Session and user; the account's and its groups' permissions (the menu); the
    # page's count and rows; the session's save (savepoint, update, release).
    with django_assert_num_queries(9):
        response = clerk_a_client.get(reverse("members:standing_register"), {"kind": "inflow"})
    assert response.content.decode().count("外省某党委") == count
