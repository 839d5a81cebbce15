import random
import resource
import time
from unittest.mock import patch

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from members.import_runs import import_run_request_commit, import_run_upload
from members.models import ImportRun, Member
from members.roster_parse import read_cells
from members.tasks import check_import, commit_import_task
from reports.bench.roster import bench_roster, bench_tree_and_user
from reports.demo import ensure_throwaway_database


class Command(BaseCommand):
    help = (
        "生成一份 N 行、19 列的花名册并导入 DATABASE_URL 指定的（可丢弃的）数据库，"
        "测量读取、预览、写入和端到端的速度及内存峰值。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=70_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--throwaway-db",
            metavar="NAME",
            help="DEBUG 关闭时必须给出当前数据库名，确认它可以丢弃",
        )

    def handle(self, *args, rows, seed, throwaway_db, **options):
        ensure_throwaway_database(throwaway_db)
        if Member.objects.exists():
            raise CommandError("数据库里已有党员：请用一个空的、可丢弃的数据库测量导入。")
        user = bench_tree_and_user(seed)
        data = bench_roster(rows, user, random.Random(seed))
        self.stdout.write(f"生成 {rows} 行花名册（{len(data) / 1024 / 1024:.1f} MB），开始导入…")

        # The same path as the import page's background imports: the run is
        # created, then the worker's two tasks check and write it.
        start = time.perf_counter()
        read_cells(data, "roster.xlsx")
        read_done = time.perf_counter()
        with override_settings(IMPORT_BACKGROUND_BYTES=0), self.captured_enqueues():
            run = import_run_upload(user=user, data=data, file_name="roster.xlsx")
        check_import.call(run.pk)
        run.refresh_from_db()
        preview_done = time.perf_counter()
        if run.status != ImportRun.Status.PREVIEWED or run.rows_rejected:
            raise CommandError(f"检查未通过：{run.error or run.problems[:1]}")
        with self.captured_enqueues():
            import_run_request_commit(run=run, skip_invalid=False)
        commit_import_task.call(run.pk, False)
        run.refresh_from_db()
        end = time.perf_counter()
        if run.status != ImportRun.Status.COMMITTED:
            raise CommandError(f"写入失败：{run.error}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n = run.rows_new
        self.stdout.write(
            f"import: {n} rows, read {n / (read_done - start):.0f} rows/s, "
            f"preview {n / (preview_done - read_done):.0f} rows/s, "
            f"commit {n / (end - preview_done):.0f} rows/s, "
            f"end to end {n / (end - read_done):.0f} rows/s, peak {peak:.0f} MB"
        )

    @staticmethod
    def captured_enqueues():
        """The tasks are run inline below, as the worker would: keep them off the queue."""
        return patch("django.db.transaction.on_commit", lambda callback: None)
