"""Every admin list exports through django-import-export: scoped, masked, Chinese, bounded.

The lists are found from the admin site, so a list added later is exported
(and checked) the day it is registered.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from openpyxl import load_workbook

from branches.scoped_admin import ScopedAdmin
from members.models import Member, PiiAccess
from tests.factories import MemberFactory, UserFactory
from tests.urlwalk import LANDLINE, MOBILE, build_world

pytestmark = pytest.mark.django_db

SCOPED_LISTS = sorted(
    (m._meta.app_label, m._meta.model_name)
    for m, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ScopedAdmin)
)


def export_url(app_label: str, model_name: str) -> str:
    return reverse(f"admin:{app_label}_{model_name}_export")


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ), response.content[:200]
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def everything_in_a(tree):
    """Every permission but personal data, at township A: what a list may show it is scoped."""
    group = Group.objects.create(name="甲镇全部权限")
    group.permissions.set(Permission.objects.exclude(codename="view_pii"))
    user = UserFactory(username="everything_a", org=tree.township_a)
    user.groups.add(group)
    return user


def test_it_finds_the_lists_the_issue_names():
    assert {
        ("branches", "organization"),
        ("members", "member"),
        ("activities", "activity"),
        ("activities", "attendance"),
        ("activities", "pointentry"),
        ("activities", "rating"),
    } <= set(SCOPED_LISTS)


@pytest.mark.parametrize(("app_label", "model_name"), SCOPED_LISTS)
def test_it_exports_each_list_scoped_with_chinese_headers(
    tree, clerk_a, clerk_b, everything_in_a, client, settings, tmp_path, app_label, model_name
):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(tree, clerk_a)
    build_world_b = MemberFactory(branch=tree.village_b, name="乙村党员")
    client.force_login(everything_in_a)
    url = export_url(app_label, model_name)

    assert client.get(url).status_code == 200
    response = client.post(url, {"format": "0", "resource": "0"})

    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    header, *body = rows_of(response)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(h)) for h in header), header
    model_admin = next(
        a for m, a in admin.site._registry.items() if m._meta.model_name == model_name
    )
    request_rows = model_admin.get_queryset(_request(everything_in_a)).count()
    assert len(body) == request_rows
    text = repr(body)
    assert build_world_b.name not in text and "乙村" not in text and "乙镇" not in text
    assert world.objects  # township A's objects exist for the list to show


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_it_masks_the_member_export_without_view_pii(tree, clerk_a, secretary_a, client, settings):
    settings.MEDIA_ROOT = "/tmp"
    build_world(tree, clerk_a)
    member = Member.objects.get(name="甲村秘密党员")
    client.force_login(secretary_a)

    header, *body = rows_of(client.post(export_url("members", "member"), {"format": "0"}))

    row = dict(zip(header, next(r for r in body if r[0] == member.name), strict=True))
    assert row["公民身份证号"] == member.id_number[:6] + "********" + member.id_number[-4:]
    assert row["出生日期"] == f"{member.birth_date.year}年"
    assert row["手机号"] == MOBILE[:3] + "****" + MOBILE[-4:]
    assert row["固定电话"] == "*********4321"
    assert LANDLINE not in repr(body) and member.id_number not in repr(body)
    assert not PiiAccess.objects.filter(action=PiiAccess.Action.EXPORT).exists()


def test_it_logs_a_whole_member_export_and_writes_csv(tree, clerk_a, clerk_a_client):
    MemberFactory(group=tree.group_a1, name="王芳", mobile_phone=MOBILE)

    response = clerk_a_client.post(export_url("members", "member"), {"format": "1"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "姓名" and rows[1][:2] == ["王芳", "甲镇党委/甲村党支部"]
    assert MOBILE in rows[1]
    assert PiiAccess.objects.get(action=PiiAccess.Action.EXPORT).detail == "后台导出党员列表 1 人"


def test_it_defuses_formulae_in_the_list_export(tree, clerk_a_client):
    MemberFactory(group=tree.group_a1, name="=HYPERLINK(1)", address="+1+1")

    header, row = rows_of(clerk_a_client.post(export_url("members", "member"), {"format": "0"}))

    assert row[0] == "'=HYPERLINK(1)"
    assert dict(zip(header, row, strict=True))["家庭住址"] == "'+1+1"


def test_it_exports_the_rows_ticked_in_the_list(tree, clerk_a_client):
    first = MemberFactory(group=tree.group_a1, name="甲一")
    MemberFactory(group=tree.group_a1, name="甲二")
    theirs = MemberFactory(branch=tree.village_b, name="乙一")
    url = export_url("members", "member")

    ticked = clerk_a_client.post(url, {"format": "0", "export_items": [first.pk]})
    smuggled = clerk_a_client.post(url, {"format": "0", "export_items": [first.pk, theirs.pk]})

    assert [r[0] for r in rows_of(ticked)[1:]] == ["甲一"]
    # Another township's row is not a choice: the form is refused, nothing is exported.
    assert smuggled["Content-Type"].startswith("text/html")
    assert "乙一" not in smuggled.content.decode()


@pytest.mark.parametrize("n", [2, 50])
def test_it_exports_the_member_list_in_a_constant_number_of_queries(
    tree, clerk_a_client, django_assert_num_queries, n
):
    for i in range(n):
        MemberFactory(group=tree.group_a1 if i % 2 else None, branch=tree.village_a)
    url = export_url("members", "member")
    clerk_a_client.get(url)  # warm the content-type cache

    # session, user with its node, the user's and its groups' permissions (2); the
    # townships of the list's filter; the branches visible and their ancestors for
    # the labels (2); the members with branch and group; the personal-data log
    # entry; the session's expiry (3).
    with django_assert_num_queries(12):
        response = clerk_a_client.post(url, {"format": "0"})

    assert len(rows_of(response)) == n + 1


@pytest.mark.parametrize("n", [2, 20])
def test_it_exports_the_tree_in_a_constant_number_of_queries(
    tree, county_client, django_assert_num_queries, n
):
    from tests.factories import BranchFactory

    for _ in range(n):
        BranchFactory(parent=tree.township_a)
    url = export_url("branches", "organization")
    county_client.get(url)

    # session, user, permissions (2), the organisations with their parents, the
    # session's expiry (3).
    with django_assert_num_queries(8):
        response = county_client.post(url, {"format": "0"})

    assert len(rows_of(response)) == 1 + 11 + n
