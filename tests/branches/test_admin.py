import datetime
import re

import pytest
from django.urls import reverse

from branches.models import BranchCategory, Organization, OrgKind
from branches.services import org_dissolve
from tests.adminforms import admin_form_data
from tests.factories import BranchFactory, MemberFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:branches_organization_changelist"


def _results(response):
    return list(response.context["cl"].result_list)


def _member_totals(content: str) -> list[str]:
    return re.findall(r'<td class="field-member_total">([^<]*)</td>', content)


def test_it_lists_the_tree_in_indented_path_order(admin_client, tree):
    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    results = _results(response)
    assert [o.path for o in results] == sorted(o.path for o in Organization.objects.all())
    assert results[:6] == [
        tree.county,
        tree.township_a,
        tree.village_a,
        tree.group_a1,
        tree.group_a2,
        tree.organ_a,
    ]
    content = response.content.decode()
    for org, indent in [
        (tree.county, "0.0"),
        (tree.township_b, "1.5"),
        (tree.organ_b, "3.0"),
        (tree.group_b2, "4.5"),
    ]:
        assert f'<span style="padding-left:{indent}em">{org.name}</span>' in content


def test_it_shows_member_counts_on_every_row(admin_client, tree):
    MemberFactory.create_batch(2, group=tree.group_a1)
    MemberFactory(branch=tree.organ_a)
    MemberFactory(group=tree.group_b2)

    response = admin_client.get(reverse(CHANGELIST))

    expected = {
        tree.county: 4,
        tree.township_a: 3,
        tree.village_a: 2,
        tree.group_a1: 2,
        tree.group_a2: 0,
        tree.organ_a: 1,
        tree.township_b: 1,
        tree.village_b: 1,
        tree.group_b1: 0,
        tree.group_b2: 1,
        tree.organ_b: 0,
    }
    results = _results(response)
    assert {o: o.member_total for o in results} == expected
    assert _member_totals(response.content.decode()) == [str(expected[o]) for o in results]


@pytest.mark.parametrize("n", [2, 20])
def test_it_lists_organisations_in_a_constant_number_of_queries(
    admin_client, django_assert_num_queries, tree, n
):
    for _ in range(n):
        MemberFactory(branch=BranchFactory(parent=tree.township_a))
    url = reverse(CHANGELIST)

    # 1 session, 2 user, 3 count of the page's rows, 4 the page's organisations
    # with their parents joined, 5 the page's branches and the branches under
    # them, each with its members, and 6 the page's groups' members (the member
    # counts), 7-9 the session's new expiry (savepoint, update, release: idle timeout).
    with django_assert_num_queries(9):
        response = admin_client.get(url)

    assert response.status_code == 200
    results = _results(response)
    assert len(results) == 11 + n
    assert results[0].member_total == n
    assert _member_totals(response.content.decode()).count("1") == n


def test_it_filters_organisations_by_kind_and_by_live_status(admin_client, tree):
    org_dissolve(org=tree.organ_b, on=datetime.date(2024, 1, 1))

    by_kind = admin_client.get(reverse(CHANGELIST), {"kind__exact": OrgKind.TOWNSHIP})
    dissolved = admin_client.get(reverse(CHANGELIST), {"live": "0"})

    assert _results(by_kind) == [tree.township_a, tree.township_b]
    assert _results(dissolved) == [tree.organ_b]
    assert "2024-01-01 撤销" in dissolved.content.decode()


def test_it_adds_an_organisation_through_the_service(admin_client, tree):
    url = reverse("admin:branches_organization_add")
    data = admin_form_data(
        admin_client.get(url),
        kind=OrgKind.BRANCH,
        name="甲镇学校党支部",
        code="A-S",
        category=BranchCategory.INSTITUTION,
        parent=tree.township_a.pk,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Organization.objects.get(code="A-S")
    assert created.parent == tree.township_a
    assert created.path == tree.township_a.path + "0003"
    assert created.depth == 3


def test_it_refuses_an_organisation_under_a_parent_of_the_wrong_kind(admin_client, tree):
    url = reverse("admin:branches_organization_add")
    data = admin_form_data(
        admin_client.get(url),
        kind=OrgKind.GROUP,
        name="错挂党小组",
        code="BAD",
        parent=tree.township_a.pk,
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "党支部" in errors["parent"][0]
    assert not Organization.objects.filter(code="BAD").exists()


def test_it_moves_the_subtree_when_the_parent_changes(admin_client, tree):
    member = MemberFactory(group=tree.group_a2)
    url = reverse("admin:branches_organization_change", args=[tree.village_a.pk])
    data = admin_form_data(admin_client.get(url), parent=tree.township_b.pk, phone="0571-1234")

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    village = Organization.objects.get(pk=tree.village_a.pk)
    assert village.parent == tree.township_b
    assert village.path == tree.township_b.path + "0003"
    assert village.depth == 3
    assert village.phone == "0571-1234"
    groups = Organization.objects.filter(pk__in=[tree.group_a1.pk, tree.group_a2.pk])
    for group in groups:
        assert group.path.startswith(village.path)
        assert group.depth == 4
    assert set(Organization.objects.subtree(tree.township_a)) == {tree.township_a, tree.organ_a}
    member.refresh_from_db()
    assert member.branch == village


def test_it_refuses_a_new_parent_of_the_wrong_kind_in_the_admin(admin_client, tree):
    url = reverse("admin:branches_organization_change", args=[tree.village_a.pk])
    data = admin_form_data(admin_client.get(url), parent=tree.county.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    village = Organization.objects.get(pk=tree.village_a.pk)
    assert (village.parent, village.path) == (tree.township_a, tree.village_a.path)


def test_it_dissolves_the_whole_subtree_when_a_node_is_dissolved_in_the_admin(admin_client, tree):
    url = reverse("admin:branches_organization_change", args=[tree.township_a.pk])
    data = admin_form_data(admin_client.get(url), dissolved_on=datetime.date(2026, 3, 1))

    response = admin_client.post(url, data)

    assert response.status_code == 302
    dissolved = Organization.objects.subtree(tree.township_a).values_list("dissolved_on", flat=True)
    assert set(dissolved) == {datetime.date(2026, 3, 1)}
    assert Organization.objects.subtree(tree.township_b).live().count() == 5


def test_it_keeps_the_kind_of_an_existing_node_fixed(admin_client, tree):
    url = reverse("admin:branches_organization_change", args=[tree.village_a.pk])
    response = admin_client.get(url)

    assert "kind" not in response.context["adminform"].form.fields
    admin_client.post(url, {**admin_form_data(response), "kind": OrgKind.TOWNSHIP})
    assert Organization.objects.get(pk=tree.village_a.pk).kind == OrgKind.BRANCH
