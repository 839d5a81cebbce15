"""The default grading levels (先进 / 一般 / 后进) and the roles' assessment permissions
(branches.roles.DEFAULT_GRANTS).

Written out rather than imported: a migration must keep doing what it did
when it was written. The suggestion's minimums: 先进 needs 95 % of the due
meetings held, an average of four stars and no group ranked last; 一般 needs
80 % and three stars; 后进 is what is left.
"""

from decimal import Decimal

from django.db import migrations

LEVELS = [
    ("先进", 1, "0.95", "4", True, False),
    ("一般", 2, "0.8", "3", False, False),
    ("后进", 3, "0", "0", False, True),
]
READ = [
    "activities.view_secretaryreportmeeting",
    "activities.view_secretaryreport",
    "activities.view_orggrade",
    "activities.view_gradelevel",
    "activities.view_rectificationcase",
    "activities.view_rectificationmeasure",
    "activities.view_rectificationprogress",
    "activities.view_modelsite",
]
REPORTS = [
    "activities.add_secretaryreportmeeting",
    "activities.add_secretaryreport",
    "activities.change_secretaryreport",
]
PROGRESS = ["activities.add_rectificationprogress", "activities.change_rectificationmeasure"]
COUNTY = [
    "activities.add_orggrade",
    "activities.change_orggrade",
    "activities.add_gradelevel",
    "activities.change_gradelevel",
    "activities.add_rectificationcase",
    "activities.change_rectificationcase",
    "activities.add_rectificationmeasure",
    "activities.add_modelsite",
    "activities.change_modelsite",
]
GRANTS = {
    "县委组织部": READ + REPORTS + PROGRESS + COUNTY,
    "乡镇专干": READ + REPORTS + PROGRESS,
    "支部书记": READ,
    "系统管理员": READ + REPORTS + PROGRESS + COUNTY,
}


def forwards(apps, schema_editor):
    from importlib import import_module

    GradeLevel = apps.get_model("activities", "GradeLevel")
    for name, rank, compliance, stars, no_last, lagging in LEVELS:
        GradeLevel.objects.get_or_create(
            name=name,
            defaults={
                "rank": rank,
                "min_compliance": Decimal(compliance),
                "min_stars": Decimal(stars),
                "no_last_group": no_last,
                "lagging": lagging,
            },
        )
    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0016_assessment"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
