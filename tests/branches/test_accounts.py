"""Accounts in the admin: the account keeper (县委组织部) creates, deactivates and
resets accounts under their node, and hands out no role beyond their own rights."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse

from branches.models import User
from branches.roles import Role
from tests.adminforms import admin_form_data
from tests.conftest import logged_in, with_role
from tests.factories import CountyFactory, TownshipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "admin:branches_user_add"
ADMIN_INDEX = "/admin/"
NEW_PASSWORD = "Zhuanggan-2025-xin"


def group(role: Role) -> Group:
    return Group.objects.get(name=role.label)


def _add(client, **fields):
    data = {
        "username": "clerk_new",
        "usable_password": "true",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "first_name": "新专干",
        **fields,
    }
    return client.post(reverse(ADD), data)


@pytest.fixture
def other_county(db):
    """A second county root, outside county_user's node."""
    county = CountyFactory(name="邻县县委", code="N")
    TownshipFactory(parent=county, name="邻县丙镇党委", code="N-C")
    return county


@pytest.fixture
def keeper_a(tree):
    """An account keeper (县委组织部 role) attached to township A only."""
    return with_role(UserFactory(username="keeper_a", org=tree.township_a), Role.COUNTY)


# --- creating ------------------------------------------------------------------------------


def test_it_lets_the_county_create_a_clerk_account_under_township_a(county_client, tree):
    response = _add(county_client, org=tree.township_a.pk, groups=[group(Role.CLERK).pk])

    created = User.objects.get(username="clerk_new")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:branches_user_change", args=[created.pk])
    assert created.org == tree.township_a
    assert list(created.groups.all()) == [group(Role.CLERK)]
    assert created.is_staff  # accounts made here work in the back office
    assert not created.is_superuser
    assert created.check_password(NEW_PASSWORD)


def test_it_offers_the_county_every_role_but_the_system_administrator(county_client):
    response = county_client.get(reverse(ADD))

    offered = set(response.context["adminform"].form.fields["groups"].queryset)
    assert group(Role.ADMIN) not in offered
    assert {group(Role.COUNTY), group(Role.CLERK), group(Role.SECRETARY)} <= offered


def test_it_withholds_a_role_carrying_an_account_right_the_keeper_lacks(county_client):
    # 乡镇专干 carries verbs the county lacks (members.change_member) and is
    # offered; a right over accounts the county lacks is not handed out.
    deleter = Group.objects.create(name="账号清理")
    deleter.permissions.add(Permission.objects.get(codename="delete_user"))
    pii = Group.objects.create(name="信息查看")
    pii.permissions.add(Permission.objects.get(codename="view_pii"))

    response = county_client.get(reverse(ADD))

    offered = set(response.context["adminform"].form.fields["groups"].queryset)
    assert deleter not in offered
    assert pii in offered  # the county sees whole numbers itself


def test_it_refuses_a_forged_system_administrator_role(county_client, tree):
    response = _add(county_client, org=tree.township_a.pk, groups=[group(Role.ADMIN).pk])

    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="clerk_new").exists()


@pytest.mark.parametrize("who", ["admin_client", "admin_role_client"])
def test_it_offers_every_role_to_the_system_administrator(request, who):
    response = request.getfixturevalue(who).get(reverse(ADD))

    offered = set(response.context["adminform"].form.fields["groups"].queryset)
    assert {group(role) for role in Role} <= offered


def test_it_offers_the_county_only_nodes_under_its_own(county_client, tree, other_county):
    response = county_client.get(reverse(ADD))

    offered = set(response.context["adminform"].form.fields["org"].queryset)
    assert tree.township_a in offered
    assert tree.county in offered
    assert other_county not in offered
    assert not any(org.path.startswith(other_county.path) for org in offered)


def test_it_refuses_an_account_under_another_county(county_client, other_county):
    response = _add(county_client, org=other_county.pk, groups=[group(Role.CLERK).pk])

    assert response.status_code == 200
    assert "org" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="clerk_new").exists()


