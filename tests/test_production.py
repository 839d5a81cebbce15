"""Running as production runs: DEBUG off, collected static files, the health check,
processes that share nothing but the database, and a backup that restores."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.views import defaults

from members.idcard import make_id_number
from members.models import ImportRun, Member
from reports.models import WorkerHeartbeat
from tests.concurrency import restore_roles
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, csv_bytes

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = {
    "default": {"BACKEND": "branches.storage.DatabaseStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 30 + "-a-long-random-production-key-0123456789",
    "ALLOWED_HOSTS": "dangjian.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dangjian",
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory, django_db_blocker):
    """The static files as `collectstatic` leaves them for production: hashed and compressed."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=MANIFEST):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("view", "status"),
    [
        (lambda r: defaults.bad_request(r, Exception()), 400),
        (lambda r: defaults.permission_denied(r, Exception()), 403),
        (lambda r: defaults.page_not_found(r, Exception()), 404),
        (defaults.server_error, 500),
    ],
)
def test_the_error_pages_render_in_chinese_with_debug_off_and_hashed_static_files(
    collected, view, status
):
    with override_settings(DEBUG=False, STATIC_ROOT=collected, STORAGES=MANIFEST):
        response = view(RequestFactory().get("/nowhere/"))
    body = response.content.decode()
    assert response.status_code == status
    assert "党建台账" in body
    if status == 500:
        return  # standalone: it must render when templates or static files are the fault
    # The stylesheet by its content-hashed name: cacheable for ever, replaced on change.
    assert "/static/css/app." in body and ".css" in body and "/static/css/app.css" not in body


@pytest.mark.django_db
def test_whitenoise_serves_static_files_with_far_future_cache_headers(collected):
    manifest = (collected / "staticfiles.json").read_text()
    hashed = next(
        name
        for name in manifest.split('"')
        if name.startswith("css/app.") and name != "css/app.css"
    )
    with override_settings(DEBUG=False, STATIC_ROOT=collected, STORAGES=MANIFEST):
        from whitenoise.middleware import WhiteNoiseMiddleware

        middleware = WhiteNoiseMiddleware(lambda request: None)
        response = middleware(RequestFactory().get(f"/static/{hashed}"))
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_health_check_answers_with_the_database_and_the_workers_last_sign_of_life():
    client = Client()
    assert client.get(reverse("health")).json() == {
        "database": "ok",
        "worker_last_seen": None,
        "worker_seconds_ago": None,
    }
    WorkerHeartbeat.beat("app1:4242")
    answer = client.get(reverse("health"))
    assert answer.status_code == 200 and answer.json()["worker_seconds_ago"] <= 1
    assert answer["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_the_health_check_says_503_when_the_database_is_unreachable():
    with patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        answer = Client().get(reverse("health"))
    assert answer.status_code == 503
    # Nothing but the verdict: no error text, no host names.
    assert answer.json() == {"database": "unreachable"}


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"DEBUG": True}, "DEBUG 是打开的"),
        ({"SECRET_KEY": "short"}, "缺少 SECRET_KEY"),
        ({"ALLOWED_HOSTS": []}, "缺少 ALLOWED_HOSTS"),
    ],
)
def test_a_production_run_refuses_to_start_without_what_it_needs(changed, message):
    ready = {"DEBUG": False, "SECRET_KEY": PRODUCTION_ENV["SECRET_KEY"], "ALLOWED_HOSTS": ["x"]}
    with override_settings(**{**ready, **changed}), pytest.raises(CommandError) as refused:
        call_command("preflight", stdout=io.StringIO())
    assert message in str(refused.value)
    if connection.vendor == "sqlite":
        assert "数据库不是 PostgreSQL" in str(refused.value)


def test_the_deployment_checklist_finds_nothing():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # As a deployment runs it: without the browser tests' async switch.
        env={k: v for k, v in {**os.environ, **PRODUCTION_ENV}.items() if "ASYNC_UNSAFE" not in k},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def _database_url() -> str:
    """The test database, for a process started beside this one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def roles(transactional_db):
    """The role groups, which an earlier transactional test's flush may have dropped."""
    restore_roles()


@pytest.mark.django_db(transaction=True)
def test_an_upload_on_one_process_is_checked_by_a_worker_with_another_media_root(
    roles, tree, clerk_a, tmp_path
):
    web, worker = tmp_path / "web-media", tmp_path / "worker-media"
    rows = [
        HEADER,
        ["周建华", make_id_number("131125", datetime.date(1971, 3, 4), 21), "甲村党支部"],
    ]
    with override_settings(MEDIA_ROOT=web, IMPORT_BACKGROUND_BYTES=0):
        client = logged_in(clerk_a)
        file = SimpleUploadedFile("花名册.csv", csv_bytes(rows))
        client.post(reverse("members:import_upload"), {"file": file})
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.QUEUED
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(worker),
        "DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run.refresh_from_db()
    assert (run.status, run.rows_new) == (ImportRun.Status.PREVIEWED, 1), run.error
    # Neither process wrote the file to its disk: it lives in the database.
    assert not any(web.rglob("*")) if web.exists() else True
    assert not worker.exists() or not any(worker.rglob("*"))
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_restore_drill_restores_a_backup_with_the_same_counts(roles, tree, clerk_a):
    from tests.factories import MemberFactory

    MemberFactory.create_batch(3, group=tree.group_a1)
    out = io.StringIO()
    call_command("restore_drill", stdout=out)
    assert f"党员：源库 {Member.objects.count()}，恢复后 {Member.objects.count()}" in out.getvalue()
    assert "恢复演练通过" in out.getvalue()
    assert settings.DATABASES["default"]["NAME"].startswith("test_")
