"""Branch categories to the statistics' unit types: the data, by a reviewed mapping.

Apart from 0009's schema change: on PostgreSQL a table cannot be altered in the
transaction that wrote rows to it with deferred constraints still pending.
"""

from django.db import migrations
from django.utils import timezone

# The reviewed mapping from the old categories to the statistics' unit types.
# None: the old value mixed two unit types (企事业: company or public institution;
# 两新组织: non-public company or social organisation; 其他: anything), so the
# node becomes 待确定 and waits on the tree page for a person to pick.
OLD_TO_NEW = {
    "village": "village",
    "community": "community",
    "organ": "organ",
    "school": "institution",
    "enterprise": None,
    "non_public": None,
    "other": None,
}
# The way back, for a rollback: the nearest old value of each new one.
NEW_TO_OLD = {
    "village": "village",
    "community": "community",
    "township": "organ",
    "organ": "organ",
    "institution": "school",
    "public_enterprise": "enterprise",
    "private_enterprise": "non_public",
    "social_org": "non_public",
    "undecided": "other",
}
REASON = "支部类型改按党内统计的单位类型"


def new_category(old: str, name: str) -> str:
    """The unit type an old category settles for a node of that *name*."""
    if old == "school" and "民办" in name:
        return "social_org"  # a private school is a 民办非企业单位, counted as a 社会组织
    return OLD_TO_NEW.get(old) or "undecided"


def _recategorise(apps, decide) -> None:
    Organization = apps.get_model("branches", "Organization")
    History = apps.get_model("branches", "HistoricalOrganization")
    copied = [f.attname for f in History._meta.fields if not f.name.startswith("history_")]
    now = timezone.now()
    changed = []
    for org in Organization.objects.exclude(category="").order_by("pk"):
        category = decide(org.category, org.name)
        if category != org.category:
            org.category = category
            changed.append(org)
    Organization.objects.bulk_update(changed, ["category"], batch_size=500)
    # Every change of a node is in its history: one row each, no user, the reason.
    History.objects.bulk_create(
        [
            History(
                **{a: getattr(org, a) for a in copied},
                history_date=now,
                history_type="~",
                history_change_reason=REASON,
            )
            for org in changed
        ],
        batch_size=500,
    )


def forwards(apps, schema_editor) -> None:
    _recategorise(apps, new_category)


def backwards(apps, schema_editor) -> None:
    _recategorise(apps, lambda new, name: NEW_TO_OLD.get(new, new))


class Migration(migrations.Migration):
    dependencies = [
        ("branches", "0010_categories"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
