import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from members.choices import MembershipReason, PartyStatus, RosterStatus, Sex
from members.models import Member, Membership
from members.selectors import members_of_org_on
from members.services import member_create, member_leave, member_transfer
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"  # born 1949-12-31, female
LEGACY = "110105491231002"  # the same person's 15-digit number
BAD_CHECK = "110105194912310021"
BIRTH = datetime.date(1949, 12, 31)
JOINED = datetime.date(2020, 1, 1)
TRANSFER_DAY = datetime.date(2024, 3, 15)
DAY = datetime.timedelta(days=1)


def _create(branch, *, id_number=NUMBER, **fields):
    values = {"name": "王芳", "sex": Sex.FEMALE, "birth_date": BIRTH, "started_on": JOINED}
    values.update(fields)
    return member_create(id_number=id_number, branch=branch, **values)


def test_it_creates_a_member_with_an_open_membership_row(tree):
    member = _create(tree.village_a, group=tree.group_a1)

    row = member.memberships.get()
    assert (row.branch, row.group) == (tree.village_a, tree.group_a1)
    assert row.started_on == JOINED
    assert row.ended_on is None
    assert row.start_reason == MembershipReason.JOINED
    assert member.roster_status == RosterStatus.ACTIVE


def test_it_stores_the_id_number_normalised(tree):
    member = _create(tree.village_a, id_number="１１０１０５１９４９１２３１００２ｘ")

    member.refresh_from_db()
    assert member.id_number == NUMBER


def test_it_refuses_a_birth_date_contradicting_the_id_number(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.village_a, birth_date=datetime.date(1950, 1, 1))

    assert "1949-12-31" in exc.value.message_dict["birth_date"][0]
    assert not Member.objects.exists()
    assert not Membership.objects.exists()


def test_it_refuses_a_sex_contradicting_the_id_number(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.village_a, sex=Sex.MALE)

    assert "偶数为女" in exc.value.message_dict["sex"][0]
    assert not Member.objects.exists()


def test_it_refuses_a_group_of_another_branch(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.village_a, group=tree.group_b1)

    message = exc.value.message_dict["group"][0]
    assert tree.group_b1.name in message
    assert tree.village_a.name in message
    assert not Member.objects.exists()


def test_it_refuses_a_member_in_a_node_that_is_not_a_branch(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.township_a)

    assert any("不是党支部" in m for m in exc.value.message_dict["branch"])


def test_it_refuses_a_bad_check_character_without_override(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.village_a, id_number=BAD_CHECK)

    assert "校验" in exc.value.message_dict["id_number"][0]
    assert not Member.objects.exists()


def test_it_refuses_an_override_without_a_reason(tree):
    with pytest.raises(ValidationError) as exc:
        _create(tree.village_a, id_number=BAD_CHECK, id_check_override=True)

    assert "原因" in exc.value.message_dict["id_check_override_reason"][0]
    assert not Member.objects.exists()


def test_it_accepts_a_bad_check_character_with_an_override_and_a_reason(tree):
    member = _create(
        tree.village_a,
        id_number=BAD_CHECK,
        id_check_override=True,
        id_check_override_reason="公安户籍系统核实，证件号码如此",
    )

    member.refresh_from_db()
    assert member.id_number == BAD_CHECK
    assert member.id_check_override is True


def test_it_refuses_a_second_active_member_with_the_same_id_number(tree):
    _create(tree.village_a)

    with pytest.raises(ValidationError) as exc:
        _create(tree.organ_b, name="王芳（重复）")

    assert "已有在册党员使用该身份证号" in exc.value.message_dict[NON_FIELD_ERRORS][0]
    assert Member.objects.count() == 1


def test_it_allows_the_same_id_number_again_once_the_first_member_left(tree):
    first = _create(tree.village_a)
    member_leave(
        member=first, status=RosterStatus.TRANSFERRED_OUT, on=TRANSFER_DAY, reason="转出本县"
    )

    second = _create(
        tree.organ_b, started_on=TRANSFER_DAY + DAY, start_reason=MembershipReason.TRANSFER_IN
    )

    assert second.pk != first.pk
    assert Member.objects.filter(id_number=NUMBER).count() == 2
    assert Member.objects.active().get(id_number=NUMBER) == second


