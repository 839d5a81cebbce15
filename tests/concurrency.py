"""Helpers of the tests that run real threads against the database.

Each thread gets its own connection (Django's connections are per thread) and
closes it at the end, so these tests use ``django_db(transaction=True)``: the
rows a thread writes are committed and seen by the others, as in production.
Nothing here sleeps: threads meet at a barrier, and waits poll with a deadline.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from importlib import import_module
from unittest.mock import patch

from django.core.management import call_command
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

THREAD_TIMEOUT = 60


def restore_roles() -> None:
    """Recreate what the data migrations made, if a transactional test's flush dropped it.

    Transactional tests flush the database afterwards, roles included; the
    migrations' own functions put them back rather than restating the grants.
    """
    from django.apps import apps
    from django.contrib.auth.models import Group

    if not Group.objects.exists():
        import_module("branches.migrations.0004_roles").create_roles(apps, None)
        import_module("activities.migrations.0002_defaults").forwards(apps, None)
        import_module("activities.migrations.0004_points_defaults").forwards(apps, None)
        import_module("activities.migrations.0008_township_ranking_rule").forwards(apps, None)
        import_module("activities.migrations.0011_secretary_lesson_rule").forwards(apps, None)
        import_module("members.migrations.0015_transfer_grants").forwards(apps, None)
        import_module("members.migrations.0020_development_grants").forwards(apps, None)
        import_module("members.migrations.0022_dues_defaults").forwards(apps, None)
        import_module("branches.migrations.0013_terms_defaults").forwards(apps, None)
        import_module("activities.migrations.0017_assessment_defaults").forwards(apps, None)
        import_module("activities.migrations.0019_pledges_defaults").forwards(apps, None)
        import_module("activities.migrations.0021_duty_posts_defaults").forwards(apps, None)
        import_module("activities.migrations.0023_diary_defaults").forwards(apps, None)


def at_once(*calls: Callable[[], object]) -> list:
    """Run each call in its own thread, all released together; their results or exceptions.

    A thread's exception is returned in its place rather than lost, so the
    test can assert that none happened (or which one did).
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            results[index] = call()
        except BaseException as exc:  # handed back to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    return results


def in_thread(call: Callable[[], object]) -> Future:
    """Start *call* in a new thread with its own connection; its result comes as a Future."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed back to the test
            future.set_exception(exc)
        finally:
            connections.close_all()

    threading.Thread(target=run, daemon=True).start()
    return future


def wait_until(condition: Callable[[], bool], *, timeout: float = 20, what: str = "") -> None:
    """Poll *condition* until it holds; fail after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.02)


def _worker(worker_id: str) -> Callable[[], None]:
    return lambda: call_command(
        "worker",
        batch=True,
        interval=0,
        startup_delay=False,
        reload=False,
        worker_id=worker_id,
        stdout=io.StringIO(),
    )


def run_worker(worker_id: str = "worker-1") -> None:
    """The project's worker, until the queue is empty (as ``make run`` starts it)."""
    workers_at_once(worker_id)


def workers_at_once(*worker_ids: str) -> None:
    """One worker per id, each in its own thread with its own connection, until the queue is empty.

    The worker installs signal handlers, which only the main thread may do;
    they are left out (patched once here: patching in each thread would race).
    """
    with patch.object(Worker, "configure_signals"):
        if len(worker_ids) == 1:
            _worker(worker_ids[0])()
            return
        errors = [r for r in at_once(*map(_worker, worker_ids)) if isinstance(r, BaseException)]
    assert not errors, errors
