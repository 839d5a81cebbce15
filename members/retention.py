"""How long uploaded spreadsheets are kept: the one rule, and the purge that applies it.

Uploaded rosters and tree sheets are full of ID numbers and phones; they are
needed only while their import runs. A roster's file is deleted
``IMPORT_RETENTION_DAYS`` after its import ended (committed or failed), an
upload nobody confirmed (or work that stopped) after one day. The
``ImportRun`` row stays as the audit record – who, when, the file's name
and hash, the counts – with its file emptied. Tree sheets wait in storage
under a token kept in the uploader's session: deleted after one day, and
expired sessions (with their tokens) go too. Files in the upload folders
that no row points at (a failed save) are swept after one day as well.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.tree_sheets import UPLOAD_DIR as TREE_UPLOAD_DIR
from members.models import IMPORT_UPLOAD_DIR, ImportRun

UNCONFIRMED_KEPT = datetime.timedelta(days=1)
PURGED_MESSAGE = "上传的文件已按保存期限删除，导入记录仍保留；如需再次导入，请重新上传。"


@dataclass
class Purged:
    runs: int = 0
    tree_files: int = 0
    stray_files: int = 0


def import_runs_to_purge(*, now: datetime.datetime):
    """Runs whose file is still stored though its time is up."""
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
        ImportRun.objects.exclude(file="")
        .annotate(last_activity=Coalesce("heartbeat_at", "created_at"))
        .filter(ended | idle)
    )


def _purge_import_runs(now: datetime.datetime) -> int:
    count = 0
    for run in import_runs_to_purge(now=now).only("pk", "file"):
        # File first, then the row: run again after a crash in between, the
        # row is found again and deleting a missing file is a no-op.
        default_storage.delete(run.file.name)
        ImportRun.objects.filter(pk=run.pk).update(file="")
        count += 1
    return count


def _old_files(folder: str, *, before: datetime.datetime) -> list[str]:
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [f"{folder}/{name}" for name in files]
    return [name for name in names if default_storage.get_modified_time(name) < before]


def uploads_purge(*, now: datetime.datetime | None = None) -> Purged:
    """Delete every stored upload whose time is up; the import records stay."""
    now = now or timezone.now()
    purged = Purged(runs=_purge_import_runs(now))
    day_ago = now - UNCONFIRMED_KEPT
    for name in _old_files(TREE_UPLOAD_DIR, before=day_ago):
        default_storage.delete(name)
        purged.tree_files += 1
    referenced = set(ImportRun.objects.exclude(file="").values_list("file", flat=True))
    for name in _old_files(IMPORT_UPLOAD_DIR, before=day_ago):
        if name not in referenced:
            default_storage.delete(name)
            purged.stray_files += 1
    # A tree sheet's token lives in its uploader's session; expired ones go.
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return purged
