import statistics
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from branches.models import User
from config.gc import tune as tune_gc
from members.models import Member
from reports.bench.pages import EXPORTS, PAGES
from reports.demo import ensure_throwaway_database

# Roughly how many members each scale's demo data holds, to tell them apart.
SCALE_MEMBERS = {
    # tiny: every page opens, in seconds (the test suite's walk of the registered pages).
    "tiny": (1, 499),
    "small": (500, 5_000),
    "city": (50_000, 100_000),
    "city2": (100_001, 200_000),
}


class Command(BaseCommand):
    help = (
        "以演示数据测量各页面的 SQL 查询数与响应时间（中位数、p95）。"
        "只测量，不断言；查询数由测试断言。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALE_MEMBERS), default="small")
        parser.add_argument("--repeat", type=int, default=10, help="每个页面请求次数（默认 10）")
        parser.add_argument(
            "--only",
            nargs="+",
            metavar="NAME",
            help="只测量名称以这些前缀开头的页面（如 dues_ report_dues）",
        )
        parser.add_argument(
            "--throwaway-db",
            metavar="NAME",
            help="DEBUG 关闭时必须给出当前数据库名，确认它可以丢弃",
        )

    def handle(self, *args, scale, repeat, throwaway_db, only=None, **options):
        ensure_throwaway_database(throwaway_db)
        self._ensure_data(scale, throwaway_db)
        tune_gc()  # as the served app does (config/wsgi.py)
        over = 0
        chosen = {
            title: [p for p in pages if not only or p.name.startswith(tuple(only))]
            for title, pages in (("pages", PAGES), ("exports", EXPORTS))
        }
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            for title, pages in chosen.items():
                self.stdout.write(
                    f"{title:<28}{'queries':>8}{'median_ms':>11}{'p95_ms':>9}{'budget_ms':>11}"
                    "  result"
                )
                for page in pages:
                    queries, median, p95 = self._measure(page, repeat)
                    # Judged as printed (to 0.1 ms), so the line never contradicts itself.
                    ok = round(median, 1) <= page.budget_ms
                    over += not ok
                    self.stdout.write(
                        f"{page.name:<28}{queries:>8}{median:>11.1f}{p95:>9.1f}"
                        f"{page.budget_ms:>11}  {'ok' if ok else 'SLOW'}"
                    )
        measured = sum(len(pages) for pages in chosen.values())
        self.stdout.write(f"bench: {measured} pages, {over} over budget")

    def _ensure_data(self, scale, throwaway_db):
        members = Member.objects.count()
        low, high = SCALE_MEMBERS[scale]
        if members == 0:
            self.stdout.write(f"数据库为空，生成 {scale} 规模演示数据…")
            call_command("seed_demo", scale=scale, throwaway_db=throwaway_db, stdout=self.stdout)
        elif not low <= members <= high:
            raise CommandError(
                f"当前数据库有 {members} 名党员，不是 {scale} 规模的演示数据；"
                "请用 DATABASE_URL 指定另一个空数据库。"
            )

    def _measure(self, page, repeat):
        client = Client()
        client.force_login(User.objects.get(username=page.username))
        url = page.url()
        timings = []
        for i in range(repeat + 1):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                response = client.get(url)
                if response.streaming:  # an export written as it is sent: all of it counts
                    b"".join(response.streaming_content)
                elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise CommandError(f"{page.name}: {url} 返回 {response.status_code}")
            if i:  # the first request warms caches and is not counted
                timings.append(elapsed)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        return len(ctx.captured_queries), statistics.median(timings), p95
