"""组织关系转接: letters inside the county, out of it and into it, on both clerks' pages."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from members.choices import MembershipReason, RosterStatus
from members.models import Member, Transfer
from members.services import (
    letter_valid_until,
    member_transfer,
    transfer_arrive,
    transfer_close,
    transfer_issue,
    transfer_receive,
)
from tests.factories import MemberFactory
from tests.members.roster_helpers import id_number

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _today() -> datetime.date:
    return timezone.localdate()


def _within(member, to_org, user, *, on=None, number="甲-001") -> Transfer:
    return transfer_issue(
        member=member,
        kind=Transfer.Kind.WITHIN,
        to_org=to_org,
        letter_number=number,
        letter_date=on or _today(),
        user=user,
        dues_paid_until=datetime.date(2026, 10, 15),
    )


# --- services -----------------------------------------------------------------------------


def test_it_keeps_the_member_in_the_sending_branch_until_the_receipt(tree, clerk_a, clerk_b):
    member = MemberFactory(group=tree.group_a1)
    sent_on = _today() - 10 * DAY
    letter = _within(member, tree.township_b, clerk_a, on=sent_on)

    member.refresh_from_db()
    assert (member.branch, letter.state) == (tree.village_a, Transfer.State.ISSUED)
    assert letter.dues_paid_until == datetime.date(2026, 10, 1)  # kept as the month

    received_on = _today() - 3 * DAY
    transfer_receive(
        transfer=letter, on=received_on, user=clerk_b, branch=tree.village_b, group=tree.group_b1
    )

    member.refresh_from_db()
    letter.refresh_from_db()
    assert (member.branch, member.group) == (tree.village_b, tree.group_b1)
    assert (letter.state, letter.received_on, letter.to_branch) == (
        Transfer.State.RECEIVED,
        received_on,
        tree.village_b,
    )
    old, new = member.memberships.order_by("started_on", "pk")
    assert (old.branch, old.ended_on, old.end_reason) == (
        tree.village_a,
        received_on,
        MembershipReason.TRANSFER,
    )
    assert (new.branch, new.started_on, new.ended_on) == (tree.village_b, received_on, None)
    assert "甲-001" in new.note


def test_it_refuses_a_second_letter_while_one_is_open(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    _within(member, tree.township_b, clerk_a)

    with pytest.raises(ValidationError, match="未办结"):
        _within(member, tree.county, clerk_a, number="甲-002")


def test_it_refuses_the_members_own_branch_and_a_group(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)

    with pytest.raises(ValidationError) as own:
        _within(member, tree.village_a, clerk_a)
    with pytest.raises(ValidationError) as group:
        _within(member, tree.group_b1, clerk_a)

    assert "现在的党支部" in str(own.value)
    assert "请选择县内接收的党组织" in str(group.value)
    assert not Transfer.objects.exists()


def test_the_receiving_side_picks_a_branch_under_the_letters_organisation(tree, clerk_a, clerk_b):
    member = MemberFactory(group=tree.group_a1)
    letter = _within(member, tree.township_b, clerk_a)

    with pytest.raises(ValidationError, match="不在「乙镇党委」之下"):
        transfer_receive(transfer=letter, on=_today(), user=clerk_b, branch=tree.organ_a)
    with pytest.raises(ValidationError, match="党小组"):
        transfer_receive(
            transfer=letter, on=_today(), user=clerk_b, branch=tree.organ_b, group=tree.group_b1
        )

    member.refresh_from_db()
    letter.refresh_from_db()
    assert (member.branch, letter.state) == (tree.village_a, Transfer.State.ISSUED)


def test_a_member_in_transit_moves_only_by_the_receipt(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    _within(member, tree.township_b, clerk_a)

    with pytest.raises(ValidationError, match="正在转出"):
        member_transfer(member=member, branch=tree.organ_a, on=_today())


def test_a_letter_is_valid_for_the_configured_months(settings):
    assert letter_valid_until(datetime.date(2026, 11, 30)) == datetime.date(2027, 2, 28)
    settings.TRANSFER_LETTER_VALID_MONTHS = 1
    assert letter_valid_until(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 28)


def test_a_letter_expires_only_after_its_validity(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    issued = _today() - datetime.timedelta(days=120)
    letter = _within(member, tree.township_b, clerk_a, on=issued)

    with pytest.raises(ValidationError, match="尚未过期"):
        transfer_close(
            transfer=letter,
            state=Transfer.State.EXPIRED,
            on=letter.valid_until,
            reason="",
            user=clerk_a,
        )
    transfer_close(
        transfer=letter, state=Transfer.State.EXPIRED, on=_today(), reason="", user=clerk_a
    )

    letter.refresh_from_db()
    member.refresh_from_db()
    assert (letter.state, letter.closed_on) == (Transfer.State.EXPIRED, _today())
    assert member.branch == tree.village_a
    # The member may get a new letter.
    assert _within(member, tree.township_b, clerk_a, number="甲-003").state == "issued"


def test_a_returned_letter_needs_a_reason(tree, clerk_a, clerk_b):
    member = MemberFactory(group=tree.group_a1)
    letter = _within(member, tree.township_b, clerk_a)

    with pytest.raises(ValidationError, match="原因"):
        transfer_close(
            transfer=letter, state=Transfer.State.RETURNED, on=_today(), reason=" ", user=clerk_b
        )
    transfer_close(
        transfer=letter,
        state=Transfer.State.RETURNED,
        on=_today(),
        reason="本人未报到",
        user=clerk_b,
    )
    letter.refresh_from_db()
    assert (letter.state, letter.close_reason) == (Transfer.State.RETURNED, "本人未报到")


def test_a_member_leaves_the_roster_when_the_receipt_from_outside_comes_back(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    letter = transfer_issue(
        member=member,
        kind=Transfer.Kind.OUT,
        outside_org="中共某市某区某街道工作委员会",
        outside_place="浙江省杭州市",
        letter_number="甲-010",
        letter_date=_today() - 20 * DAY,
        user=clerk_a,
    )
    member.refresh_from_db()
    assert member.roster_status == RosterStatus.ACTIVE

    transfer_receive(transfer=letter, on=_today() - 2 * DAY, user=clerk_a)

    member.refresh_from_db()
    assert (member.roster_status, member.left_on) == (
        RosterStatus.TRANSFERRED_OUT,
        _today() - 2 * DAY,
    )
    assert "浙江省杭州市" in member.left_reason and "甲-010" in member.left_reason
    assert member.memberships.get().end_reason == MembershipReason.TRANSFER_OUT


def test_an_arrival_from_outside_puts_the_member_on_the_roster(tree, clerk_b):
    on = _today() - 5 * DAY
    letter = transfer_arrive(
        user=clerk_b,
        branch=tree.village_b,
        group=tree.group_b2,
        on=on,
        outside_org="中共某县某镇委员会",
        outside_place="河南省",
        letter_number="豫-088",
        letter_date=on - 30 * DAY,
        name="返乡党员",
        id_number=id_number(sequence=7),
        category="full",
        joined_on=datetime.date(2008, 7, 1),
        dues_paid_until=datetime.date(2026, 3, 1),
    )

    member = Member.objects.get(name="返乡党员")
    assert (letter.kind, letter.state, letter.member) == ("in", "received", member)
    # The letter's 党费已交到 is where the member's dues ledger starts here.
    assert member.dues_opening == member.dues_paid_until == datetime.date(2026, 3, 1)
    assert (member.branch, member.group) == (tree.village_b, tree.group_b2)
    row = member.memberships.get()
    assert (row.started_on, row.start_reason) == (on, MembershipReason.TRANSFER_IN)
    assert letter.origin == "河南省 中共某县某镇委员会"


def test_an_arrival_with_a_bad_id_number_writes_nothing(tree, clerk_b):
    with pytest.raises(ValidationError) as error:
        transfer_arrive(
            user=clerk_b,
            branch=tree.village_b,
            group=None,
            on=_today(),
            outside_org="外县党委",
            outside_place="",
            letter_number="X-1",
            letter_date=_today(),
            name="号码错误",
            id_number="110105194912310021",
        )
    assert "id_number" in error.value.error_dict
    assert not Member.objects.filter(name="号码错误").exists()
    assert not Transfer.objects.exists()


# --- pages --------------------------------------------------------------------------------


def _issue_url(member) -> str:
    return reverse("members:transfer_issue", args=[member.pk])


def test_both_clerks_see_a_transfer_inside_the_county(
    tree, clerk_a_client, clerk_b_client, county_client
):
    member = MemberFactory(group=tree.group_a1, name="转出的党员")
    MemberFactory(group=tree.group_a1, name="留在甲村的党员")
    response = clerk_a_client.post(
        _issue_url(member),
        {
            "kind": "within",
            "to_org": tree.township_b.pk,
            "letter_number": "甲组转〔2026〕1号",
            "letter_date": _today().isoformat(),
            "dues_paid_until": "2026-11",
        },
    )
    letter = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:transfer_detail", args=[letter.pk])

    # The receiving clerk: the letter on the worklist and the list, the receive
    # form, and nothing else of township A.
    worklist = clerk_b_client.get(reverse("activities:worklist")).content.decode()
    assert "待接收：转出的党员" in worklist
    listing = clerk_b_client.get(reverse("members:transfer_list")).content.decode()
    assert "转出的党员" in listing and "留在甲村的党员" not in listing
    detail = clerk_b_client.get(reverse("members:transfer_detail", args=[letter.pk]))
    assert 'id="receive"' in detail.content.decode()
    member_page = reverse("admin:members_member_change", args=[member.pk])
    assert clerk_b_client.get(member_page).status_code == 302  # the admin's "not found"
    # The sender: 转出中 on the worklist, no receive form.
    assert (
        "转出中：转出的党员" in clerk_a_client.get(reverse("activities:worklist")).content.decode()
    )
    sender_view = clerk_a_client.get(reverse("members:transfer_detail", args=[letter.pk]))
    assert 'id="receive"' not in sender_view.content.decode()

    response = clerk_b_client.post(
        reverse("members:transfer_receive", args=[letter.pk]),
        {"on": _today().isoformat(), "branch": tree.village_b.pk, "group": tree.group_b1.pk},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.branch == tree.village_b
    assert clerk_b_client.get(member_page).status_code == 200
    assert clerk_a_client.get(member_page).status_code == 302
    # Both still see the finished letter in this year's list.
    assert "转出的党员" in clerk_a_client.get(reverse("members:transfer_list")).content.decode()


def test_only_the_receiving_side_receives(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    letter = _within(member, tree.township_b, clerk_a)

    response = clerk_a_client.post(
        reverse("members:transfer_receive", args=[letter.pk]),
        {"on": _today().isoformat(), "branch": tree.village_b.pk},
    )

    assert response.status_code == 403
    letter.refresh_from_db()
    assert letter.state == Transfer.State.ISSUED


def test_another_townships_clerk_gets_not_found(tree, clerk_a, clerk_b_client):
    member = MemberFactory(group=tree.group_a1)
    letter = transfer_issue(
        member=member,
        kind=Transfer.Kind.OUT,
        outside_org="外县党委",
        letter_number="甲-020",
        letter_date=_today(),
        user=clerk_a,
    )
    for name in ("transfer_detail", "transfer_letter"):
        assert clerk_b_client.get(reverse(f"members:{name}", args=[letter.pk])).status_code == 404
    assert clerk_b_client.get(_issue_url(member)).status_code == 404


def test_the_form_says_what_is_wrong(tree, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)

    response = clerk_a_client.post(
        _issue_url(member),
        {"kind": "out", "letter_number": "甲-030", "letter_date": _today().isoformat()},
    )

    assert response.status_code == 200
    assert "转出县外须填写接收党组织名称" in response.content.decode()
    assert not Transfer.objects.exists()


def test_county_staff_read_but_do_not_issue(tree, county_client):
    member = MemberFactory(group=tree.group_a1)

    assert county_client.get(reverse("members:transfer_list")).status_code == 200
    response = county_client.post(
        _issue_url(member),
        {
            "kind": "within",
            "to_org": tree.township_b.pk,
            "letter_number": "1",
            "letter_date": _today().isoformat(),
        },
    )
    assert response.status_code == 403
    assert not Transfer.objects.exists()


def test_the_worklist_lists_letters_past_their_validity(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1, name="过期未转的党员")
    _within(member, tree.township_b, clerk_a, on=_today() - datetime.timedelta(days=100))

    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()

    assert "已过有效期：过期未转的党员" in page


def test_the_letter_prints_the_customary_parts(tree, clerk_a, clerk_a_client, secretary_a_client):
    member = MemberFactory(group=tree.group_a1, name="持信党员")
    letter = _within(member, tree.township_b, clerk_a)
    url = reverse("members:transfer_letter", args=[letter.pk])

    page = clerk_a_client.get(url).content.decode()
    masked = secretary_a_client.get(url).content.decode()

    for part in ("（存根）", "中国共产党党员组织关系介绍信", "回执", "甲-001", "乙镇党委"):
        assert part in page
    assert "党费已交到2026年10月" in page
    assert member.id_number in page
    assert member.id_number not in masked and member.id_number_masked in masked


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_runs_a_constant_number_of_queries(
    tree, clerk_a, clerk_b_client, count, django_assert_num_queries
):
    for index in range(count):
        member = MemberFactory(group=tree.group_a1)
        _within(member, tree.township_b, clerk_a, number=f"甲-{index}")
    # Session and user; the account's and its groups' permissions (the menu); the
    # open letters with their members and organisations; this year's finished
    # ones; the session's save (savepoint, update, release).
    with django_assert_num_queries(9):
        response = clerk_b_client.get(reverse("members:transfer_list"))
    assert response.content.decode().count("data-transfer=") == count