@pytest.mark.parametrize(("first", "second"), [(NUMBER, LEGACY), (LEGACY, NUMBER)])
def test_it_treats_the_15_and_18_digit_forms_as_the_same_person(tree, first, second):
    created = _create(tree.village_a, id_number=first)

    with pytest.raises(ValidationError, match="已有在册党员使用该身份证号"):
        _create(tree.village_b, id_number=second)

    created.refresh_from_db()
    assert created.id_number == NUMBER
    assert Member.objects.count() == 1


def test_it_transfers_a_member_closing_one_row_and_opening_another(tree):
    member = MemberFactory(group=tree.group_a1, started_on=JOINED)

    new_row = member_transfer(
        member=member, branch=tree.village_b, group=tree.group_b2, on=TRANSFER_DAY
    )

    old_row, opened = member.memberships.order_by("started_on", "id")
    assert opened == new_row
    assert (old_row.branch, old_row.group) == (tree.village_a, tree.group_a1)
    assert old_row.ended_on == TRANSFER_DAY
    assert old_row.end_reason == MembershipReason.TRANSFER
    assert (opened.branch, opened.group) == (tree.village_b, tree.group_b2)
    assert opened.started_on == TRANSFER_DAY
    assert opened.ended_on is None
    assert opened.start_reason == MembershipReason.TRANSFER
    member.refresh_from_db()
    assert (member.branch, member.group) == (tree.village_b, tree.group_b2)


def test_it_refuses_a_transfer_to_the_same_place(tree):
    member = MemberFactory(group=tree.group_a1)

    with pytest.raises(ValidationError, match="相同"):
        member_transfer(member=member, branch=tree.village_a, group=tree.group_a1, on=TRANSFER_DAY)

    assert member.memberships.count() == 1


def test_it_refuses_a_transfer_dated_before_the_open_row(tree):
    member = MemberFactory(branch=tree.village_a, started_on=JOINED)

    with pytest.raises(ValidationError):
        member_transfer(member=member, branch=tree.village_b, on=JOINED - DAY)

    assert member.memberships.get().ended_on is None


def test_it_refuses_a_transfer_into_a_group_outside_the_new_branch(tree):
    member = MemberFactory(branch=tree.village_a)

    with pytest.raises(ValidationError):
        member_transfer(member=member, branch=tree.village_b, group=tree.group_a2, on=TRANSFER_DAY)

    member.refresh_from_db()
    assert member.branch == tree.village_a
    assert member.memberships.get().ended_on is None


def _on(org, date):
    return set(members_of_org_on(org=org, on=date))


def test_it_answers_who_belonged_where_around_a_transfer(tree):
    mover = MemberFactory(group=tree.group_a1, started_on=JOINED)
    stayer = MemberFactory(group=tree.group_a1, started_on=JOINED)
    member_transfer(member=mover, branch=tree.village_b, group=tree.group_b1, on=TRANSFER_DAY)
    before, after = TRANSFER_DAY - DAY, TRANSFER_DAY + DAY

    assert _on(tree.group_a1, before) == {mover, stayer}
    assert _on(tree.group_a1, TRANSFER_DAY) == {stayer}
    assert _on(tree.group_a1, after) == {stayer}
    assert _on(tree.group_b1, before) == set()
    assert _on(tree.group_b1, TRANSFER_DAY) == {mover}
    assert _on(tree.group_b1, after) == {mover}
    assert _on(tree.township_a, before) == {mover, stayer}
    assert _on(tree.township_a, TRANSFER_DAY) == {stayer}
    assert _on(tree.township_b, before) == set()
    assert _on(tree.township_b, TRANSFER_DAY) == {mover}
    assert _on(tree.township_b, after) == {mover}
    assert _on(tree.county, before) == _on(tree.county, after) == {mover, stayer}
    assert _on(tree.county, JOINED - DAY) == set()


