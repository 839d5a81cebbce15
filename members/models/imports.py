"""Roster imports: one record per uploaded 花名册 and what it did."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from branches.scoping import ScopedQuerySet


class ImportRunQuerySet(ScopedQuerySet):
    scope_through = "user__org"

    def _silent_since(self, cutoff: datetime.datetime) -> ImportRunQuerySet:
        return self.filter(
            Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
        )

    def lease_expired(self, cutoff: datetime.datetime) -> ImportRunQuerySet:
        """Runs a worker took but has not reported on since *cutoff*: that worker died."""
        held = self.filter(status__in=ImportRun.HELD).exclude(lease_token="")
        return held._silent_since(cutoff)

    def abandoned(self, cutoff: datetime.datetime) -> ImportRunQuerySet:
        """Runs waiting for a worker since *cutoff* whose task is gone, failed or orphaned.

        A task claimed before *cutoff* whose run is still unclaimed lost its
        worker between the two claims (they are milliseconds apart).
        """
        live = DBTaskResult.objects.filter(pk=OuterRef("task_id")).filter(
            Q(status=TaskResultStatus.READY)
            | Q(status=TaskResultStatus.RUNNING, started_at__gte=cutoff)
        )
        waiting = self.filter(status__in=ImportRun.WAITING, lease_token="")
        return waiting._silent_since(cutoff).exclude(Exists(live))


def import_file_path(instance, filename: str) -> str:
    """The upload path of migration 0004 (rosters now keep their file on an ``Upload``)."""
    return f"imports/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ImportRun(models.Model):
    """One roster import: who, when, which file (its ``Upload``), and what it did.

    Created at upload with the preview's counts and problems; confirmed
    imports record what was written. The audit trail's rows of the members
    it changed point back to it through their change reason.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        CHECKING = "checking", "检查中"
        PREVIEWED = "previewed", "已预览"
        COMMITTING = "committing", "写入中"
        COMMITTED = "committed", "已导入"
        FAILED = "failed", "失败"

    ACTIVE = (Status.QUEUED, Status.CHECKING, Status.COMMITTING)
    # Statuses a worker holds the run in (with a lease), and those that wait for one.
    HELD = (Status.CHECKING, Status.COMMITTING)
    WAITING = (Status.QUEUED, Status.COMMITTING)

    user = models.ForeignKey(
        "branches.User", verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    upload = models.OneToOneField(
        "branches.Upload",
        verbose_name="上传文件",
        on_delete=models.PROTECT,
        related_name="import_run",
    )
    status = models.CharField("状态", max_length=12, choices=Status.choices)
    rows_new = models.PositiveIntegerField("新增", default=0)
    rows_changed = models.PositiveIntegerField("变更", default=0)
    rows_unchanged = models.PositiveIntegerField("未变", default=0)
    rows_rejected = models.PositiveIntegerField("拒绝", default=0)
    skipped_invalid = models.BooleanField("只导入有效行", default=False)
    problems = models.JSONField("问题", default=list, blank=True)
    # Warnings as the page shows them (a 待规范 word said once for all its rows)
    # and how many there were, row by row.
    warnings = models.JSONField("警告（不影响导入）", default=list, blank=True)
    warning_count = models.PositiveIntegerField("警告条数", default=0)
    # Organisations the file names that the tree does not have: one entry per
    # organisation (the names as written, its kind, how many rows), so the
    # preview says it once and a tree editor can create them in one step.
    missing = models.JSONField("组织树中没有的组织", default=list, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    in_background = models.BooleanField("后台处理", default=False)
    progress_done = models.PositiveIntegerField("已处理行数", default=0)
    progress_total = models.PositiveIntegerField("总行数", default=0)
    heartbeat_at = models.DateTimeField("最近进度", null=True, blank=True)
    # Who holds the run: a token per task execution, empty while it waits for a
    # worker. Every write of the worker names it, so a worker that lost its
    # lease (it was presumed dead) can no longer change the run.
    lease_token = models.CharField("后台任务令牌", max_length=32, blank=True)
    task_id = models.UUIDField("后台任务", null=True, blank=True)
    error = models.TextField("失败原因", blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = "花名册导入记录"
        verbose_name_plural = "花名册导入记录"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def file_name(self) -> str:
        return self.upload.file_name

    @property
    def file(self):
        """The uploaded file; empty once its time is up (``members.retention``)."""
        return self.upload.file

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE and not self.is_stalled

    @staticmethod
    def lease() -> datetime.timedelta:
        """How long a worker may stay silent before it is presumed dead."""
        return datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)

    @property
    def is_stalled(self) -> bool:
        """Taken by a worker that went silent for longer than the lease: it was stopped."""
        if self.status not in self.HELD or not self.lease_token:
            return False
        last = self.heartbeat_at or self.created_at
        return timezone.now() - last > self.lease()

    @property
    def percent(self) -> int:
        return round(100 * self.progress_done / self.progress_total) if self.progress_total else 0
