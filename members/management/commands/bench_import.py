import datetime
import io
import random
import resource
import time
from unittest.mock import patch

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from openpyxl import Workbook

from branches.models import Organization, OrgKind, User
from members.idcard import make_id_number
from members.models import ImportRun, Member
from members.roster_columns import COLUMNS
from members.roster_import import BranchIndex, read_cells
from members.services import import_run_request_commit, import_run_upload
from members.tasks import check_import, commit_import_task
from reports.demo import DemoBuilder, ensure_throwaway_database


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
        user = self._tree_and_user(seed)
        data = self._roster(rows, user, random.Random(seed))
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

    def _tree_and_user(self, seed) -> User:
        if not Organization.objects.filter(kind=OrgKind.BRANCH).exists():
            builder = DemoBuilder(scale="city", seed=seed)
            county = builder._org(None, 1, OrgKind.COUNTY, "安平县委", "安平县", "", "C001")
            Organization.objects.bulk_create([county], audit=False)
            builder._branches_and_groups(builder._townships(county))
        user, _ = User.objects.get_or_create(
            username="bench_import", defaults={"is_superuser": True}
        )
        return user

    def _roster(self, rows: int, user, rng: random.Random) -> bytes:
        index = BranchIndex(user)
        branches = [(index.label(b), b) for b in index.branches]
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("花名册")
        sheet.append(["某县党员花名册（基准测试）"])
        headers = [c.header for c in COLUMNS][:19]
        sheet.append(headers)
        used = set()
        for i in range(rows):
            label, branch = branches[i % len(branches)]
            birth = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            while True:
                seq = rng.randrange(1000)
                number = make_id_number("131125", datetime.date.fromisoformat(birth), seq)
                if number not in used:
                    used.add(number)
                    break
            values = {
                "name": f"党员{i:05d}",
                "branch": label,
                "id_number": number,
                "sex": "男" if seq % 2 else "女",
                "ethnicity": "汉族",
                "birth_date": birth,
                "education": "高中",
                "category": "正式党员",
                "joined_on": "2010-07-01",
                "full_member_on": "2011-07-01",
                "occupation": "农牧渔民",
                "mobile_phone": f"138{i:08d}",
                "landline": "",
                "address": f"{branch.name}{i}号",
                "party_status": "正常",
                "lost_contact": "否",
                "lost_contact_on": "",
                "is_mobile": "否",
                "mobile_destination": "",
            }
            sheet.append([values.get(c.field, "") for c in COLUMNS][:19])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
