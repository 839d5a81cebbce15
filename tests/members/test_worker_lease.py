"""A background import held by a worker under a lease: a dead worker's run is offered
again, a live worker's run is never taken, and each run is written exactly once.

Transactional tests: the worker, its heartbeat and the sweeper use their own
connections and must see the committed rows, as in production.
"""

from __future__ import annotations

import datetime
import io
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from members import import_runs, services
from members.import_runs import import_run_claim, import_runs_sweep
from members.models import ImportRun, Member
from members.services import roster_commit
from members.tasks import check_import, commit_import_task
from tests.concurrency import restore_roles, run_worker, wait_until, workers_at_once
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, id_number, xlsx

pytestmark = pytest.mark.django_db(transaction=True)

LEASE = 2  # seconds


@pytest.fixture(autouse=True)
def background(settings, tmp_path, transactional_db):
    restore_roles()
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 0  # every upload goes to the worker
    settings.TASK_LEASE_SECONDS = LEASE


def roster(count: int, first: int = 0) -> bytes:
    """*count* new members with ID numbers no other call with another *first* repeats."""
    births = (datetime.date(1970, 1, 1) + datetime.timedelta(days=first + i) for i in range(count))
    return xlsx([HEADER, *([f"党员{i}", id_number(b), "甲村党支部"] for i, b in enumerate(births))])


def upload(user, count: int = 5, first: int = 0) -> ImportRun:
    return import_runs.import_run_upload(user=user, data=roster(count, first), file_name="big.xlsx")


def confirmed(run: ImportRun) -> ImportRun:
    """Checked by a worker and confirmed: its commit task waits in the queue."""
    run_worker()
    run.refresh_from_db()
    import_runs.import_run_request_commit(run=run, skip_invalid=False)
    run.refresh_from_db()
    return run


def die_holding(run: ImportRun) -> ImportRun:
    """What a worker killed mid-commit leaves: its task RUNNING, the run held, silent too long."""
    DBTaskResult.objects.get(pk=run.task_id).claim("killed-worker")
    held = import_run_claim(run_id=run.pk, status=ImportRun.Status.COMMITTING)
    silent_since = timezone.now() - datetime.timedelta(seconds=LEASE + 1)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=silent_since)
    held.refresh_from_db()
    return held


def test_it_offers_a_run_whose_worker_died_again_and_a_fresh_worker_completes_it(clerk_a):
    run = die_holding(confirmed(upload(clerk_a)))
    assert run.is_stalled
    client = logged_in(clerk_a)

    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()

    assert "后台处理中断" in page and "重新运行这次导入" in page
    assert '<meta http-equiv="refresh"' not in page
    run.refresh_from_db()
    assert (run.status, run.lease_token) == (ImportRun.Status.FAILED, "")
    task = DBTaskResult.objects.get(pk=run.task_id)
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "members.import_runs.WorkerLost"

    client.post(reverse("members:import_retry", args=[run.pk]))
    confirmed(run)
    run_worker()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert Member.objects.count() == 5


def test_it_marks_a_dead_workers_run_when_a_worker_starts(clerk_a):
    run = die_holding(confirmed(upload(clerk_a)))

    run_worker()

    run.refresh_from_db()
    assert (run.status, run.error) == (ImportRun.Status.FAILED, import_runs.INTERRUPTED)
    assert not DBTaskResult.objects.running().exists()


def test_it_marks_a_run_whose_worker_died_between_taking_the_task_and_the_run(clerk_a):
    run = confirmed(upload(clerk_a))
    DBTaskResult.objects.get(pk=run.task_id).claim("killed-worker")
    long_ago = timezone.now() - datetime.timedelta(seconds=LEASE + 1)
    DBTaskResult.objects.filter(pk=run.task_id).update(started_at=long_ago)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=long_ago)

    assert import_runs_sweep() == 1

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert DBTaskResult.objects.get(pk=run.task_id).status == TaskResultStatus.FAILED


def test_it_leaves_a_run_waiting_in_the_queue_alone(clerk_a):
    run = confirmed(upload(clerk_a))
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    assert import_runs_sweep() == 0  # its task is still READY: no worker is free yet

    run_worker()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED


def test_it_never_takes_a_run_whose_lease_is_live(clerk_a):
    run = upload(clerk_a)
    held = import_run_claim(run_id=run.pk, status=ImportRun.Status.CHECKING)
    # A second task for the same run (a double click, a retry from another tab).
    check_import.enqueue(run.pk)

    with pytest.raises(services.ValidationError, match="没有失败"):
        import_runs.import_run_retry(run=held)
    run_worker()

    run.refresh_from_db()
    assert (run.status, run.lease_token) == (ImportRun.Status.CHECKING, held.lease_token)
    assert import_runs_sweep() == 0
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2


def test_it_rolls_back_the_commit_of_a_worker_that_lost_its_lease(clerk_a):
    run = die_holding(confirmed(upload(clerk_a)))
    assert import_runs_sweep() == 1

    # The worker was only slow, not dead: it goes on and tries to write.
    import_runs.import_run_commit(run=run, skip_invalid=False)

    assert not Member.objects.exists()
    run.refresh_from_db()
    assert (run.status, run.error) == (ImportRun.Status.FAILED, import_runs.INTERRUPTED)


