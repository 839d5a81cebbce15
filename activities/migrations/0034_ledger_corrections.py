"""The roles' permission to take back a working ledger's record logged by mistake.

Those who record a ledger's talks, study sessions, 民情日志 entries, 履职记录 and
visits may delete one (in the admin, through the ledger's service, which keeps
the derived points in step); a branch secretary, who reads them, may not.
Written out rather than imported, so the migration keeps doing what it did.
"""

from django.db import migrations

MODELS = ("talk", "studysession", "diaryentry", "dutylog", "pairingvisit")
DELETE = [f"activities.delete_{model}" for model in MODELS]
GRANTS = {"县委组织部": DELETE, "乡镇专干": DELETE, "系统管理员": DELETE}


def forwards(apps, schema_editor):
    from importlib import import_module

    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0033_study_defaults"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
