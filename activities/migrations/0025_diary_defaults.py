"""The roles' 民情日志 permissions.

The township clerks, the county and the system admin keep the diary and its
monthly checks; a branch secretary reads the entries and records the month's
check (审阅), which is the secretary's part of the routine. Written out rather
than imported, so the migration keeps doing what it did.
"""

from django.db import migrations

MODELS = ("diaryentry", "diarycheck")
READ = [f"activities.view_{model}" for model in MODELS]
RECORD = [f"activities.{action}_{model}" for model in MODELS for action in ("add", "change")]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ + ["activities.add_diarycheck", "activities.change_diarycheck"],
    "系统管理员": READ + RECORD,
}


def forwards(apps, schema_editor):
    from importlib import import_module

    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0024_diary"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
