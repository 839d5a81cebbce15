"""Pages and files of personal data are never stored by a browser's or a proxy's cache."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from activities.models import ActivityKind, Attachment
from activities.services import Mark, activity_log
from branches.audit import acting_as
from branches.uploads import upload_keep
from members.models import ImportRun
from tests.conftest import logged_in
from tests.factories import MemberFactory
from tests.members.roster_helpers import HEADER, csv_bytes, id_number

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


def assert_no_store(response):
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response), response.get("Cache-Control")
    assert "public" not in directives(response)


@pytest.fixture
def member(tree):
    return MemberFactory(group=tree.group_a1)


def test_it_keeps_member_pages_out_of_caches(clerk_a, member):
    client = logged_in(clerk_a)

    assert_no_store(client.get(reverse("activities:member_attendance", args=[member.pk])))
    assert_no_store(client.get(reverse("admin:members_member_change", args=[member.pk])))


def test_it_keeps_exports_out_of_caches(clerk_a, member):
    client = logged_in(clerk_a)

    assert_no_store(client.get(reverse("members:roster_export")))
    assert_no_store(client.get(reverse("members:roster_export"), {"format": "csv"}))


def test_it_keeps_the_import_preview_out_of_caches(clerk_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = csv_bytes([HEADER, ["张三", id_number(), "甲村党支部"]])
    run = ImportRun.objects.create(
        user=clerk_a,
        upload=upload_keep(user=clerk_a, purpose="roster", data=data, file_name="花名册.csv"),
        status=ImportRun.Status.PREVIEWED,
        rows_new=1,
    )

    assert_no_store(logged_in(clerk_a).get(reverse("members:import_preview", args=[run.pk])))


def test_it_keeps_file_downloads_out_of_caches(tree, clerk_a, member, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with acting_as(clerk_a):
        activity = activity_log(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2025, 6, 3),
            marks=[Mark(member.pk, "present")],
            recorded_by=clerk_a,
            topic="学习党章",
        )
    attachment = Attachment.objects.create(
        activity=activity,
        file=ContentFile(b"%PDF-1.4 sheet", name="sheet.pdf"),
        original_name="签到表.pdf",
        content_type="application/pdf",
        size=14,
        uploaded_by=clerk_a,
    )

    response = logged_in(clerk_a).get(
        reverse("activities:attachment_download", args=[attachment.pk])
    )

    assert_no_store(response)


def test_it_leaves_anonymous_answers_and_static_files_alone(clerk_a):
    # (The login page itself is never cached: Django's own never_cache.)
    anonymous = Client().get(reverse("home"))
    static = logged_in(clerk_a).get("/static/reports/js/reports.js")

    assert anonymous.status_code == 302
    assert "no-store" not in directives(anonymous)
    assert "no-store" not in directives(static)
