"""The access matrix through the admin, with Django's test client.

In scope → the page; out of scope (sibling township, ancestor) → the admin's
not-found redirect, before any permission check; in scope without the
permission → 403; anonymous → the login page; personal data masked for
roles without ``members.view_pii``, and every whole look logged.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import quote

import pytest
from django.urls import reverse

from branches.models import Organization
from members.models import Member, PiiAccess
from members.services import member_update
from tests.adminforms import admin_form_data
from tests.factories import BranchFactory, MemberFactory

pytestmark = pytest.mark.django_db

ADMIN_INDEX = "/admin/"
CHANGELIST = "admin:members_member_changelist"
NUMBER_A = "11010519491231002X"
MASKED_A = "110105********002X"
NUMBER_B = "110105195003070019"


@pytest.fixture
def wang(tree):
    """A member of township A with a known ID number."""
    return MemberFactory(name="王芳", id_number=NUMBER_A, group=tree.group_a1)


@pytest.fixture
def zhao(tree):
    """A member of township B with a known ID number."""
    return MemberFactory(name="赵乙民", id_number=NUMBER_B, branch=tree.organ_b)


def _results(response):
    return list(response.context["cl"].result_list)


# --- lists ---------------------------------------------------------------------------


def test_it_lists_only_township_a_members_to_clerk_a(clerk_a_client, tree, wang, zhao):
    in_organ_a = MemberFactory(name="钱甲机", branch=tree.organ_a)

    response = clerk_a_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert set(_results(response)) == {wang, in_organ_a}
    content = response.content.decode()
    assert "王芳" in content
    assert "赵乙民" not in content
    assert zhao.id_number_masked not in content
    # The township filter offers A alone.
    assert tree.township_a.name in content
    assert tree.township_b.name not in content


def test_it_lists_only_the_village_branch_to_its_secretary(secretary_a_client, tree, wang):
    MemberFactory(name="钱甲机", branch=tree.organ_a)

    response = secretary_a_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert _results(response) == [wang]
    assert "钱甲机" not in response.content.decode()


# --- out of scope: the not-found redirect ----------------------------------------------


def _member_urls(member):
    version = member.history.order_by("history_id").first().history_id
    return [
        reverse("admin:members_member_change", args=[member.pk]),
        reverse("admin:members_member_delete", args=[member.pk]),
        reverse("admin:members_member_history", args=[member.pk]),
        reverse("admin:members_member_simple_history", args=[member.pk, version]),
    ]


@pytest.mark.parametrize("index", range(4), ids=["change", "delete", "history", "version"])
def test_it_answers_a_member_of_another_township_as_not_found(clerk_a_client, zhao, index):
    url = _member_urls(zhao)[index]

    response = clerk_a_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX
    followed = clerk_a_client.get(response["Location"])
    body = followed.content.decode()
    assert followed.status_code == 200
    assert "赵乙民" not in body
    assert NUMBER_B not in body
    assert zhao.id_number_masked not in body


@pytest.mark.parametrize("index", range(3), ids=["change", "delete", "history"])
def test_it_changes_nothing_when_a_member_of_another_township_is_posted(
    clerk_a_client, zhao, index
):
    url = _member_urls(zhao)[index]

    response = clerk_a_client.post(url, {"name": "改名", "post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX
    zhao.refresh_from_db()
    assert zhao.name == "赵乙民"


@pytest.mark.parametrize("node", ["county", "township_b", "village_b"])
def test_it_answers_an_ancestor_or_sibling_organisation_as_not_found(clerk_a_client, tree, node):
    org = getattr(tree, node)

    response = clerk_a_client.get(reverse("admin:branches_organization_change", args=[org.pk]))

    assert response.status_code == 302
    assert response["Location"] == ADMIN_INDEX


# --- in scope without the permission: 403 -----------------------------------------------


def test_it_forbids_clerk_a_to_change_its_own_township(clerk_a_client, tree):
    url = reverse("admin:branches_organization_change", args=[tree.township_a.pk])
    before = Organization.objects.get(pk=tree.township_a.pk)

    opened = clerk_a_client.get(url)
    response = clerk_a_client.post(
        url,
        {
            "name": "改名镇党委",
            "code": tree.township_a.code,
            "phone": "0571-0000",
            "sort_order": 0,
            "posts-TOTAL_FORMS": 0,
            "posts-INITIAL_FORMS": 0,
        },
    )

    assert opened.status_code == 200  # viewing is allowed, read-only
    assert response.status_code == 403
    after = Organization.objects.get(pk=tree.township_a.pk)
    assert (after.name, after.phone) == (before.name, before.phone)
    assert not after.history.filter(history_type="~").exists()


def test_it_forbids_the_secretary_to_change_a_member_in_its_branch(secretary_a_client, wang):
    url = reverse("admin:members_member_change", args=[wang.pk])

    response = secretary_a_client.post(url, {"name": "改名"})

    assert response.status_code == 403
    wang.refresh_from_db()
    assert wang.name == "王芳"


# --- personal data ----------------------------------------------------------------------


def test_it_masks_the_id_number_for_the_secretary(secretary_a_client, wang):
    response = secretary_a_client.get(reverse("admin:members_member_change", args=[wang.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert wang.id_number_masked == MASKED_A
    assert MASKED_A in content
    assert NUMBER_A not in content
    assert "id_number" not in response.context["adminform"].form.fields


def test_it_shows_the_whole_id_number_to_the_clerk(clerk_a_client, wang):
    response = clerk_a_client.get(reverse("admin:members_member_change", args=[wang.pk]))

    assert response.status_code == 200
    assert response.context["adminform"].form["id_number"].value() == NUMBER_A
    assert NUMBER_A in response.content.decode()


def test_it_masks_id_numbers_in_the_history_for_the_secretary(secretary_a_client, wang):
    corrected = "110105194912310046"
    member_update(member=wang, id_number=corrected)

    response = secretary_a_client.get(reverse("admin:members_member_history", args=[wang.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    # The changes column shows the old and the new number, both masked.
    assert MASKED_A in content
    assert "110105********0046" in content
    assert NUMBER_A not in content
    assert corrected not in content


def test_it_closes_a_past_version_to_the_secretary(secretary_a_client, wang):
    version = wang.history.first().history_id
    url = reverse("admin:members_member_simple_history", args=[wang.pk, version])

    response = secretary_a_client.get(url)

    assert response.status_code == 403
    assert NUMBER_A not in response.content.decode()


def test_it_logs_the_clerk_opening_a_member_page(clerk_a_client, clerk_a, wang):
    response = clerk_a_client.get(reverse("admin:members_member_change", args=[wang.pk]))

    assert response.status_code == 200
    log = PiiAccess.objects.get()
    assert (log.user, log.member, log.action) == (clerk_a, wang, PiiAccess.Action.VIEW)


def test_it_logs_nothing_for_the_secretary_who_sees_masked_numbers(secretary_a_client, wang):
    response = secretary_a_client.get(reverse("admin:members_member_change", args=[wang.pk]))

    assert response.status_code == 200
    assert not PiiAccess.objects.exists()


def test_it_logs_nothing_for_a_member_out_of_scope(clerk_a_client, zhao):
    clerk_a_client.get(reverse("admin:members_member_change", args=[zhao.pk]))

    assert not PiiAccess.objects.exists()


# --- anonymous and wrong methods ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/members/member/",
        "/admin/branches/organization/",
        "/admin/branches/user/",
    ],
)
def test_it_sends_anonymous_visitors_to_the_login_page(client, tree, url):
    response = client.get(url, follow=True)

    # The admin's own login page hands over to the front door's.
    final, status = response.redirect_chain[-1]
    assert status == 302
    assert final == f"/accounts/login/?next={quote(url, safe='')}"
    assert response.status_code == 200
    assert "登录党建台账" in response.content.decode()


def test_it_sends_an_anonymous_visitor_of_a_member_page_to_the_login_page(client, wang):
    url = reverse("admin:members_member_change", args=[wang.pk])

    response = client.get(url, follow=True)

    assert response.redirect_chain[-1][0] == f"/accounts/login/?next={quote(url, safe='')}"
    assert "王芳" not in response.content.decode()


@pytest.mark.parametrize("who", ["clerk_a_client", "admin_client"])
def test_it_refuses_to_revert_a_member_from_its_history(request, wang, who):
    client = request.getfixturevalue(who)
    member_update(member=wang, address="幸福村3组")
    first = wang.history.order_by("history_id").first()
    url = reverse("admin:members_member_simple_history", args=[wang.pk, first.history_id])

    response = client.post(url, {"name": "回滚", "address": ""})

    assert response.status_code == 405
    wang.refresh_from_db()
    assert (wang.name, wang.address) == ("王芳", "幸福村3组")


# --- choices ------------------------------------------------------------------------------


def test_it_offers_clerk_a_only_township_a_branches_in_the_member_form(clerk_a_client, tree, wang):
    for url in (
        reverse("admin:members_member_add"),
        reverse("admin:members_member_change", args=[wang.pk]),
    ):
        response = clerk_a_client.get(url)

        form = response.context["adminform"].form
        assert set(form.fields["branch"].queryset) == {tree.village_a, tree.organ_a}
        assert set(form.fields["group"].queryset) == {tree.group_a1, tree.group_a2}


def test_it_refuses_a_forged_branch_of_another_township(clerk_a_client, tree):
    url = reverse("admin:members_member_add")
    data = admin_form_data(
        clerk_a_client.get(url),
        name="伪造",
        id_number="110105198001010016",
        branch=tree.village_b.pk,
        joined_on=datetime.date(2020, 1, 1),
    )

    response = clerk_a_client.post(url, data)

    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    assert not Member.objects.filter(name="伪造").exists()


def _autocomplete(client, field, term):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "members", "model_name": "member", "field_name": field, "term": term},
    )
    assert response.status_code == 200
    return [(r["id"], r["text"]) for r in json.loads(response.content)["results"]]


def test_it_autocompletes_only_township_a_branches_for_clerk_a(clerk_a_client, tree):
    # 村 matches both village branches and all four groups; A's branch alone is offered.
    assert _autocomplete(clerk_a_client, "branch", "村") == [
        (str(tree.village_a.pk), tree.village_a.name)
    ]
    assert {t for _, t in _autocomplete(clerk_a_client, "group", "村")} == {
        tree.group_a1.name,
        tree.group_a2.name,
    }


def test_it_autocompletes_every_township_for_the_county(county_client, tree):
    assert {t for _, t in _autocomplete(county_client, "branch", "村")} == {
        tree.village_a.name,
        tree.village_b.name,
    }


# --- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 20])
def test_it_lists_clerk_a_members_in_a_constant_number_of_queries(
    clerk_a_client, django_assert_num_queries, tree, n
):
    for i in range(n):
        if i % 2:
            MemberFactory(group=tree.group_a1)
        else:
            MemberFactory(branch=tree.organ_a)
    MemberFactory(branch=tree.organ_b)
    url = reverse(CHANGELIST)

    # 1 session, 2 user with its node, 3 the user's own permissions and
    # 4 its groups' permissions (has_perm), 5 townships for the filter,
    # 6 count of the page's rows, 7 the page's members with branch and group
    # joined, 8 the branches' ancestors for their labels, 9-11 the session's
    # new expiry (savepoint, update, release: idle timeout).
    with django_assert_num_queries(11):
        response = clerk_a_client.get(url)

    assert response.status_code == 200
    assert len(_results(response)) == n


@pytest.mark.parametrize("n", [2, 20])
def test_it_lists_clerk_a_organisations_in_a_constant_number_of_queries(
    clerk_a_client, django_assert_num_queries, tree, n
):
    for _ in range(n):
        MemberFactory(branch=BranchFactory(parent=tree.township_a))
    BranchFactory(parent=tree.township_b)
    url = reverse("admin:branches_organization_changelist")

    # 1 session, 2 user with its node, 3 the user's own permissions and
    # 4 its groups' permissions, 5 count of the page's rows, 6 paths of
    # branches and groups and 7 members grouped by branch and group (the
    # member counts), 8 the page's organisations with their parents,
    # 9-11 the session's new expiry.
    with django_assert_num_queries(11):
        response = clerk_a_client.get(url)

    assert response.status_code == 200
    results = _results(response)
    assert len(results) == 5 + n
    assert results[0] == tree.township_a
    assert results[0].member_total == n
    assert tree.township_b.name not in response.content.decode()


# --- searching and filtering by personal data -----------------------------------------


def test_it_finds_nobody_by_whole_numbers_for_the_secretary(secretary_a_client, wang):
    member_update(member=wang, mobile_phone="13912345678")

    for term in (NUMBER_A, "13912345678"):
        response = secretary_a_client.get(reverse(CHANGELIST), {"q": term})
        assert response.status_code == 200
        assert _results(response) == [], term
    assert _results(secretary_a_client.get(reverse(CHANGELIST), {"q": "王芳"})) == [wang]
    assert not PiiAccess.objects.exists()


def test_it_finds_by_whole_numbers_for_the_clerk_and_logs_each_search(clerk_a_client, wang):
    member_update(member=wang, mobile_phone="13912345678")

    by_id = clerk_a_client.get(reverse(CHANGELIST), {"q": NUMBER_A})
    by_phone = clerk_a_client.get(reverse(CHANGELIST), {"q": "139 1234 5678"})

    assert _results(by_id) == [wang] and _results(by_phone) == [wang]
    details = sorted(
        PiiAccess.objects.filter(action=PiiAccess.Action.SEARCH).values_list("detail", flat=True)
    )
    assert details == [
        "按手机号查找 139****5678，找到 1 人",
        f"按身份证号查找 {MASKED_A}，找到 1 人",
    ]


def test_it_searches_the_autocomplete_by_name_only_for_the_secretary(secretary_a_client, wang):
    url = reverse("admin:autocomplete")
    params = {"app_label": "activities", "model_name": "pointentry", "field_name": "member"}

    by_number = secretary_a_client.get(url, {**params, "term": NUMBER_A})
    by_name = secretary_a_client.get(url, {**params, "term": "王芳"})

    assert json.loads(by_number.content)["results"] == []
    assert [r["text"] for r in json.loads(by_name.content)["results"]] == ["王芳"]


@pytest.mark.parametrize(
    "query",
    [
        {"id_number__startswith": "1101051949"},
        {"id_number": NUMBER_A},
        {"mobile_phone": "13912345678"},
        {"birth_date__month": "12"},
        {"landline__endswith": "4567"},
    ],
)
def test_it_refuses_to_filter_on_personal_data_for_the_secretary(
    secretary_a_client, clerk_a_client, wang, query
):
    # The query string can filter on any field: without view_pii it would read
    # the masked digits one at a time.
    assert secretary_a_client.get(reverse(CHANGELIST), query).status_code == 400
    assert clerk_a_client.get(reverse(CHANGELIST), query).status_code == 200


def test_it_shows_the_birth_year_only_to_the_secretary(secretary_a_client, wang):
    response = secretary_a_client.get(reverse("admin:members_member_change", args=[wang.pk]))

    content = response.content.decode()
    assert "1949年" in content
    assert "1949年12月31日" not in content and "1949/12/31" not in content
    assert "1949-12-31" not in content


def test_it_masks_birth_dates_and_landlines_in_the_history(secretary_a_client, wang):
    member_update(member=wang, landline="0311-87654321")

    response = secretary_a_client.get(reverse("admin:members_member_history", args=[wang.pk]))

    content = response.content.decode()
    assert "0311-87654321" not in content and "*********4321" in content
