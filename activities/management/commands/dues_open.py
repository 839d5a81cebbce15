"""Open the dues ledger's month for everyone who owes it, and derive the 欠缴党费 points.

Run daily (cron, and by the worker at its start): it is idempotent, so each
run only adds the members who joined or arrived since, and the deductions
follow the ledger as months close without payment.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from activities.points.dues import dues_points_refresh
from members.dues.rules import add_months, month_start
from members.dues.services import dues_open


class Command(BaseCommand):
    help = (
        "为每名应缴党费的党员建立本月党费台账记录（已有的不变），并按台账重新计算今年的"
        "欠缴党费扣分。每天运行一次；--since 2026-01 可补建从该月起的各月。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="补建台账的起始月份，格式 2026-01")

    def handle(self, *args, since: str | None = None, **options) -> None:
        today = timezone.localdate()
        current = month_start(today)
        first = current
        if since:
            try:
                first = datetime.date.fromisoformat(f"{since}-01")
            except ValueError as exc:
                raise CommandError("--since 的格式应为 2026-01。") from exc
            if not datetime.date(2000, 1, 1) <= first <= current:
                raise CommandError("--since 应在2000年1月与本月之间。")
        month, opened = first, 0
        while month <= current:
            opened += dues_open(month=month)
            month = add_months(month, 1)
        deductions = dues_points_refresh(year=today.year)
        self.stdout.write(f"新建党费台账记录{opened}条；{today.year}年欠缴党费扣分{deductions}条。")
