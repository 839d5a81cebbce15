"""Refuse to start a production run that would not work or would not be safe."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "检查生产运行所需的设置（DEBUG 关闭、SECRET_KEY、ALLOWED_HOSTS、PostgreSQL），"
        "缺一项就说明缺什么并以非零状态退出。make serve 和 systemd 单元启动前运行。"
    )

    def handle(self, *args, **options):
        problems = []
        if settings.DEBUG:
            problems.append("DEBUG 是打开的：生产运行请设 DEBUG=0。")
        try:
            key = settings.SECRET_KEY
        except ImproperlyConfigured:  # Django refuses to hand out an empty key
            key = ""
        if len(key) < 50:
            problems.append(
                "缺少 SECRET_KEY（或短于 50 个字符）：请在环境变量或 .env 中设置一个长随机串，"
                "例如 python -c 'import secrets; print(secrets.token_urlsafe(50))' 生成；"
                "多台应用服务器必须使用同一个。"
            )
        if not settings.ALLOWED_HOSTS:
            problems.append(
                "缺少 ALLOWED_HOSTS：请设为网站的域名（多个用逗号分隔），本机试运行可设 127.0.0.1。"
            )
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            problems.append(
                "数据库不是 PostgreSQL：生产运行请设 DATABASE_URL=postgres://用户@主机:5432/库名"
                "（内置的 SQLite 只用于开发和演示，不能供多个进程同时写入）。"
            )
        if problems:
            raise CommandError("无法以生产方式启动：\n- " + "\n- ".join(problems))
        self.stdout.write("生产设置检查通过。")
