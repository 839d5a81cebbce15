"""Grant the 发展党员 permissions to the roles (branches.roles.DEFAULT_GRANTS).

Written out rather than imported: a migration must keep doing what it did
when it was written.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECRUITS = ["members.view_recruit", "members.add_recruit", "members.change_recruit"]
COUNTY = [
    "members.view_recruit",
    "members.waive_rule",
    "members.view_developmentplan",
    "members.add_developmentplan",
    "members.change_developmentplan",
    "members.view_calendarday",
    "members.add_calendarday",
    "members.change_calendarday",
    "members.delete_calendarday",
    "members.view_developmentsettings",
    "members.add_developmentsettings",
    "members.change_developmentsettings",
]
GRANTS = {
    "县委组织部": COUNTY,
    "乡镇专干": [*RECRUITS, "members.view_developmentplan"],
    "支部书记": ["members.view_recruit"],
    "系统管理员": [*RECRUITS, *COUNTY],
}


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations ran.
    app_config = apps.get_app_config("members")
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
    dependencies = [("members", "0019_development"), ("branches", "0004_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
