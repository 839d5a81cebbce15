"""The roles' 谈心谈话 permissions.

The township clerks, the county and the system admin log the talks; a branch
secretary reads them and sees the pairs still missing. Written out rather than
imported, so the migration keeps doing what it did.
"""

from django.db import migrations

READ = ["activities.view_talk"]
RECORD = ["activities.add_talk", "activities.change_talk"]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ,
    "系统管理员": READ + RECORD,
}


def forwards(apps, schema_editor):
    from importlib import import_module

    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0026_talks"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
