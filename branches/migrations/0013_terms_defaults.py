"""Default term lengths and the roles' 换届 permissions (branches.roles.DEFAULT_GRANTS).

Written out rather than imported: a migration must keep doing what it did
when it was written. Five years for township committees and for village and
community organisations, three for the others.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LENGTHS = [
    ("township", "", 5),
    ("primary_committee", "", 3),
    ("general_branch", "", 3),
    ("branch", "", 3),
    *[
        (kind, category, 5)
        for kind in ("primary_committee", "general_branch", "branch")
        for category in ("village", "community")
    ],
]
READ = ["branches.view_election", "branches.view_termpostponement", "branches.view_termlength"]
COUNTY = [
    "branches.add_election",
    "branches.add_termpostponement",
    "branches.add_termlength",
    "branches.change_termlength",
]
GRANTS = {
    "县委组织部": READ + COUNTY,
    "乡镇专干": READ + ["branches.add_election"],
    "支部书记": READ,
    "系统管理员": READ + COUNTY,
}


def grant(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in grants.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for perm in perms:
            label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=label, codename=codename)
            )


def forwards(apps, schema_editor):
    TermLength = apps.get_model("branches", "TermLength")
    for kind, category, years in LENGTHS:
        TermLength.objects.get_or_create(kind=kind, category=category, defaults={"years": years})
    grant(apps, "branches", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("branches", "0012_terms")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
