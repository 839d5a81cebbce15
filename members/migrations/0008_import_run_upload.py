"""Roster imports keep their file on a branches.Upload (the one way uploads are kept),
and files move from the disk under MEDIA_ROOT into the database (branches.StoredFile)."""

import django.db.models.deletion
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import migrations, models


def forwards(apps, schema_editor):
    ImportRun = apps.get_model("members", "ImportRun")
    Upload = apps.get_model("branches", "Upload")
    StoredFile = apps.get_model("branches", "StoredFile")
    disk = FileSystemStorage(location=settings.MEDIA_ROOT)
    for run in ImportRun.objects.all():
        name = run.file.name if run.file else ""
        if name and disk.exists(name):
            with disk.open(name, "rb") as handle:
                data = handle.read()
            StoredFile.objects.get_or_create(
                name=name, defaults={"content": data, "size": len(data)}
            )
        elif name:
            name = ""  # already gone from the disk: the run keeps its record only
        upload = Upload.objects.create(
            user_id=run.user_id,
            purpose="roster",
            file=name,
            file_name=run.file_name,
            sha256=run.file_sha256,
        )
        Upload.objects.filter(pk=upload.pk).update(created_at=run.created_at)
        ImportRun.objects.filter(pk=run.pk).update(upload=upload)


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0006_uploads_in_database"),
        ("members", "0007_piiaccess_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="upload",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="import_run",
                to="branches.upload",
                verbose_name="上传文件",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="importrun",
            name="upload",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="import_run",
                to="branches.upload",
                verbose_name="上传文件",
            ),
        ),
        migrations.RemoveField(model_name="importrun", name="file"),
        migrations.RemoveField(model_name="importrun", name="file_name"),
        migrations.RemoveField(model_name="importrun", name="file_sha256"),
    ]
