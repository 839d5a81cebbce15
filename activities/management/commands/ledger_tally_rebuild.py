"""Recount the working ledgers' kept tallies from their rows."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from activities.ledgers.tallies import ledger_tally_rebuild


class Command(BaseCommand):
    help = (
        "按台账记录重新统计工作台账（公开承诺、设岗定责、结对帮扶、民情日志、谈心谈话、"
        "党员学习、小组月报）的年度汇总数（默认全部年度）。批量导入或直接改动台账数据后使用。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="年度，默认全部年度")

    def handle(self, *args, year, **options):
        started = time.perf_counter()
        written = ledger_tally_rebuild(year=year)
        seconds = time.perf_counter() - started
        self.stdout.write(f"台账年度汇总已重新统计：改写{written}行，用时{seconds:.1f}秒。")
