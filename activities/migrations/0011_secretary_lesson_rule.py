"""The branch secretary's yearly 党课 (支部书记每年至少讲 1 次党课) as a cadence rule.

Valid from 1 January of the year it was introduced (2026), so the years before
keep the rules they were judged by – a fixed date, not the day the migration
happens to run, so every database (and the test suite, whenever it runs) gets
the same rule. Written out here, not imported, so the migration keeps doing
what it did.
"""

import datetime

from django.db import migrations

SINCE = datetime.date(2026, 1, 1)


def forwards(apps, schema_editor):
    CadenceRule = apps.get_model("activities", "CadenceRule")
    CadenceRule.objects.get_or_create(
        kind="lesson",
        org_kind="branch",
        by_secretary=True,
        valid_from=SINCE,
        defaults={"period": "year", "times": 1},
    )


def backwards(apps, schema_editor):
    apps.get_model("activities", "CadenceRule").objects.filter(by_secretary=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0010_lesson_speaker_and_secretary_rule"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
