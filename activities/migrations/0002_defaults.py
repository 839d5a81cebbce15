"""Default cadences of DOMAIN.md, and the activity permissions of the roles.

Written out here, not imported, so the migration keeps doing what it did.
"""

import datetime

from django.contrib.auth.management import create_permissions
from django.db import migrations

SINCE = datetime.date(2000, 1, 1)
CADENCES = [
    # (kind, org_kind, period, times)
    ("general_meeting", "branch", "quarter", 1),
    ("committee", "branch", "month", 1),
    ("group_meeting", "group", "month", 1),
    ("lesson", "branch", "quarter", 1),
    ("theme_day", "branch", "month", 1),
    ("life_meeting", "branch", "year", 1),
    ("appraisal", "branch", "year", 1),
]
READ = ["activities.view_activity", "activities.view_attendance", "activities.view_attachment",
        "activities.view_cadencerule"]
LOG = ["activities.add_activity", "activities.change_activity"]
GRANTS = {
    "县委组织部": READ,
    "乡镇专干": READ + LOG,
    "支部书记": READ + LOG,
    "系统管理员": READ + LOG + ["activities.delete_activity", "activities.add_cadencerule",
                               "activities.change_cadencerule"],
}


def forwards(apps, schema_editor):
    CadenceRule = apps.get_model("activities", "CadenceRule")
    for kind, org_kind, period, times in CADENCES:
        CadenceRule.objects.get_or_create(
            kind=kind, org_kind=org_kind, valid_from=SINCE,
            defaults={"period": period, "times": times},
        )
    app_config = apps.get_app_config("activities")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("branches", "0004_roles"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
