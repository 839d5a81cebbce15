"""The audit trail: who changed what, through the admin, the services and bulk writes."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F
from django.urls import reverse

from branches.audit import acting_as
from branches.models import Organization
from branches.services import org_dissolve, org_move
from members.choices import MembershipReason
from members.idcard import make_id_number, parse_id_number
from members.models import Member, Membership
from members.services import member_create, member_transfer, member_update
from tests.adminforms import admin_form_data
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NUMBER = "11010519491231002X"


def _unsaved(branch, n: int) -> Member:
    number = make_id_number("110105", datetime.date(1970, 1, 1 + n), 2 * n + 1)
    info = parse_id_number(number)
    return Member(
        name=f"批量党员{n}",
        branch=branch,
        id_number=number,
        birth_date=info.birth_date,
        sex=info.sex,
    )


# --- through the admin ---------------------------------------------------------------------


def test_it_records_who_created_a_member_in_the_admin(clerk_a_client, clerk_a, tree):
    url = reverse("admin:members_member_add")
    data = admin_form_data(
        clerk_a_client.get(url),
        name="王芳",
        id_number=NUMBER,
        branch=tree.village_a.pk,
        group=tree.group_a1.pk,
        joined_on=datetime.date(1975, 7, 1),
    )

    response = clerk_a_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get(id_number=NUMBER)
    [record] = member.history.all()
    assert (record.history_type, record.history_user) == ("+", clerk_a)
    assert record.name == "王芳"
    [opened] = Membership.history.filter(member_id=member.pk)
    assert (opened.history_type, opened.history_user) == ("+", clerk_a)


def test_it_records_who_changed_which_field_in_the_admin(clerk_a_client, clerk_a, tree):
    member = MemberFactory(name="王芳", id_number=NUMBER, group=tree.group_a1, address="旧址")
    url = reverse("admin:members_member_change", args=[member.pk])
    data = admin_form_data(clerk_a_client.get(url), address="幸福村3组")

    response = clerk_a_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    latest, previous = member.history.all()[:2]
    assert (latest.history_type, latest.history_user) == ("~", clerk_a)
    assert previous.history_user is None  # made by the factory, outside any request
    delta = latest.diff_against(previous)
    assert "address" in delta.changed_fields
    assert "name" not in delta.changed_fields
    [change] = [c for c in delta.changes if c.field == "address"]
    assert (change.old, change.new) == ("旧址", "幸福村3组")


def test_it_shows_who_changed_which_field_on_the_history_page(clerk_a_client, tree):
    member = MemberFactory(name="王芳", group=tree.group_a1, address="旧址")
    url = reverse("admin:members_member_change", args=[member.pk])
    clerk_a_client.post(url, admin_form_data(clerk_a_client.get(url), address="幸福村3组"))

    response = clerk_a_client.get(reverse("admin:members_member_history", args=[member.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "clerk_a" in content
    assert "家庭住址" in content  # the changed field's verbose name
    assert "幸福村3组" in content


def test_it_records_a_transfer_in_the_admin_on_both_membership_rows(clerk_a_client, clerk_a, tree):
    member = MemberFactory(group=tree.group_a1)
    url = reverse("admin:members_member_change", args=[member.pk])
    data = admin_form_data(clerk_a_client.get(url), branch=tree.organ_a.pk, group="")

    response = clerk_a_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    changes = Membership.history.filter(member_id=member.pk, history_user=clerk_a)
    assert sorted(changes.values_list("history_type", flat=True)) == ["+", "~"]


# --- bulk writes ---------------------------------------------------------------------------


def test_it_records_one_history_row_per_bulk_created_member(tree):
    created = Member.objects.bulk_create([_unsaved(tree.village_a, n) for n in range(3)])

    for member in created:
        assert member.pk is not None
        assert list(member.history.values_list("history_type", flat=True)) == ["+"]
    assert Member.history.count() == 3


def test_it_records_one_history_row_per_bulk_updated_member(tree):
    created = Member.objects.bulk_create([_unsaved(tree.village_a, n) for n in range(3)])
    for member in created:
        member.address = "新址"

    updated = Member.objects.bulk_update(created, ["address"])

    assert updated == 3
    assert Member.objects.filter(address="新址").count() == 3
    for member in created:
        latest, first = member.history.all()
        assert (latest.history_type, first.history_type) == ("~", "+")
        assert latest.diff_against(first).changed_fields == ["address"]


def test_it_records_nothing_for_a_bulk_create_without_audit(tree):
    created = Member.objects.bulk_create(
        [_unsaved(tree.village_a, n) for n in range(2)], audit=False
    )

    assert len(created) == 2
    assert Member.objects.count() == 2
    assert not Member.history.exists()


def test_it_attributes_bulk_writes_to_the_acting_user(tree, clerk_a):
    with acting_as(clerk_a):
        Member.objects.bulk_create([_unsaved(tree.village_a, n) for n in range(2)])

    assert set(Member.history.values_list("history_user", flat=True)) == {clerk_a.pk}


def test_it_refuses_a_plain_update_of_an_audited_model(tree):
    member = MemberFactory(name="王芳", group=tree.group_a1)

    with pytest.raises(TypeError, match="audited"):
        Member.objects.filter(pk=member.pk).update(name="x")
    with pytest.raises(TypeError):
        Membership.objects.filter(member=member).update(note="x")
    with pytest.raises(TypeError):
        Organization.objects.filter(pk=tree.county.pk).update(name="x")

    member.refresh_from_db()
    assert member.name == "王芳"


def test_it_updates_derived_tree_fields_without_history(tree):
    before = Organization.history.count()

    count = Organization.objects.filter(pk=tree.organ_a.pk).update_derived(
        depth=F("depth") + 0, path=F("path")
    )

    assert count == 1
    assert Organization.history.count() == before


def test_it_refuses_update_derived_for_a_field_that_is_not_derived(tree):
    with pytest.raises(TypeError, match="name"):
        Organization.objects.filter(pk=tree.organ_a.pk).update_derived(name="x")
    with pytest.raises(TypeError):
        Member.objects.update_derived(name="x")

    tree.organ_a.refresh_from_db()
    assert tree.organ_a.name == "甲镇机关党支部"


# --- tree services -------------------------------------------------------------------------


def test_it_records_the_move_of_a_node(tree, county_user):
    with acting_as(county_user):
        org_move(org=tree.village_a, new_parent=tree.township_b)

    latest, previous = tree.village_a.history.all()[:2]
    assert (latest.history_type, latest.history_user) == ("~", county_user)
    assert latest.diff_against(previous).changed_fields == ["parent"]
    assert (previous.parent_id, latest.parent_id) == (tree.township_a.pk, tree.township_b.pk)


def test_it_records_the_dissolution_of_every_node_in_the_subtree(tree, county_user):
    on = datetime.date(2025, 6, 30)
    subtree = [tree.village_a, tree.group_a1, tree.group_a2]

    with acting_as(county_user):
        assert org_dissolve(org=tree.village_a, on=on) == 3

    for node in subtree:
        latest = node.history.first()
        assert (latest.history_type, latest.history_user) == ("~", county_user)
        assert latest.dissolved_on == on
    assert not tree.organ_a.history.filter(history_type="~").exists()


# --- services outside a request --------------------------------------------------------------


def test_it_attributes_service_writes_to_the_acting_user(tree, clerk_a):
    with acting_as(clerk_a):
        member = member_create(
            name="王芳",
            id_number=NUMBER,
            branch=tree.village_a,
            started_on=datetime.date(2020, 1, 1),
        )
        member_update(member=member, address="幸福村3组")

    assert list(member.history.values_list("history_type", "history_user")) == [
        ("~", clerk_a.pk),
        ("+", clerk_a.pk),
    ]
    assert Membership.history.get(member_id=member.pk).history_user == clerk_a


def test_it_attributes_nothing_outside_acting_as(tree, clerk_a):
    with acting_as(clerk_a):
        pass
    member = MemberFactory(group=tree.group_a1)

    assert member.history.get().history_user is None


def test_it_records_a_transfer_on_the_membership_rows(tree, clerk_b):
    member = MemberFactory(group=tree.group_a1)
    [old_row] = member.memberships.all()
    on = datetime.date(2025, 3, 1)

    with acting_as(clerk_b):
        new_row = member_transfer(member=member, branch=tree.village_b, on=on)

    closed, opened = old_row.history.all()[:2]
    assert (closed.history_type, closed.history_user) == ("~", clerk_b)
    assert set(closed.diff_against(opened).changed_fields) == {"ended_on", "end_reason"}
    assert (closed.ended_on, closed.end_reason) == (on, MembershipReason.TRANSFER)
    [created] = new_row.history.all()
    assert (created.history_type, created.history_user) == ("+", clerk_b)
    assert created.branch_id == tree.village_b.pk
    member_latest = member.history.first()
    assert (member_latest.history_user, member_latest.branch_id) == (clerk_b, tree.village_b.pk)
