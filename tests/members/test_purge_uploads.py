"""Uploaded spreadsheets are deleted when their time is up; the import records stay.

Time travel: the runs' and uploads' dates (and the stored files' times) are
set in the past, then ``purge_uploads`` runs at today's date.
"""

from __future__ import annotations

import datetime
import hashlib
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from branches.models import StoredFile, Upload
from branches.uploads import upload_keep
from members.models import ImportRun
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, csv_bytes, id_number

pytestmark = pytest.mark.django_db

Status = ImportRun.Status
ROSTER = csv_bytes([HEADER, ["张三", id_number(), "甲村党支部"], ["李四", "坏号码", "甲村党支部"]])


@pytest.fixture(autouse=True)
def retention(settings):
    settings.IMPORT_RETENTION_DAYS = 7


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def make_run(user, status, **dates) -> ImportRun:
    upload = upload_keep(
        user=user, purpose=Upload.Purpose.ROSTER, data=ROSTER, file_name="甲镇花名册.csv"
    )
    run = ImportRun.objects.create(
        user=user,
        upload=upload,
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
    StoredFile.objects.filter(name=name).update(created_at=days_ago(days))


def test_it_deletes_a_committed_roster_after_the_retention_and_keeps_the_record(tree, clerk_a):
    old = make_run(clerk_a, Status.COMMITTED, created_at=days_ago(9), committed_at=days_ago(8))
    recent = make_run(clerk_a, Status.COMMITTED, created_at=days_ago(7), committed_at=days_ago(6))
    name = old.file.name

    output = purge()

    old.refresh_from_db()
    assert not old.file and not default_storage.exists(name)
    assert (old.file_name, old.upload.sha256, old.rows_new, old.user) == (
        "甲镇花名册.csv",
        hashlib.sha256(ROSTER).hexdigest(),
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


def tree_upload(user, days: float) -> Upload:
    upload = upload_keep(user=user, purpose=Upload.Purpose.TREE, data=b"tree", file_name="树.xlsx")
    Upload.objects.filter(pk=upload.pk).update(created_at=days_ago(days))
    return upload


def test_it_deletes_tree_sheets_after_one_day_and_stray_files(tree, clerk_a, county_user):
    kept_run = make_run(clerk_a, Status.COMMITTED, committed_at=days_ago(1))
    age_file(kept_run.file.name, 3)
    old_tree, new_tree = tree_upload(county_user, 2), tree_upload(county_user, 0.5)
    stray = default_storage.save("uploads/stray.csv", ContentFile(ROSTER))
    legacy = default_storage.save("imports/legacy.csv", ContentFile(ROSTER))
    for name in (stray, legacy):
        age_file(name, 2)

    output = purge()

    old_tree.refresh_from_db()
    assert old_tree.is_purged and old_tree.file_name == "树.xlsx"
    assert not default_storage.exists(stray) and not default_storage.exists(legacy)
    assert default_storage.exists(new_tree.file.name) and stored(kept_run)
    assert "1 个组织树表格、0 个未确认的积极分子花名册、2 个无记录的上传文件" in output


def test_it_deletes_an_unconfirmed_activist_roster_after_one_day(tree, clerk_a):
    # Checked on the 积极分子花名册 import and never confirmed: no import run holds it.
    old, new = (
        upload_keep(user=clerk_a, purpose=Upload.Purpose.ROSTER, data=b"x", file_name=f"{n}.csv")
        for n in ("旧", "新")
    )
    Upload.objects.filter(pk=old.pk).update(created_at=days_ago(2))
    kept_run = make_run(clerk_a, Status.PREVIEWED, created_at=days_ago(0.5))

    output = purge()

    old.refresh_from_db()
    assert old.is_purged and default_storage.exists(new.file.name) and stored(kept_run)
    assert "1 个未确认的积极分子花名册" in output


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
    upload = preview.context["upload"]
    Upload.objects.filter(pk=upload.pk).update(created_at=days_ago(2))
    purge()

    response = client.post(reverse("tree_import"), {"upload": upload.pk}, follow=True)

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

    assert not default_storage.exists(name)
    assert "已删除 1 个花名册导入文件" in out.getvalue()
