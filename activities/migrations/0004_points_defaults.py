"""Default points scheme and star bands of DOMAIN.md, and the points permissions of the roles.

Written out here, not imported, so the migration keeps doing what it did.
"""

import datetime

from django.contrib.auth.management import create_permissions
from django.db import migrations

SINCE = datetime.date(2000, 1, 1)
# (source, activity kind, points, yearly cap)
POINT_RULES = [
    ("base", "", 60, None),
    ("attendance", "general_meeting", 2, 8),
    ("attendance", "committee", 1, 12),
    ("attendance", "group_meeting", 1, 12),
    ("attendance", "lesson", 2, 8),
    ("attendance", "theme_day", 1, 12),
    ("attendance", "life_meeting", 2, 2),
    ("attendance", "appraisal", 2, 2),
    ("attendance", "other", 1, 5),
    ("absence", "general_meeting", -3, None),
    ("absence", "committee", -2, None),
    ("absence", "group_meeting", -2, None),
    ("absence", "lesson", -3, None),
    ("absence", "theme_day", -2, None),
    ("absence", "life_meeting", -3, None),
    ("absence", "appraisal", -3, None),
    ("absence", "other", -1, None),
    ("volunteer", "", 2, 10),
    ("duty", "", 5, 10),
    ("pairing", "", 5, 10),
    ("dues_arrears", "", -5, 20),
    ("discipline", "", -10, None),
]
# <60 不合格, 60–69 ★ … 90–95 ★★★★, 96+ ★★★★★
STAR_BANDS = [(0, 0), (1, 60), (2, 70), (3, 80), (4, 90), (5, 96)]

READ = ["activities.view_pointentry", "activities.view_appraisal", "activities.view_pointrule",
        "activities.view_starband", "activities.view_ratingrule"]
STAFF_READ = READ + ["activities.view_rating", "activities.view_grouprank",
                     "activities.view_ratingpublication"]
ENTER = ["activities.add_pointentry", "activities.change_pointentry",
         "activities.add_appraisal", "activities.change_appraisal"]
RULES = [f"activities.{action}_{model}" for model in ("pointrule", "starband", "ratingrule")
         for action in ("add", "change")]
GRANTS = {
    "县委组织部": STAFF_READ + ["activities.compute_rating", "activities.publish_rating",
                               "activities.approve_pointentry"],
    "乡镇专干": STAFF_READ + ENTER + ["activities.compute_rating",
                                     "activities.approve_pointentry"],
    "支部书记": READ + ENTER,
    "系统管理员": STAFF_READ + ENTER + RULES,
}


def forwards(apps, schema_editor):
    PointRule = apps.get_model("activities", "PointRule")
    for source, kind, points, cap in POINT_RULES:
        PointRule.objects.get_or_create(
            source=source, activity_kind=kind, valid_from=SINCE,
            defaults={"points": points, "yearly_cap": cap},
        )
    StarBand = apps.get_model("activities", "StarBand")
    for stars, min_points in STAR_BANDS:
        StarBand.objects.get_or_create(
            stars=stars, valid_from=SINCE, defaults={"min_points": min_points}
        )
    # Within the branch, written out: tests/concurrency.py replays this function with
    # today's models, whose default became the township (0008 adds that rule for 2026).
    apps.get_model("activities", "RatingRule").objects.get_or_create(
        valid_from=SINCE, defaults={"ranking_scope": "branch"}
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
    dependencies = [("activities", "0003_points")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
