import datetime

import pytest
from django.urls import reverse

from members.choices import MembershipReason, Sex
from members.models import Member, Membership
from tests.adminforms import admin_form_data
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:members_member_changelist"
NUMBER = "11010519491231002X"
LEGACY = "110105491231002"
MASKED = "110105********002X"
PHONE = "13812345678"


@pytest.fixture
def wang(tree):
    return MemberFactory(
        name="王芳",
        id_number=NUMBER,
        group=tree.group_a1,
        mobile_phone=PHONE,
    )


@pytest.fixture
def li(tree):
    return MemberFactory(name="李强", branch=tree.organ_b)


def _results(response):
    return list(response.context["cl"].result_list)


def test_it_lists_members_with_masked_id_and_phone_numbers(admin_client, wang, li):
    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert set(_results(response)) == {wang, li}
    content = response.content.decode()
    assert MASKED in content
    assert NUMBER not in content
    assert li.id_number not in content
    assert li.id_number_masked in content
    assert "138****5678" in content
    assert PHONE not in content


@pytest.mark.parametrize(
    "term",
    [NUMBER, NUMBER.lower(), LEGACY, "王芳", "王", PHONE],
    ids=["18-digit", "lowercase-x", "15-digit", "name", "part-of-name", "mobile"],
)
def test_it_finds_a_member_by_id_number_name_or_phone(admin_client, wang, li, term):
    response = admin_client.get(reverse(CHANGELIST), {"q": term})

    assert response.status_code == 200
    assert _results(response) == [wang]


def test_it_finds_nobody_for_an_unknown_id_number(admin_client, wang):
    other = "110105194912310037"

    response = admin_client.get(reverse(CHANGELIST), {"q": other})

    assert _results(response) == []


def test_it_filters_members_by_township(admin_client, tree, wang, li):
    in_organ_a = MemberFactory(branch=tree.organ_a)

    response_a = admin_client.get(reverse(CHANGELIST), {"township": tree.township_a.pk})
    response_b = admin_client.get(reverse(CHANGELIST), {"township": tree.township_b.pk})

    assert set(_results(response_a)) == {wang, in_organ_a}
    assert _results(response_b) == [li]
    # The branch filter offers the chosen township's branches only.
    content = response_a.content.decode()
    assert tree.organ_a.name in content
    assert tree.village_b.name not in content


def test_it_filters_members_by_branch_within_a_township(admin_client, tree, wang):
    MemberFactory(branch=tree.organ_a)

    response = admin_client.get(
        reverse(CHANGELIST), {"township": tree.township_a.pk, "branch": tree.village_a.pk}
    )

    assert _results(response) == [wang]


def _members(tree, n):
    places = [tree.group_a1, tree.group_a2, tree.group_b1, tree.group_b2]
    for i in range(n):
        if i % 3:
            MemberFactory(group=places[i % len(places)])
        else:
            MemberFactory(branch=tree.organ_a if i % 2 else tree.organ_b)


@pytest.mark.parametrize("n", [2, 50])
def test_it_lists_members_in_a_constant_number_of_queries(
    admin_client, django_assert_num_queries, tree, n
):
    _members(tree, n)
    url = reverse(CHANGELIST)

    # 1 session, 2 user, 3 townships for the filter, 4 count of the page's rows,
    # 5 the page's members with branch and group joined, 6 the branches' ancestors
    # for their labels, 7-9 the session's new expiry (savepoint, update, release).
    with django_assert_num_queries(9):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(_results(response)) == n


@pytest.mark.parametrize("n", [2, 50])
def test_it_filters_by_township_in_a_constant_number_of_queries(
    admin_client, django_assert_num_queries, tree, n
):
    _members(tree, n)
    url = reverse(CHANGELIST)

    # 1 session, 2 user, 3 townships for the filter, 4 the chosen township for the
    # branch filter, 5 its branches, 6 the chosen township for the queryset,
    # 7 count of the page's rows, 8 the page's members with their places joined,
    # 9 the branches' ancestors for their labels,
    # 10-12 the session's new expiry (savepoint, update, release: idle timeout).
    with django_assert_num_queries(12):
        response = admin_client.get(url, {"township": tree.township_a.pk})

    assert response.status_code == 200
    assert all(m.branch.path.startswith(tree.township_a.path) for m in _results(response))


