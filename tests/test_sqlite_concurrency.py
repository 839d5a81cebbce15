"""Writers wait for each other instead of failing with "database is locked".

On SQLite a transaction that reads before it writes used to fail at once,
whatever the busy timeout, when another connection had written meanwhile:
six clients reading pages (each request saves its session) made small import
confirmations fail with 500. The settings start every transaction with the
write lock (IMMEDIATE), in WAL mode with a busy timeout, so a writer waits
its turn. These tests run on both databases; on SQLite they are the point.
"""

from __future__ import annotations

import datetime
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from unittest.mock import patch

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from members import import_runs
from members.models import ImportRun, Member
from members.services import roster_commit
from tests.concurrency import at_once, in_thread, restore_roles, run_worker
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, id_number, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

READERS = 6
CONFIRMATIONS = 10
TIMEOUT = 60


@pytest.fixture(autouse=True)
def media(settings, tmp_path, transactional_db):
    restore_roles()
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.sqlite
def test_the_sqlite_settings_take_the_write_lock_first_and_wait_for_it():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 20
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def _roster(index: int, count: int = 3) -> bytes:
    birth = datetime.date(1980, 1, 1) + datetime.timedelta(days=10 * index)
    rows = [[f"党员{index}-{i}", id_number(birth, 2 * i + 1), "甲村党支部"] for i in range(count)]
    return xlsx([HEADER, *rows])


def _reader(client, stop: threading.Event):
    def read() -> list[int]:
        codes = []
        while not stop.is_set():
            codes.append(client.get(reverse("members:import_upload")).status_code)
        return codes

    return read


def _confirmations(client, runs, stop: threading.Event):
    def confirm_all() -> list[int]:
        try:
            url = "members:import_confirm"
            return [client.post(reverse(url, args=[run.pk])).status_code for run in runs]
        finally:
            stop.set()

    return confirm_all


def test_it_confirms_small_imports_while_six_clients_read_pages(clerk_a):
    runs = [
        import_runs.import_run_preview(user=clerk_a, data=_roster(i), file_name=f"{i}.xlsx")[0]
        for i in range(CONFIRMATIONS)
    ]
    stop = threading.Event()
    readers = [_reader(logged_in(clerk_a), stop) for _ in range(READERS)]

    results = at_once(_confirmations(logged_in(clerk_a), runs, stop), *readers)

    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert results[0] == [302] * CONFIRMATIONS
    assert all(set(codes) <= {200} for codes in results[1:])
    statuses = set(ImportRun.objects.values_list("status", flat=True))
    assert statuses == {ImportRun.Status.COMMITTED}
    assert Member.objects.count() == 3 * CONFIRMATIONS


def test_it_serves_a_page_while_a_background_import_is_being_written(clerk_a, settings):
    settings.IMPORT_BACKGROUND_BYTES = 0
    run = import_runs.import_run_upload(user=clerk_a, data=_roster(1, 50), file_name="big.xlsx")
    run_worker()
    run.refresh_from_db()
    import_runs.import_run_request_commit(run=run, skip_invalid=False)
    inside, release = threading.Event(), threading.Event()

    def held_commit(**kwargs):
        written = roster_commit(**kwargs)
        inside.set()  # the commit's transaction holds the write lock until released
        assert release.wait(TIMEOUT)
        return written

    client = logged_in(clerk_a)
    with patch("members.import_runs.roster_commit", side_effect=held_commit):
        worker = in_thread(run_worker)
        assert inside.wait(TIMEOUT)
        page = in_thread(lambda: client.get(reverse("members:import_preview", args=[run.pk])))
        if connection.vendor == "sqlite":
            # Saving the session needs the write lock: the request waits for it.
            with pytest.raises(FutureTimeout):
                page.result(timeout=0.5)
        release.set()
        worker.result(timeout=TIMEOUT)

    assert page.result(timeout=TIMEOUT).status_code == 200
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert Member.objects.count() == 50
