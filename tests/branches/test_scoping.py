"""``visible_to(user)`` on every scoped model, for every role and the edge cases.

One small world hangs from the standard tree: a member in each township's
village and organ branch, posts in the village branches and a group, a PII
log entry by several accounts. Each test says, by name, exactly which of
them a viewer sees.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from branches.models import Organization, Post, PostTitle, User
from branches.services import post_assign
from members.models import Member, Membership, PiiAccess
from members.services import member_transfer, pii_access_record
from tests.factories import CountyFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2024, 1, 1)

ORGS_A = {"township_a", "village_a", "group_a1", "group_a2", "organ_a"}
ORGS_B = {"township_b", "village_b", "group_b1", "group_b2", "organ_b"}
ORGS_VILLAGE_A = {"village_a", "group_a1", "group_a2"}


@pytest.fixture
def superuser(tree):
    # Attached inside township A: in the clerk's subtree, still never shown to them.
    return UserFactory(username="root", org=tree.township_a, is_superuser=True)


@pytest.fixture
def inactive_clerk(tree):
    return UserFactory(username="gone", org=tree.township_a, is_active=False)


@pytest.fixture
def nodeless(db):
    return UserFactory(username="nodeless", org=None)


@pytest.fixture
def users(county_user, clerk_a, clerk_b, secretary_a, admin_role_user, superuser):
    return {
        "county_user": county_user,
        "clerk_a": clerk_a,
        "clerk_b": clerk_b,
        "secretary_a": secretary_a,
        "admin_role_user": admin_role_user,
        "superuser": superuser,
    }


@pytest.fixture
def members(tree):
    return {
        "m_village_a": MemberFactory(name="甲村党员", group=tree.group_a1),
        "m_organ_a": MemberFactory(name="甲镇机关党员", branch=tree.organ_a),
        "m_village_b": MemberFactory(name="乙村党员", group=tree.group_b2),
        "m_organ_b": MemberFactory(name="乙镇机关党员", branch=tree.organ_b),
    }


@pytest.fixture
def posts(tree, members):
    return {
        "p_village_a": post_assign(
            org=tree.village_a,
            member=members["m_village_a"],
            title=PostTitle.SECRETARY,
            started_on=ON,
        ),
        "p_group_a1": post_assign(
            org=tree.group_a1,
            member=members["m_village_a"],
            title=PostTitle.GROUP_LEADER,
            started_on=ON,
        ),
        "p_organ_a": post_assign(
            org=tree.organ_a, member=members["m_organ_a"], title=PostTitle.SECRETARY, started_on=ON
        ),
        "p_village_b": post_assign(
            org=tree.village_b,
            member=members["m_village_b"],
            title=PostTitle.SECRETARY,
            started_on=ON,
        ),
    }


@pytest.fixture
def pii_log(users, members):
    member = members["m_village_a"]
    return {
        f"log_{name}": pii_access_record(user=users[name], action="view", member=member)
        for name in ("county_user", "clerk_a", "clerk_b", "secretary_a", "superuser")
    }


def viewer(request, name):
    if name == "anonymous":
        return AnonymousUser()
    return request.getfixturevalue(name)


def names_of(queryset, named: dict) -> set[str]:
    by_pk = {obj.pk: name for name, obj in named.items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


def tree_names(tree) -> dict:
    return {name: getattr(tree, name) for name in tree.__dataclass_fields__}


NOBODY = ["inactive_clerk", "anonymous", "nodeless"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_user", {"county"} | ORGS_A | ORGS_B),
        ("clerk_a", ORGS_A),
        ("clerk_b", ORGS_B),
        ("secretary_a", ORGS_VILLAGE_A),
        ("superuser", {"county"} | ORGS_A | ORGS_B),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_organisations_to_the_users_subtree(request, tree, who, expected):
    user = viewer(request, who)

    assert names_of(Organization.objects.visible_to(user), tree_names(tree)) == expected


def test_it_scopes_organisations_of_a_second_county_to_the_superuser_alone(
    tree, county_user, superuser
):
    other = CountyFactory(name="邻县县委", code="OTHER")

    assert other not in Organization.objects.visible_to(county_user)
    assert other in Organization.objects.visible_to(superuser)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_user", {"m_village_a", "m_organ_a", "m_village_b", "m_organ_b"}),
        ("clerk_a", {"m_village_a", "m_organ_a"}),
        ("clerk_b", {"m_village_b", "m_organ_b"}),
        ("secretary_a", {"m_village_a"}),
        ("superuser", {"m_village_a", "m_organ_a", "m_village_b", "m_organ_b"}),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_members_to_the_users_subtree(request, members, who, expected):
    user = viewer(request, who)

    assert names_of(Member.objects.visible_to(user), members) == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_user", {"m_village_a", "m_organ_a", "m_village_b", "m_organ_b"}),
        ("clerk_a", {"m_village_a", "m_organ_a"}),
        ("clerk_b", {"m_village_b", "m_organ_b"}),
        ("secretary_a", {"m_village_a"}),
        ("superuser", {"m_village_a", "m_organ_a", "m_village_b", "m_organ_b"}),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_membership_rows_with_their_members(request, members, who, expected):
    user = viewer(request, who)

    visible = Membership.objects.visible_to(user)

    by_pk = {m.pk: name for name, m in members.items()}
    assert {by_pk[pk] for pk in visible.values_list("member_id", flat=True)} == expected
    assert visible.count() == len(expected)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("county_user", {"p_village_a", "p_group_a1", "p_organ_a", "p_village_b"}),
        ("clerk_a", {"p_village_a", "p_group_a1", "p_organ_a"}),
        ("clerk_b", {"p_village_b"}),
        ("secretary_a", {"p_village_a", "p_group_a1"}),
        ("superuser", {"p_village_a", "p_group_a1", "p_organ_a", "p_village_b"}),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_posts_to_the_users_subtree(request, posts, who, expected):
    user = viewer(request, who)

    assert names_of(Post.objects.visible_to(user), posts) == expected


EVERY_ACCOUNT = {"county_user", "clerk_a", "clerk_b", "secretary_a", "admin_role_user"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # The superuser sits in township A: neither the county nor A's clerk sees it.
        ("county_user", EVERY_ACCOUNT),
        ("admin_role_user", EVERY_ACCOUNT),
        ("clerk_a", {"clerk_a", "secretary_a"}),
        ("clerk_b", {"clerk_b"}),
        ("secretary_a", {"secretary_a"}),
        ("superuser", EVERY_ACCOUNT | {"superuser"}),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_accounts_and_hides_superusers_from_everyone_else(request, users, who, expected):
    user = viewer(request, who)

    assert names_of(User.objects.visible_to(user), users) == expected


def test_it_never_shows_a_superuser_account_to_a_non_superuser(tree, county_user, superuser):
    at_the_top = UserFactory(username="root2", org=tree.county, is_superuser=True)

    visible = User.objects.visible_to(county_user)

    assert not visible.filter(is_superuser=True).exists()
    assert at_the_top in User.objects.visible_to(superuser)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (
            "county_user",
            {"log_county_user", "log_clerk_a", "log_clerk_b", "log_secretary_a", "log_superuser"},
        ),
        ("clerk_a", {"log_clerk_a", "log_secretary_a", "log_superuser"}),
        ("clerk_b", {"log_clerk_b"}),
        ("secretary_a", {"log_secretary_a"}),
        (
            "superuser",
            {"log_county_user", "log_clerk_a", "log_clerk_b", "log_secretary_a", "log_superuser"},
        ),
        *[(name, set()) for name in NOBODY],
    ],
)
def test_it_scopes_pii_log_entries_to_where_the_looking_account_belongs(
    request, pii_log, who, expected
):
    user = viewer(request, who)

    assert names_of(PiiAccess.objects.visible_to(user), pii_log) == expected


def test_it_sees_nothing_once_an_account_is_deactivated(tree, clerk_a, members, posts):
    clerk_a.is_active = False
    clerk_a.save()

    for model in (Organization, Member, Membership, Post, User, PiiAccess):
        assert not model.objects.visible_to(clerk_a).exists(), model


def test_it_moves_a_transferred_member_and_their_whole_history_to_the_new_township(
    tree, clerk_a, clerk_b, members
):
    member = members["m_village_a"]
    member_transfer(member=member, branch=tree.village_b, on=datetime.date(2025, 3, 1))

    rows_for_b = Membership.objects.visible_to(clerk_b).filter(member=member)

    assert member in Member.objects.visible_to(clerk_b)
    assert member not in Member.objects.visible_to(clerk_a)
    assert [(r.branch, r.ended_on) for r in rows_for_b.order_by("started_on")] == [
        (tree.village_a, datetime.date(2025, 3, 1)),
        (tree.village_b, None),
    ]
    assert not Membership.objects.visible_to(clerk_a).filter(member=member).exists()


def test_holds_agrees_with_the_scoped_queryset(tree, clerk_a, county_user):
    from branches.scoping import holds

    for user in (clerk_a, county_user):
        visible = set(Organization.objects.visible_to(user).values_list("pk", flat=True))
        for org in Organization.objects.all():
            assert holds(user, org) == (org.pk in visible), (user.username, org.name)
