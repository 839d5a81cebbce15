"""The four roles: groups made by the data migration, their default grants, ``role_of``."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from branches.roles import DEFAULT_GRANTS, Role, role_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# The grants of branches.roles; later apps' migrations add their own
# permissions (activities.*) to the same groups.
CORE_APPS = ("auth", "branches", "members")


def granted(role: Role) -> set[str]:
    group = Group.objects.get(name=role.label)
    rows = group.permissions.filter(content_type__app_label__in=CORE_APPS)
    return {
        f"{app}.{code}" for app, code in rows.values_list("content_type__app_label", "codename")
    }


def test_it_creates_one_group_per_role():
    names = set(Group.objects.values_list("name", flat=True))

    assert {"县委组织部", "乡镇专干", "支部书记", "系统管理员"} <= names
    assert {role.label for role in Role} <= names


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_it_grants_each_role_exactly_its_default_permissions(role):
    # The migration restates the grants instead of importing them: the two must agree.
    assert granted(role) == set(DEFAULT_GRANTS[role])


@pytest.mark.parametrize(
    ("role", "has", "lacks"),
    [
        (
            Role.CLERK,
            {
                "members.view_member",
                "members.add_member",
                "members.change_member",
                "members.view_pii",
                "members.import_member",
            },
            {
                "branches.change_organization",
                "branches.add_user",
                "branches.change_user",
                "members.delete_member",
            },
        ),
        (
            Role.SECRETARY,
            {"branches.view_organization", "members.view_member", "members.view_membership"},
            {"members.view_pii", "members.change_member", "members.add_member"},
        ),
        (
            Role.COUNTY,
            {
                "branches.change_organization",
                "branches.add_organization",
                "branches.change_user",
                "branches.add_user",
                "members.view_pii",
                "members.view_piiaccess",
            },
            {"members.change_member", "members.add_member", "auth.view_group"},
        ),
        (
            Role.ADMIN,
            {
                "members.change_member",
                "branches.change_organization",
                "branches.change_user",
                "auth.view_group",
            },
            {"auth.change_group", "branches.delete_user", "members.delete_member"},
        ),
    ],
    ids=lambda v: v.value if isinstance(v, Role) else None,
)
def test_it_grants_the_key_permissions_of_each_role(role, has, lacks):
    perms = granted(role)

    assert has <= perms
    assert not lacks & perms


def test_it_gives_the_secretary_view_permissions_only():
    assert granted(Role.SECRETARY)
    assert all(p.split(".")[1].startswith("view_") for p in granted(Role.SECRETARY))


def test_it_lets_the_holder_of_a_role_use_its_permissions(clerk_a, secretary_a, county_user):
    assert clerk_a.has_perm("members.change_member")
    assert not clerk_a.has_perm("branches.change_organization")
    assert secretary_a.has_perm("members.view_member")
    assert not secretary_a.has_perm("members.view_pii")
    assert county_user.has_perm("branches.change_user")
    assert not county_user.has_perm("members.change_member")


@pytest.mark.parametrize(
    ("fixture", "role"),
    [
        ("county_user", Role.COUNTY),
        ("clerk_a", Role.CLERK),
        ("secretary_a", Role.SECRETARY),
        ("admin_role_user", Role.ADMIN),
    ],
)
def test_it_tells_the_role_of_a_user(request, fixture, role):
    assert role_of(request.getfixturevalue(fixture)) == role


def test_it_has_no_role_for_a_user_without_a_role_group(tree):
    user = UserFactory(org=tree.township_a)
    user.groups.add(Group.objects.create(name="临时工作组"))

    assert role_of(user) is None
    assert role_of(UserFactory(org=tree.township_a)) is None


def test_it_finds_the_role_among_other_groups(tree):
    user = UserFactory(org=tree.township_a)
    user.groups.add(Group.objects.create(name="临时工作组"), Group.objects.get(name="乡镇专干"))

    assert role_of(user) == Role.CLERK
