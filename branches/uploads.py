"""Keeping an uploaded spreadsheet from its preview to its confirmation: the one way,
for the roster and the organisation tree alike (``Upload``, stored in the database).

Only the account that sent a file may use it again; its time is kept by
``members.retention``.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from branches.models import Upload

PURGED = "上传的文件已按保存期限删除，请重新上传。"


class UploadGone(Exception):
    """The upload's file was deleted (its time was up); the message says so."""


def upload_keep(*, user, purpose: str, data: bytes, file_name: str) -> Upload:
    """Store an uploaded file with who sent it, its name and its hash."""
    return Upload.objects.create(
        user=user,
        purpose=purpose,
        file=ContentFile(data, name=file_name),
        file_name=file_name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def upload_read(upload: Upload) -> bytes:
    if not upload.file:
        raise UploadGone(PURGED)
    try:
        with upload.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise UploadGone(PURGED) from None


def upload_discard(upload: Upload) -> None:
    """Delete the file once its import is done with it; the record stays."""
    default_storage.delete(upload.file.name)
    Upload.objects.filter(pk=upload.pk).update(file="")


def own_upload(user, pk, *, purpose: str) -> Upload | None:
    """*user*'s own upload *pk* for *purpose*, if it still has its file."""
    if pk is None:
        return None
    found = Upload.objects.visible_to(user).filter(user=user, purpose=purpose, pk=pk)
    return found.exclude(file="").first()
