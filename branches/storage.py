"""The project's file storage: files kept in the database (``StoredFile``), not on disk.

Uploaded spreadsheets and meeting attachments must be readable by every
application process and background worker, on whichever machine they run;
the database is what they already share, and what the backups cover. The
files are small (at most 20 MB, the upload limit) and few. Files are never
served by URL: every download goes through a view that checks the scope.
"""

from __future__ import annotations

import posixpath

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible


def _stored():
    from branches.models import StoredFile

    return StoredFile.objects


@deconstructible
class DatabaseStorage(Storage):
    def _open(self, name, mode="rb"):
        content = _stored().filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(f"no stored file {name}")
        return ContentFile(bytes(content), name=name)

    def _save(self, name, content):
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        _stored().create(name=name, content=data, size=len(data))
        return name

    def exists(self, name):
        return _stored().filter(name=name).exists()

    def delete(self, name):
        if name:
            _stored().filter(name=name).delete()

    def size(self, name):
        size = _stored().filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(f"no stored file {name}")
        return size

    def listdir(self, path):
        prefix = path.rstrip("/") + "/" if path else ""
        names = _stored().filter(name__startswith=prefix).values_list("name", flat=True)
        dirs, files = set(), []
        for name in names:
            rest = name[len(prefix) :]
            head, _sep, _tail = rest.partition("/")
            if _sep:
                dirs.add(head)
            else:
                files.append(rest)
        return sorted(dirs), files

    def get_created_time(self, name):
        created = _stored().filter(name=name).values_list("created_at", flat=True).first()
        if created is None:
            raise FileNotFoundError(f"no stored file {name}")
        return created

    get_modified_time = get_created_time

    def url(self, name):
        raise NotImplementedError("stored files are downloaded through their views only")

    def path(self, name):
        raise NotImplementedError("stored files live in the database, not on disk")

    def generate_filename(self, filename):
        return posixpath.normpath(filename.replace("\\", "/"))
