"""Recompute a year's points ledger (optionally) and draft ratings for a node."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activities.points.services import points_recompute
from activities.ratings.services import rating_draft_compute
from branches.models import Organization, OrgKind


class Command(BaseCommand):
    help = "计算某年度的评星定级草稿和党小组排名（默认全县、今年），并报告用时和查询数。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None, help="年度，默认今年")
        parser.add_argument("--org", default="", help="组织编码（乡镇或县），默认最上级的县委")
        parser.add_argument(
            "--recompute-points",
            action="store_true",
            help="先按规则重新计算该年度由出席记录产生的积分（积分规则修改后使用）",
        )

    def handle(self, *args, year, org, recompute_points, **options):
        year = year or timezone.localdate().year
        nodes = (
            Organization.objects.filter(code=org)
            if org
            else Organization.objects.filter(kind__in=(OrgKind.CITY, OrgKind.COUNTY)).order_by(
                "path"
            )
        )
        node = nodes.first()
        if node is None:
            raise CommandError(f"找不到组织「{org}」。" if org else "还没有县委组织。")
        if recompute_points:
            started = time.perf_counter()
            count = points_recompute(year=year)
            self.stdout.write(
                f"已重新计算 {count} 条出席积分，用时 {time.perf_counter() - started:.1f} 秒。"
            )
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            try:
                draft = rating_draft_compute(node=node, year=year)
            except ValidationError as error:
                raise CommandError(error.messages[0]) from error
        last = sum(1 for r in draft.ranks if r.is_last)
        self.stdout.write(
            f"{node.name} {year}年度评星定级草稿：{len(draft.ratings)} 名党员，"
            f"{len(draft.ranks)} 个党小组参与排名，其中末位 {last} 个；"
            f"用时 {time.perf_counter() - started:.1f} 秒，{len(queries)} 条查询。"
        )
