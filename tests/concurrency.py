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
    Running them took most of a second each time, so the first run's rows are
    kept and written back directly after every later flush (``_Replay``).
    """
    from django.apps import apps
    from django.contrib.auth.models import Group

    global _replay
    if Group.objects.exists():
        return
    if _replay is not None:
        _replay.write()
        return
    # A test's own rows may be there already (its tree, when built before this runs):
    # they are not the functions', and are left out of what is kept.
    before = _Replay.primary_keys()
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
    import_module("activities.migrations.0023_pairings_defaults").forwards(apps, None)
    import_module("activities.migrations.0025_diary_defaults").forwards(apps, None)
    import_module("activities.migrations.0027_talks_defaults").forwards(apps, None)
    import_module("activities.migrations.0029_stations_defaults").forwards(apps, None)
    import_module("activities.migrations.0031_group_reports_defaults").forwards(apps, None)
    import_module("activities.migrations.0033_study_defaults").forwards(apps, None)
    import_module("activities.migrations.0034_ledger_corrections").forwards(apps, None)
    _replay = _Replay.capture(before)


class _Replay:
    """The rows the migrations' functions wrote into a flushed database, to write again.

    Every row that was not there before they ran is theirs, content types and
    permissions apart (a flush drops them and they are made again under new
    ids): a reference to one is kept as its natural key and looked up again
    when written.
    """

    def __init__(self, tables: list) -> None:
        self.tables = tables  # (model, attnames, natural-key fields, rows)

    @staticmethod
    def _models() -> list:
        from django.apps import apps
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType

        return [
            model
            for model in apps.get_models(include_auto_created=True)
            if model not in (ContentType, Permission)
            and not model._meta.proxy
            and model._meta.managed
        ]

    @classmethod
    def primary_keys(cls) -> dict:
        from django.db.models import QuerySet

        return {model: set(QuerySet(model).values_list("pk", flat=True)) for model in cls._models()}

    @classmethod
    def capture(cls, before: dict) -> _Replay:
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from django.db.models import QuerySet

        keyed = {ContentType: _content_type_key, Permission: _permission_key}
        tables = []
        for model in cls._models():
            fields = model._meta.concrete_fields
            rows = list(
                QuerySet(model)
                .exclude(pk__in=before[model])
                .order_by("pk")
                .values_list(*[f.attname for f in fields])
            )
            if not rows:
                continue
            natural = {
                i: keyed[f.related_model]
                for i, f in enumerate(fields)
                if f.is_relation and f.related_model in keyed
            }
            rows = [
                tuple(
                    natural[i](v) if i in natural and v is not None else v for i, v in enumerate(r)
                )
                for r in rows
            ]
            tables.append((model, [f.attname for f in fields], natural, rows))
        return cls(tables)

    def write(self) -> None:
        from django.apps import apps
        from django.contrib.auth.management import create_permissions
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType
        from django.db import transaction
        from django.db.models import QuerySet

        # The content types and permissions first, as the roles migration makes them
        # (branches 0004, leaving each app's models_module unset, so a flush's
        # post_migrate makes none).
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        ids = {
            _content_type_key: {
                (ct.app_label, ct.model): ct.pk for ct in ContentType.objects.all()
            },
            _permission_key: {
                (p.content_type.app_label, p.content_type.model, p.codename): p.pk
                for p in Permission.objects.select_related("content_type")
            },
        }
        with transaction.atomic():
            for model, attnames, natural, rows in self.tables:
                objects = [
                    model(
                        **{
                            name: ids[natural[i]][v] if i in natural and v is not None else v
                            for i, (name, v) in enumerate(zip(attnames, row, strict=True))
                        }
                    )
                    for row in rows
                ]
                # A plain queryset: the audited ones record history, which is among the rows.
                QuerySet(model).bulk_create(objects)


def _content_type_key(pk: int) -> tuple:
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get(pk=pk)
    return (ct.app_label, ct.model)


def _permission_key(pk: int) -> tuple:
    from django.contrib.auth.models import Permission

    p = Permission.objects.select_related("content_type").get(pk=pk)
    return (p.content_type.app_label, p.content_type.model, p.codename)


_replay: _Replay | None = None


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
