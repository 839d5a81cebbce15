"""How long uploaded spreadsheets are kept: the one rule, and the purge that applies it.

Uploaded rosters and tree sheets are full of ID numbers and phones; they are
needed only while their import runs. Every upload is an ``Upload`` row
(branches), whatever it was sent for: a roster's file is deleted
``IMPORT_RETENTION_DAYS`` after its import ended (committed or failed), an
upload nobody confirmed (or work that stopped) after one day, and a tree
sheet after one day (at once, when its import is confirmed). The ``Upload``
and ``ImportRun`` rows stay as the audit record – who, when, the file's name
and hash, the counts – with the file emptied. Stored files that no upload
points at (a save that failed half way) go after one day as well.

Lives in members/ because the roster's rule reads its ``ImportRun``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import Upload
from members.models import ImportRun

UNCONFIRMED_KEPT = datetime.timedelta(days=1)
PURGED_MESSAGE = "上传的文件已按保存期限删除，导入记录仍保留；如需再次导入，请重新上传。"
# Where uploads are stored (branches.models.upload_path), and where rosters were before.
UPLOAD_FOLDERS = ("uploads", "imports")


@dataclass
class Purged:
    runs: int = 0
    tree_files: int = 0
    pipeline_files: int = 0
    stray_files: int = 0


def import_runs_to_purge(*, now: datetime.datetime):
    """Roster runs whose file is still stored though its time is up."""
    kept_until = now - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS)
    ended = Q(status=ImportRun.Status.COMMITTED, committed_at__lt=kept_until) | Q(
        status=ImportRun.Status.FAILED, last_activity__lt=kept_until
    )
    # Previewed and never confirmed, or queued / checking / committing with no
    # sign of life for a day: the worker died and nobody came back.
    idle = ~Q(status__in=(ImportRun.Status.COMMITTED, ImportRun.Status.FAILED)) & Q(
        last_activity__lt=now - UNCONFIRMED_KEPT
    )
    return (
        ImportRun.objects.exclude(upload__file="")
        .annotate(last_activity=Coalesce("heartbeat_at", "created_at"))
        .filter(ended | idle)
    )


def upload_purge(upload: Upload) -> None:
    """Delete the upload's file; its record stays."""
    # File first, then the row: run again after a crash in between, the row is
    # found again and deleting a missing file is a no-op.
    default_storage.delete(upload.file.name)
    Upload.objects.filter(pk=upload.pk).update(file="")


def uploads_purge(*, now: datetime.datetime | None = None) -> Purged:
    """Delete every stored upload whose time is up; the import records stay."""
    now = now or timezone.now()
    purged = Purged()
    runs = import_runs_to_purge(now=now).values_list("upload_id", flat=True)
    for upload in Upload.objects.filter(pk__in=list(runs)).only("pk", "file"):
        upload_purge(upload)
        purged.runs += 1
    day_ago = now - UNCONFIRMED_KEPT
    trees = Upload.objects.filter(purpose=Upload.Purpose.TREE, created_at__lt=day_ago)
    for upload in trees.exclude(file="").only("pk", "file"):
        upload_purge(upload)
        purged.tree_files += 1
    # A 积极分子花名册 checked but never confirmed (members.development.imports): a
    # roster upload no import run holds.
    pipelines = Upload.objects.filter(
        purpose=Upload.Purpose.ROSTER, import_run__isnull=True, created_at__lt=day_ago
    )
    for upload in pipelines.exclude(file="").only("pk", "file"):
        upload_purge(upload)
        purged.pipeline_files += 1
    referenced = set(Upload.objects.exclude(file="").values_list("file", flat=True))
    for folder in UPLOAD_FOLDERS:
        _dirs, files = default_storage.listdir(folder)
        for name in (f"{folder}/{f}" for f in files):
            if name not in referenced and default_storage.get_modified_time(name) < day_ago:
                default_storage.delete(name)
                purged.stray_files += 1
    return purged
