"""The 2008 dues standard as the default rule rows, the roles' dues permissions, and
the rosters' 党费缴至年月 as every member's opening position.

Written out rather than imported: a migration must keep doing what it did
when it was written.
"""

from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.db.models import F

# 关于中国共产党党费收缴、使用和管理的规定 (中组发〔2008〕3号), from 1 April 2008.
SINCE = "2008-04-01"
RATES = [
    ("wage", "0", "0.5"),
    ("wage", "3000", "1"),
    ("wage", "5000", "1.5"),
    ("wage", "10000", "2"),
    ("pension", "0", "0.5"),
    ("pension", "5000", "1"),
]
AMOUNTS = [
    ("farmer", "0.2", "1"),
    ("student", "0.2", "0.2"),
    ("unemployed", "0.2", "0.2"),
    ("relief", "0.2", "0.2"),
]

READ = [
    "members.view_duesline",
    "members.view_duesentry",
    "members.view_duesbase",
    "members.view_duesreceipt",
    "members.view_duesremittance",
]
RECORD = [
    "members.add_duesentry",
    "members.add_duesbase",
    "members.change_duesbase",
    "members.add_duesremittance",
]
STANDARD = [
    "members.view_duesrule",
    "members.add_duesrule",
    "members.change_duesrule",
    "members.view_duesretention",
    "members.add_duesretention",
    "members.change_duesretention",
]
GRANTS = {
    "县委组织部": READ + STANDARD + ["members.add_duesremittance"],
    "乡镇专干": READ + RECORD,
    "支部书记": ["members.view_duesline", "members.view_duesentry", "members.view_duesreceipt"],
    "系统管理员": READ + RECORD + STANDARD,
}


def forwards(apps, schema_editor):
    DuesRule = apps.get_model("members", "DuesRule")
    for category, above, rate in RATES:
        DuesRule.objects.create(
            category=category, income_above=Decimal(above), rate=Decimal(rate), valid_from=SINCE
        )
    for category, low, high in AMOUNTS:
        DuesRule.objects.create(
            category=category, amount_min=Decimal(low), amount_max=Decimal(high), valid_from=SINCE
        )
    Member = apps.get_model("members", "Member")
    # The plain manager: tests call this with the live models, whose manager refuses update().
    Member._base_manager.filter(dues_paid_until__isnull=False).update(
        dues_opening=F("dues_paid_until")
    )

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
    dependencies = [("members", "0021_dues"), ("branches", "0004_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
