"""The 结对帮扶走访 point rule, the end of the manual 结对帮扶 rule, and the roles'
结对帮扶 permissions.

From 1 January 2026 a member's visit in the 结对帮扶 ledger earns the points
without a manual entry (activities.points.ledgers): the open manual 结对帮扶
rule row gets 31 December 2025 as its last day, so a clerk cannot also enter
the same visits by hand, and the 2025 entries already approved keep their points.
A rule row an admin already closed, or one that starts later, is left as it is.
Both rule edits get a history row, as the audit trail keeps for every edit of a
rule. Written out rather than imported, and the dates not read from the clock,
so the migration keeps doing what it did whenever it runs.
"""

import datetime

from django.db import migrations
from django.utils import timezone

SINCE = datetime.date(2026, 1, 1)
LAST_MANUAL_DAY = SINCE - datetime.timedelta(days=1)
MODELS = ("pairing", "pairingvisit")
READ = [f"activities.view_{model}" for model in MODELS]
RECORD = [f"activities.{action}_{model}" for model in MODELS for action in ("add", "change")]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ,
    "系统管理员": READ + RECORD,
}


REASON = "自2026年起结对帮扶按走访记录自动计分（数据迁移）"


def _record(apps, rule, history_type: str) -> None:
    History = apps.get_model("activities", "HistoricalPointRule")
    fields = {f.attname: getattr(rule, f.attname) for f in rule._meta.concrete_fields}
    History.objects.create(
        **fields,
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=REASON,
    )


def forwards(apps, schema_editor):
    from importlib import import_module

    PointRule = apps.get_model("activities", "PointRule")
    for manual in PointRule.objects.filter(
        source="pairing", activity_kind="", valid_to__isnull=True, valid_from__lte=LAST_MANUAL_DAY
    ):
        manual.valid_to = LAST_MANUAL_DAY
        manual.save(update_fields=["valid_to"])
        _record(apps, manual, "~")
    if not PointRule.objects.filter(source="pairing_visit").exists():
        derived = PointRule.objects.create(
            source="pairing_visit", activity_kind="", points=1, yearly_cap=10, valid_from=SINCE
        )
        _record(apps, derived, "+")
    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0022_pairings"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
