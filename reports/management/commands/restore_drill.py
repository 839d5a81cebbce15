"""The backup's proof: restore a dump into a scratch database and compare the counts.

A backup nobody has restored is a hope. This dumps the current PostgreSQL
database in pg_dump's custom format (or takes a dump given with --dump),
restores it into a scratch database with pg_restore, and checks that the
members, organisations, meetings and point entries there match the source.
The scratch database is dropped afterwards unless --keep.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import psycopg2
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from activities.models import Activity, PointEntry
from branches.models import Organization
from members.models import Member

COUNTED = [
    (Member, "党员"),
    (Organization, "党组织"),
    (Activity, "组织生活记录"),
    (PointEntry, "积分"),
]


class Command(BaseCommand):
    help = (
        "恢复演练：把当前 PostgreSQL 数据库（或 --dump 给出的备份）恢复到一个临时库，"
        "核对党员、党组织、组织生活记录和积分的条数与源库一致。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dump", type=Path, help="pg_dump -Fc 生成的备份文件；不给则先备份当前库"
        )
        parser.add_argument("--keep", action="store_true", help="保留恢复出的临时库")

    def handle(self, *args, dump, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError("恢复演练只用于 PostgreSQL（DATABASE_URL=postgres://…）。")
        source = connection.settings_dict
        scratch = f"{source['NAME']}_restore_drill"
        env = {**os.environ, **_pg_env(source)}
        with tempfile.TemporaryDirectory() as tmp:
            if dump is None:
                dump = Path(tmp) / "backup.dump"
                _run(["pg_dump", "--format=custom", f"--file={dump}", source["NAME"]], env)
            _run(["dropdb", "--if-exists", scratch], env)
            _run(["createdb", scratch], env)
            try:
                _run(["pg_restore", "--no-owner", f"--dbname={scratch}", str(dump)], env)
                restored = _counts({**source, "NAME": scratch})
            finally:
                if not keep:
                    _run(["dropdb", "--if-exists", scratch], env)
        expected = {label: model.objects.count() for model, label in COUNTED}
        for label, count in expected.items():
            self.stdout.write(f"{label}：源库 {count}，恢复后 {restored[label]}")
        if restored != expected:
            raise CommandError("恢复后的条数与源库不一致，备份不可用。")
        self.stdout.write("恢复演练通过：备份可以完整恢复。")


def _pg_env(settings: dict) -> dict:
    names = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
    return {env: str(settings[key]) for key, env in names.items() if settings.get(key)}


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        raise CommandError(f"{command[0]} 失败：{done.stderr.strip()[:500]}")


def _counts(settings: dict) -> dict[str, int]:
    with (
        psycopg2.connect(
            dbname=settings["NAME"],
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
        ) as db,
        db.cursor() as cursor,
    ):
        found = {}
        for model, label in COUNTED:
            cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')
            found[label] = cursor.fetchone()[0]
    return found
