"""The 兑现公开承诺 point rule and the roles' 公开承诺 permissions.

The rule starts on 1 January 2026, the year the ledgers were taken into use:
from then on a member's pledge recorded as 已兑现 earns the points without a
manual entry (activities.points.ledgers). Written out rather than imported, so
the migration keeps doing what it did.
"""

import datetime

from django.db import migrations

SINCE = datetime.date(2026, 1, 1)
READ = ["activities.view_pledge"]
RECORD = ["activities.add_pledge", "activities.change_pledge"]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ,
    "系统管理员": READ + RECORD,
}


def forwards(apps, schema_editor):
    from importlib import import_module

    PointRule = apps.get_model("activities", "PointRule")
    if not PointRule.objects.filter(source="pledge").exists():
        PointRule.objects.create(
            source="pledge", activity_kind="", points=2, yearly_cap=4, valid_from=SINCE
        )
    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0018_pledges"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