@pytest.mark.postgres  # SQLite's commit holds the one write lock: nobody can beat meanwhile
def test_it_renews_the_lease_while_a_long_commit_runs(clerk_a):
    run = confirmed(upload(clerk_a))
    beats = []

    def slow_commit(**kwargs):
        # Holds the commit open until the heartbeat has renewed the lease twice.
        first = ImportRun.objects.get(pk=run.pk).heartbeat_at
        wait_until(lambda: _renewed(run, first, beats) >= 2, timeout=4 * LEASE, what="beats")
        return roster_commit(**kwargs)

    with patch("members.import_runs.roster_commit", side_effect=slow_commit):
        run_worker()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED and Member.objects.count() == 5


def _renewed(run, first, beats) -> int:
    latest = ImportRun.objects.get(pk=run.pk).heartbeat_at
    if latest > first and latest not in beats:
        beats.append(latest)
    return len(beats)


def test_two_workers_write_each_of_several_runs_exactly_once(clerk_a):
    runs = [upload(clerk_a, count=20, first=100 * i) for i in range(4)]
    workers_at_once("worker-1", "worker-2")
    for run in runs:
        run.refresh_from_db()
        assert run.status == ImportRun.Status.PREVIEWED, run.error
        import_runs.import_run_request_commit(run=run, skip_invalid=False)
        # A second commit task for each, as if the confirmation had been sent twice.
        commit_import_task.enqueue(run.pk, False)

    with patch("members.import_runs.roster_commit", wraps=roster_commit) as spy:
        workers_at_once("worker-1", "worker-2")

    written = Counter(c.kwargs["reason"] for c in spy.call_args_list)
    assert sorted(written.values()) == [1, 1, 1, 1]
    assert Member.objects.count() == 80
    assert set(ImportRun.objects.values_list("status", flat=True)) == {"committed"}
    tasks = DBTaskResult.objects.all()
    assert {t.status for t in tasks} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(t.worker_ids) == 1 for t in tasks)


def test_the_worker_command_sweeps_and_says_so(clerk_a):
    die_holding(confirmed(upload(clerk_a)))
    out = io.StringIO()
    with patch("django_tasks_db.management.commands.db_worker.Worker.configure_signals"):
        call_command("worker", batch=True, interval=0, startup_delay=False, stdout=out)

    assert "已将 1 个中断的导入标记为失败" in out.getvalue()


# --- A real worker process, killed -------------------------------------------------
#
# The worker runs in a subprocess against the test database; a patch in that
# process stops it right after the members are inserted, inside the commit's
# transaction, and says so on stdout. The test waits for that line (no sleeps),
# kills the process and checks what is left.

ROOT = Path(settings.BASE_DIR)
STUCK_WORKER = """
import threading
from unittest.mock import patch

import django

django.setup()
from django.core.management import call_command
from members.services import roster_commit


def stuck(**kwargs):
    roster_commit(**kwargs)  # the members are inserted, not committed
    print("mid-commit", flush=True)
    threading.Event().wait()  # until killed


with patch("members.import_runs.roster_commit", side_effect=stuck):
    call_command("worker", batch=True, interval=0, startup_delay=False, reload=False)
"""


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _start_stuck_worker() -> tuple[subprocess.Popen, queue.Queue]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TASK_LEASE_SECONDS": str(LEASE),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", STUCK_WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x.strip()) for x in process.stdout], daemon=True
    ).start()
    return process, lines


@pytest.mark.postgres
def test_a_worker_killed_mid_commit_writes_nothing_and_its_run_is_offered_again(clerk_a):
    run = confirmed(upload(clerk_a, count=30))
    process, lines = _start_stuck_worker()
    try:
        # The worker says what it purged and swept first; then it stops mid-commit.
        deadline = time.monotonic() + 60
        while lines.get(timeout=max(deadline - time.monotonic(), 0.1)) != "mid-commit":
            pass
        claimed = ImportRun.objects.get(pk=run.pk)
        # Alive, though silent inside its commit: the heartbeat renews the lease.
        wait_until(
            lambda: ImportRun.objects.get(pk=run.pk).heartbeat_at > claimed.heartbeat_at,
            what="a heartbeat during the commit",
        )
        assert import_runs.import_runs_sweep() == 0
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert not Member.objects.exists()
    assert DBTaskResult.objects.get(pk=run.task_id).status == TaskResultStatus.RUNNING
    wait_until(lambda: ImportRun.objects.get(pk=run.pk).is_stalled, what="the lease to expire")
    assert import_runs.import_runs_sweep() == 1
    assert DBTaskResult.objects.get(pk=run.task_id).status == TaskResultStatus.FAILED

    run.refresh_from_db()
    import_runs.import_run_retry(run=run)
    confirmed(run)
    run_worker()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED and Member.objects.count() == 30
