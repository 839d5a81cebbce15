"""The background worker to run beside the web server: ``db_worker`` with the project's
housekeeping – uploads past their retention deleted, dead workers' imports offered again."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.core.management import call_command
from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker

from members.import_runs import import_runs_sweep
from members.models import ImportRun
from reports.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class Command(db_worker.Command):
    help = (
        "运行后台任务进程（参数与 db_worker 相同）。启动时先删除保存期限已到的上传文件"
        "（purge_uploads）；启动时及运行期间每半个租约期，把后台进程已停止的花名册导入"
        "标记为“处理中断”，可重新运行。"
    )

    def handle(self, *args, **options) -> None:
        # Uploaded rosters must not outlive their retention while the site runs
        # without cron: each start of the worker purges first.
        call_command("purge_uploads", stdout=self.stdout, verbosity=options["verbosity"])
        # Likewise the month's dues ledger and the arrears deductions (daily from cron too).
        call_command("dues_open", stdout=self.stdout, verbosity=options["verbosity"])
        name = f"{socket.gethostname()}:{os.getpid()}"
        WorkerHeartbeat.beat(name)
        swept = import_runs_sweep()
        if swept:
            self.stdout.write(f"已将 {swept} 个中断的导入标记为失败，可重新运行。")
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_until, args=(stop, name), name="sweep", daemon=True
        )
        sweeper.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            sweeper.join()


def _sweep_until(stop: threading.Event, name: str) -> None:
    # The library's loop has no hook: a thread with its own connection sweeps
    # while the worker runs, so a sibling worker's death is noticed here too,
    # and reports this worker alive for /health/.
    try:
        while not stop.wait(ImportRun.lease().total_seconds() / 2):
            try:
                WorkerHeartbeat.beat(name)
                import_runs_sweep()
            except DatabaseError:
                logger.exception("sweeping interrupted imports failed; trying again later")
    finally:
        connections.close_all()