def test_it_adds_a_member_with_a_membership_row(admin_client, tree):
    url = reverse("admin:members_member_add")
    joined = datetime.date(2021, 7, 1)
    data = admin_form_data(
        admin_client.get(url),
        name="王芳",
        id_number=LEGACY,
        sex=Sex.FEMALE,
        birth_date=datetime.date(1949, 12, 31),
        branch=tree.village_a.pk,
        group=tree.group_a2.pk,
        joined_on=joined,
        mobile_phone=PHONE,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get()
    assert member.id_number == NUMBER
    assert member.mobile_phone == PHONE
    row = Membership.objects.get()
    assert row.member == member
    assert (row.branch, row.group) == (tree.village_a, tree.group_a2)
    assert row.started_on == joined
    assert row.ended_on is None
    assert row.start_reason == MembershipReason.JOINED


def test_it_refuses_an_admin_member_whose_birth_date_contradicts_the_number(admin_client, tree):
    url = reverse("admin:members_member_add")
    data = admin_form_data(
        admin_client.get(url),
        name="王芳",
        id_number=NUMBER,
        sex=Sex.FEMALE,
        birth_date=datetime.date(1950, 1, 1),
        branch=tree.village_a.pk,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "birth_date" in response.context["adminform"].form.errors
    assert not Member.objects.exists()
    assert not Membership.objects.exists()


def test_it_records_a_change_of_branch_in_the_admin_as_a_transfer(admin_client, tree, wang):
    url = reverse("admin:members_member_change", args=[wang.pk])
    data = admin_form_data(admin_client.get(url), branch=tree.village_b.pk, group=tree.group_b2.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    today = datetime.date.today()
    old, new = wang.memberships.order_by("started_on", "id")
    assert (old.branch, old.group) == (tree.village_a, tree.group_a1)
    assert (old.ended_on, old.end_reason) == (today, MembershipReason.TRANSFER)
    assert (new.branch, new.group) == (tree.village_b, tree.group_b2)
    assert (new.started_on, new.ended_on) == (today, None)
    assert new.start_reason == MembershipReason.TRANSFER
    wang.refresh_from_db()
    assert (wang.branch, wang.group) == (tree.village_b, tree.group_b2)


def test_it_records_a_change_of_group_in_the_admin_as_a_regrouping(admin_client, tree, wang):
    url = reverse("admin:members_member_change", args=[wang.pk])
    data = admin_form_data(admin_client.get(url), group=tree.group_a2.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 302
    new = wang.memberships.open().get()
    assert new.group == tree.group_a2
    assert new.start_reason == MembershipReason.REGROUP
    assert wang.memberships.count() == 2


def test_it_opens_no_membership_row_when_the_place_is_unchanged(admin_client, wang):
    url = reverse("admin:members_member_change", args=[wang.pk])
    data = admin_form_data(admin_client.get(url), address="幸福村3组")

    response = admin_client.post(url, data)

    assert response.status_code == 302
    wang.refresh_from_db()
    assert wang.address == "幸福村3组"
    assert wang.memberships.count() == 1


@pytest.mark.parametrize(
    ("township", "branch"),
    [("abc", None), ("1;", None), (None, "abc")],
    ids=["township", "township-punctuation", "branch"],
)
def test_it_answers_a_garbled_filter_with_an_empty_list(admin_client, tree, wang, township, branch):
    params = {"township": township or tree.township_a.pk}
    if branch:
        params["branch"] = branch

    response = admin_client.get(reverse(CHANGELIST), params)

    assert response.status_code == 200
    assert _results(response) == []


def test_it_leaves_roster_status_to_the_leaving_service(admin_client, tree):
    member = MemberFactory(branch=tree.village_a)
    url = reverse("admin:members_member_change", args=[member.pk])
    response = admin_client.get(url)

    form = response.context["adminform"].form
    assert not {"roster_status", "left_on", "left_reason"} & set(form.fields)
    admin_client.post(url, {**admin_form_data(response), "roster_status": "deceased"})
    member.refresh_from_db()
    assert member.roster_status == "active"
    assert member.memberships.open().count() == 1
