"""The roles' permissions for the groups' reporting routine.

The township clerks, the county and the system admin keep the groups' monthly
reports, the branches' quarterly summaries and the township's 经验交流会; a branch
secretary reads them and submits their branch's reports (for its group leaders,
who hold no account) and its quarterly summary, which is the secretary's part of
the routine. Written out rather than imported, so the migration keeps doing what
it did.
"""

from django.db import migrations

MODELS = ("groupreport", "branchsummary", "exchangepresentation")
READ = [f"activities.view_{model}" for model in MODELS]
RECORD = [f"activities.{action}_{model}" for model in MODELS for action in ("add", "change")]
SECRETARY = [
    f"activities.{action}_{model}"
    for model in ("groupreport", "branchsummary")
    for action in ("add", "change")
]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ + SECRETARY,
    "系统管理员": READ + RECORD,
}


def forwards(apps, schema_editor):
    from importlib import import_module

    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0030_group_reports"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
