import datetime
import io
import random
import resource
import time

from django.core.management.base import BaseCommand, CommandError
from openpyxl import Workbook

from branches.models import Organization, OrgKind, User
from members.idcard import make_id_number
from members.models import Member
from members.roster_columns import COLUMNS
from members.roster_import import BranchIndex, commit_import, plan_import, read_cells
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

        start = time.perf_counter()
        cells = read_cells(data, "roster.xlsx")
        read_done = time.perf_counter()
        plan = plan_import(data=data, filename="roster.xlsx", user=user, cells=cells)
        preview_done = time.perf_counter()
        if plan.count("rejected"):
            raise CommandError(f"{plan.count('rejected')} 行被拒绝：{plan.problems[0]}")
        commit_import(plan=plan, user=user, skip_invalid=False, reason="bench_import")
        end = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n = len(plan.rows)
        self.stdout.write(
            f"import: {n} rows, read {n / (read_done - start):.0f} rows/s, "
            f"preview {n / (preview_done - read_done):.0f} rows/s, "
            f"commit {n / (end - preview_done):.0f} rows/s, "
            f"end to end {n / (end - start):.0f} rows/s, peak {peak:.0f} MB"
        )

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
