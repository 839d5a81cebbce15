"""The roles' 远程教育站点 permissions.

The township clerks keep their villages' stations and check each one every
month (乡镇专干 visits the stations); the county and the system admin may do the
same for any township; a branch secretary reads the station of the branch and
its months. Written out rather than imported, so the migration keeps doing what
it did.
"""

from django.db import migrations

MODELS = ("station", "stationcheck")
READ = [f"activities.view_{model}" for model in MODELS]
RECORD = [f"activities.{action}_{model}" for model in MODELS for action in ("add", "change")]
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
    dependencies = [("activities", "0028_stations"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
