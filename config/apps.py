"""Chinese names for the pinned packages' apps, which the admin shows as they come.

An app's ``verbose_name`` is a plain string, out of reach of any catalogue, so
the Django way to rename a third-party app is to install a subclass of its
AppConfig. The labels stay the same: tables, migrations and permissions do not
change.
"""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "登录防护"

    def ready(self):
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        # django-axes names its records in English, outside any catalogue
        # (axes/models.py); the admin shows these names in titles,
        # breadcrumbs and the row checkboxes' labels.
        AccessAttempt.__str__ = lambda self: f"登录失败记录：{self.attempt_time}"
        AccessFailureLog.__str__ = lambda self: (
            f"登录失败：用户 {self.username}{'（已锁定）' if self.locked_out else ''}"
            f" 于 {self.attempt_time} 来自 {self.ip_address}"
        )
        AccessLog.__str__ = lambda self: f"登录日志：{self.username} 于 {self.attempt_time}"


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = "后台任务"