def test_it_keeps_a_regrouped_member_in_the_branch_every_day(tree):
    member = MemberFactory(group=tree.group_a1, started_on=JOINED)

    member_transfer(member=member, branch=tree.village_a, group=tree.group_a2, on=TRANSFER_DAY)

    old_row, new_row = member.memberships.order_by("started_on", "id")
    assert old_row.end_reason == new_row.start_reason == MembershipReason.REGROUP
    for date in (TRANSFER_DAY - DAY, TRANSFER_DAY, TRANSFER_DAY + DAY):
        assert _on(tree.village_a, date) == {member}
    assert _on(tree.group_a1, TRANSFER_DAY) == set()
    assert _on(tree.group_a2, TRANSFER_DAY) == {member}


def test_it_takes_a_member_off_the_roster_and_keeps_the_history(tree):
    member = MemberFactory(group=tree.group_a1, started_on=JOINED)
    member_transfer(member=member, branch=tree.village_b, on=TRANSFER_DAY)
    left_on = datetime.date(2024, 9, 1)

    left = member_leave(member=member, status=RosterStatus.DECEASED, on=left_on, reason="病故")

    rows = list(left.memberships.order_by("started_on", "id"))
    assert len(rows) == 2
    assert rows[0].ended_on == TRANSFER_DAY
    assert rows[1].ended_on == left_on
    assert rows[1].end_reason == MembershipReason.DECEASED
    assert not left.memberships.open().exists()
    left.refresh_from_db()
    assert left.roster_status == RosterStatus.DECEASED
    assert (left.left_on, left.left_reason) == (left_on, "病故")
    assert not Member.objects.active().filter(pk=member.pk).exists()
    assert _on(tree.village_b, left_on - DAY) == {member}
    assert _on(tree.village_b, left_on) == set()


def test_it_refuses_to_leave_without_a_reason_or_to_transfer_a_member_who_left(tree):
    member = MemberFactory(branch=tree.village_a)

    with pytest.raises(ValidationError):
        member_leave(member=member, status=RosterStatus.LAPSED, on=TRANSFER_DAY, reason=" ")
    member_leave(
        member=member,
        status=RosterStatus.LAPSED,
        on=TRANSFER_DAY,
        reason="连续六个月不参加组织生活",
    )
    with pytest.raises(ValidationError, match="不在册"):
        member_transfer(member=member, branch=tree.village_b, on=TRANSFER_DAY + DAY)

    assert member.memberships.count() == 1


def test_it_gives_factory_members_consistent_and_distinct_id_numbers(tree):
    members = MemberFactory.create_batch(3, branch=tree.village_a)

    assert len({m.id_number for m in members}) == 3
    for m in members:
        m.full_clean()  # sex and birth date agree with the number
        assert m.id_number[6:14] == f"{m.birth_date:%Y%m%d}"


@pytest.mark.parametrize(
    "status",
    [
        RosterStatus.LAPSED,
        RosterStatus.RESIGNED,
        RosterStatus.REFUSED_TO_RESIGN,
        RosterStatus.EXPELLED,
    ],
)
def test_it_records_the_way_of_leaving_the_party_in_roster_membership_and_party_status(
    tree, status
):
    member = MemberFactory(branch=tree.village_a)

    left = member_leave(member=member, status=status, on=TRANSFER_DAY, reason="支部大会决定")

    left.refresh_from_db()
    assert left.roster_status == status
    assert left.party_status == status  # PartyStatus uses the same codes for the four ways
    assert left.get_party_status_display() == status.label
    assert left.memberships.get().end_reason == status


def test_it_keeps_the_party_status_of_a_member_transferred_out(tree):
    member = MemberFactory(branch=tree.village_a)

    left = member_leave(
        member=member, status=RosterStatus.TRANSFERRED_OUT, on=TRANSFER_DAY, reason="转出本县"
    )

    assert left.party_status == "normal"


def test_it_names_no_way_of_leaving_the_party_the_partys_constitution_lacks():
    labels = {
        label for _, label in PartyStatus.choices + RosterStatus.choices + MembershipReason.choices
    }
    assert not any("出党" in label or "自动退党" in label for label in labels)
