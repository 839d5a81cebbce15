"""Create the four roles as groups with their default permissions.

The grants are written out here rather than imported from branches.roles:
a migration must keep doing what it did when it was written.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    "branches.view_organization",
    "branches.view_post",
    "members.view_member",
    "members.view_membership",
]
EDIT_TREE = [
    "branches.add_organization",
    "branches.change_organization",
    "branches.add_post",
    "branches.change_post",
    "branches.delete_post",
]
EDIT_MEMBERS = ["members.add_member", "members.change_member"]
IMPORT_MEMBERS = ["members.import_member"]
VIEW_PII = ["members.view_pii"]
MANAGE_ACCOUNTS = [
    "branches.view_user",
    "branches.add_user",
    "branches.change_user",
    "members.view_piiaccess",
]

GRANTS = {
    "县委组织部": READ + EDIT_TREE + VIEW_PII + MANAGE_ACCOUNTS,
    "乡镇专干": READ + EDIT_MEMBERS + IMPORT_MEMBERS + VIEW_PII,
    "支部书记": READ,
    "系统管理员": READ + EDIT_TREE + EDIT_MEMBERS + IMPORT_MEMBERS + VIEW_PII + MANAGE_ACCOUNTS
    + ["auth.view_group"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh
    # database needs them now to grant them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GRANTS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("branches", "0003_history"),
        ("members", "0003_pii_access"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
