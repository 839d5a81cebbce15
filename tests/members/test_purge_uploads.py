"""Uploaded spreadsheets are deleted when their time is up; the import records stay.

Time travel: the runs' dates (and the files' modification times) are set in
the past, then ``purge_uploads`` runs at today's date.
"""

from __future__ import annotations

import datetime
import os
from importlib import import_module
from io import StringIO
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from members.models import ImportRun
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, csv_bytes, id_number

pytestmark = pytest.mark.django_db

Status = ImportRun.Status
ROSTER = csv_bytes([HEADER, ["张三", id_number(), "甲村党支部"], ["李四", "坏号码", "甲村党支部"]])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_RETENTION_DAYS = 7


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def make_run(user, status, **dates) -> ImportRun:
    run = ImportRun.objects.create(
        user=user,
        file=ContentFile(ROSTER, name="roster.csv"),
        file_name="甲镇花名册.csv",
        file_sha256="a" * 64,
        status=status,
        rows_new=1,
        rows_rejected=1,
        problems=["第3行「公民身份证号」：坏号码"],
    )
    # auto_now_add ignores a value given to create(); an update sets the past.
    ImportRun.objects.filter(pk=run.pk).update(**dates)
    run.refresh_from_db()
    return run


def purge() -> str:
    out = StringIO()
    call_command("purge_uploads", stdout=out)
    return out.getvalue()


def stored(run: ImportRun) -> bool:
    return default_storage.exists(run.file.name)


def age_file(name: str, days: float) -> None:
    stamp = days_ago(days).timestamp()
    os.utime(default_storage.path(name), (stamp, stamp))


def test_it_deletes_a_committed_roster_after_the_retention_and_keeps_the_record(tree, clerk_a):
    old = make_run(clerk_a, Status.COMMITTED, created_at=days_ago(9), committed_at=days_ago(8))
    recent = make_run(clerk_a, Status.COMMITTED, created_at=days_ago(7), committed_at=days_ago(6))
    name = old.file.name

    output = purge()

    old.refresh_from_db()
    assert not old.file and not default_storage.exists(name)
    assert (old.file_name, old.file_sha256, old.rows_new, old.user) == (
        "甲镇花名册.csv",
        "a" * 64,
        1,
        clerk_a,
    )
    assert stored(recent)
    assert "已删除 1 个花名册导入文件" in output


def test_it_counts_a_failed_import_from_its_failure(tree, clerk_a):
    old = make_run(clerk_a, Status.FAILED, created_at=days_ago(20), heartbeat_at=days_ago(8))
    recent = make_run(clerk_a, Status.FAILED, created_at=days_ago(20), heartbeat_at=days_ago(2))

    purge()

    old.refresh_from_db()
    assert not old.file
    assert stored(recent)


def test_it_deletes_an_unconfirmed_upload_after_one_day(tree, clerk_a):
    old = make_run(clerk_a, Status.PREVIEWED, created_at=days_ago(1.1))
    fresh = make_run(clerk_a, Status.PREVIEWED, created_at=days_ago(0.5))
    stalled = make_run(clerk_a, Status.CHECKING, created_at=days_ago(3), heartbeat_at=days_ago(2))
    working = make_run(clerk_a, Status.COMMITTING, created_at=days_ago(3), heartbeat_at=days_ago(0))

    purge()

    for run in (old, stalled):
        run.refresh_from_db()
        assert not run.file
    assert stored(fresh) and stored(working)


def test_it_follows_the_retention_setting(tree, clerk_a, settings):
    settings.IMPORT_RETENTION_DAYS = 30
    run = make_run(clerk_a, Status.COMMITTED, created_at=days_ago(9), committed_at=days_ago(8))

    purge()

    assert stored(run)


def test_it_deletes_tree_sheets_after_one_day_and_stray_roster_files(tree, clerk_a):
    kept_run = make_run(clerk_a, Status.COMMITTED, committed_at=days_ago(1))
    age_file(kept_run.file.name, 3)
    old_tree = default_storage.save("tree_imports/old.xlsx", ContentFile(b"old"))
    new_tree = default_storage.save("tree_imports/new.xlsx", ContentFile(b"new"))
    stray = default_storage.save("imports/stray.csv", ContentFile(ROSTER))
    for name in (old_tree, stray):
        age_file(name, 2)

    output = purge()

    assert not default_storage.exists(old_tree) and not default_storage.exists(stray)
    assert default_storage.exists(new_tree) and stored(kept_run)
    assert "1 个组织树表格、1 个无记录的上传文件" in output


def test_it_clears_expired_sessions_with_their_tree_tokens(tree):
    store = import_module(django_settings.SESSION_ENGINE).SessionStore()
    store["tree_imports"] = {"token": "tree_imports/token.xlsx"}
    store.set_expiry(-1)
    store.create()
    key = store.session_key
    store.save()

    purge()

    assert not store.exists(key)


# --- pages of a purged run -----------------------------------------------------------------


@pytest.fixture
def purged_run(tree, clerk_a) -> ImportRun:
    run = make_run(clerk_a, Status.PREVIEWED, created_at=days_ago(2))
    purge()
    run.refresh_from_db()
    assert not run.file
    return run


def test_it_says_on_the_preview_that_the_file_was_deleted(purged_run, clerk_a):
    page = logged_in(clerk_a).get(reverse("members:import_preview", args=[purged_run.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "已按保存期限删除" in content
    assert reverse("members:import_confirm", args=[purged_run.pk]) not in content
    assert reverse("members:import_rejected", args=[purged_run.pk]) not in content


@pytest.mark.parametrize(
    ("name", "method"),
    [("import_rejected", "get"), ("import_confirm", "post"), ("import_retry", "post")],
)
def test_it_answers_a_purged_file_with_a_message(purged_run, clerk_a, name, method):
    client = logged_in(clerk_a)
    url = reverse(f"members:{name}", args=[purged_run.pk])

    response = getattr(client, method)(url, follow=True)

    assert response.status_code == 200
    assert "上传的文件已按保存期限删除" in response.content.decode()
    purged_run.refresh_from_db()
    assert purged_run.status == Status.PREVIEWED


def test_it_answers_a_tree_sheet_deleted_before_confirmation(tree, county_user):
    client = logged_in(county_user)
    export = client.get(reverse("tree_export")).content
    preview = client.post(reverse("tree_import"), {"file": SimpleUploadedFile("tree.xlsx", export)})
    token = preview.context["token"]
    for name in default_storage.listdir("tree_imports")[1]:
        age_file(f"tree_imports/{name}", 2)
    purge()

    response = client.post(reverse("tree_import"), {"token": token}, follow=True)

    assert response.status_code == 200
    assert "已被删除，请重新上传" in response.content.decode()


# --- the worker purges when it starts -------------------------------------------------------


def test_it_purges_when_the_worker_starts(tree, clerk_a):
    run = make_run(clerk_a, Status.COMMITTED, committed_at=days_ago(8))
    name = run.file.name
    out = StringIO()

    # The worker drops connections it finds inside a transaction (the test's own).
    with patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("worker", batch=True, interval=0.01, reload=False, stdout=out)

    assert not Path(default_storage.path(name)).exists()
    assert "已删除 1 个花名册导入文件" in out.getvalue()
