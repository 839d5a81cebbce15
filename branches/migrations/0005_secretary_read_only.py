"""The 支部书记 role reads only: take away every write permission it holds.

activities/0002 and 0004 gave it the add/change permissions of meetings,
point entries and appraisals, so a branch secretary – documented as read
only – could log meetings, enter points and record a 不合格 appraisal that
caps a member's stars. A county that wants secretaries to log their
branch's meetings grants those permissions to the role in the admin.
Every permission but the view_* ones goes (view_pii is a read, and the role
never held it). The reverse re-grants what 0002 and 0004 granted, written
out here so the migration keeps doing what it did.
"""

from django.db import migrations

SECRETARY = "支部书记"
GRANTED_BEFORE = [
    # activities/0002_defaults: LOG
    "activities.add_activity",
    "activities.change_activity",
    # activities/0004_points_defaults: ENTER
    "activities.add_pointentry",
    "activities.change_pointentry",
    "activities.add_appraisal",
    "activities.change_appraisal",
]


def make_read_only(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=SECRETARY).first()
    if group is None:
        return
    writes = group.permissions.exclude(codename__startswith="view_")
    group.permissions.remove(*writes)


def grant_again(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=SECRETARY).first()
    if group is None:
        return
    Permission = apps.get_model("auth", "Permission")
    for perm in GRANTED_BEFORE:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0004_roles"),
        ("activities", "0005_cadence_times_max"),
        ("members", "0005_import_progress"),
    ]

    operations = [migrations.RunPython(make_read_only, grant_again)]
