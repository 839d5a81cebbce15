import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from reports.demo import (
    SCALES,
    DemoBuilder,
    database_is_empty,
    demo_logins_text,
    ensure_throwaway_database,
)


class Command(BaseCommand):
    help = "载入演示数据（组织树、党员、班子职务、演示账号）。同一 --seed 生成的数据完全相同。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="tiny：2个乡镇、几十名党员（测试用）；small：1县4乡约1500名党员；city：约1700个支部、7万名党员；city2：40个乡镇、约14万名党员",
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            help="三会一课历史记录截止的日期（默认今天），固定它即可重复生成相同数据",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="数据库已有数据时什么也不做（make run 使用）"
        )
        parser.add_argument(
            "--throwaway-db",
            metavar="NAME",
            help="DEBUG 关闭时必须给出当前数据库名，确认它可以丢弃",
        )

    def handle(self, *args, scale, seed, if_empty, throwaway_db, today=None, **options):
        ensure_throwaway_database(throwaway_db)
        if not database_is_empty():
            if not if_empty:
                raise CommandError("数据库中已有组织数据，演示数据只能载入空数据库。")
            self.stdout.write("数据库已有数据，跳过演示数据。")
        else:
            builder = DemoBuilder(scale=scale, seed=seed, today=today)
            started = time.perf_counter()
            counts = builder.build()
            # With the foreign keys added back and the commit, past the parts' own times.
            builder.timings["build"] = time.perf_counter() - started
            # Fresh planner statistics: after a bulk load the database still
            # believes the tables are empty and picks slow plans. On PostgreSQL the
            # vacuum also marks the pages visible, as autovacuum keeps a live database,
            # so the roster's counts read the members' small index alone; not possible
            # inside a transaction (a test's), where the statistics suffice.
            started = time.perf_counter()
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
            builder.timings["analyze"] = time.perf_counter() - started
            if options["verbosity"] >= 2:
                self.stdout.write(
                    "用时（秒）："
                    + "，".join(
                        f"{name} {seconds:.1f}" for name, seconds in builder.timings.items()
                    )
                )
            self.stdout.write(
                "已载入演示数据：{townships} 个乡镇，{branches} 个党支部，"
                "{groups} 个党小组，{members} 名党员，"
                "{activities} 条组织生活记录，{attendance} 条出席记录，"
                "{point_entries} 条积分记录，{ratings} 名党员的评星草稿，"
                "{transfers} 份组织关系介绍信。".format(**counts)
            )
        self.stdout.write(demo_logins_text())