def test_it_refuses_an_account_above_the_keepers_node(keeper_a, tree):
    response = _add(logged_in(keeper_a), org=tree.county.pk, groups=[group(Role.CLERK).pk])

    assert response.status_code == 200
    assert "org" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="clerk_new").exists()


# --- changing ------------------------------------------------------------------------------


def test_it_lets_the_county_deactivate_an_account(county_client, clerk_a):
    url = reverse("admin:branches_user_change", args=[clerk_a.pk])
    data = admin_form_data(county_client.get(url), is_active=False)

    response = county_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk_a.refresh_from_db()
    assert not clerk_a.is_active
    assert list(clerk_a.groups.all()) == [group(Role.CLERK)]


def test_it_lets_the_county_reset_a_password(county_client, clerk_a):
    url = reverse("admin:auth_user_password_change", args=[clerk_a.pk])

    opened = county_client.get(url)
    response = county_client.post(
        url, {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert opened.status_code == 200
    assert response.status_code == 302
    clerk_a.refresh_from_db()
    assert clerk_a.check_password(NEW_PASSWORD)


def test_it_names_the_password_page_as_django_does():
    # Django's UserAdmin names the URL after auth.User whatever the user model.
    assert (
        reverse("admin:auth_user_password_change", args=[1]) == "/admin/branches/user/1/password/"
    )
    with pytest.raises(NoReverseMatch):
        reverse("admin:branches_user_password_change", args=[1])


def test_it_does_not_offer_the_superuser_flag_to_the_county(county_client, clerk_a):
    url = reverse("admin:branches_user_change", args=[clerk_a.pk])
    opened = county_client.get(url)
    data = admin_form_data(opened, is_superuser=True)

    response = county_client.post(url, data)

    fields = opened.context["adminform"].form.fields
    assert "is_superuser" not in fields
    assert "user_permissions" not in fields
    assert 'name="is_superuser"' not in opened.content.decode()
    assert response.status_code == 302
    clerk_a.refresh_from_db()
    assert not clerk_a.is_superuser


def test_it_offers_the_superuser_flag_to_a_superuser(admin_client, clerk_a):
    response = admin_client.get(reverse("admin:branches_user_change", args=[clerk_a.pk]))

    assert "is_superuser" in response.context["adminform"].form.fields


def test_it_refuses_to_give_an_existing_account_the_administrator_role(county_client, clerk_a):
    url = reverse("admin:branches_user_change", args=[clerk_a.pk])
    data = admin_form_data(county_client.get(url), groups=[group(Role.ADMIN).pk])

    response = county_client.post(url, data)

    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert list(clerk_a.groups.all()) == [group(Role.CLERK)]


# --- out of scope and without the permission ----------------------------------------------


def test_it_forbids_the_clerk_the_account_list(clerk_a_client, secretary_a_client):
    url = reverse("admin:branches_user_changelist")

    assert clerk_a_client.get(url).status_code == 403
    assert secretary_a_client.get(url).status_code == 403
    assert clerk_a_client.get(reverse(ADD)).status_code == 403


def test_it_lists_only_the_accounts_under_the_keepers_node(keeper_a, clerk_a, clerk_b, tree):
    response = logged_in(keeper_a).get(reverse("admin:branches_user_changelist"))

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {keeper_a, clerk_a}
    assert "clerk_b" not in response.content.decode()


@pytest.mark.parametrize("name", ["admin:branches_user_change", "admin:auth_user_password_change"])
def test_it_answers_an_account_of_another_township_as_not_found(keeper_a, clerk_b, name):
    client = logged_in(keeper_a)
    url = reverse(name, args=[clerk_b.pk])

    for method in (client.get, client.post):
        response = method(
            url, {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )

        assert response.status_code == 302
        assert response["Location"] == ADMIN_INDEX
    clerk_b.refresh_from_db()
    assert clerk_b.check_password("pw-for-tests")
    assert "clerk_b" not in client.get(ADMIN_INDEX).content.decode()


def test_it_answers_a_superuser_account_as_not_found(county_client, tree):
    root = UserFactory(username="root", org=tree.township_a, is_superuser=True)

    response = county_client.get(reverse("admin:auth_user_password_change", args=[root.pk]))

    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX
