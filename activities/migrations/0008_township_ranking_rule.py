"""Rank party groups across the township from 2026 on, as a new rating rule row.

A year is governed by the rule rows in force on its 1 January, so the rule in
force until now ends on 31 December 2025 (past years keep ranking within the
branch) and a copy of it, ranking within the township, starts on 1 January
2026. The date is written out, not read from the clock: a migration must do
the same whenever it runs. A rule an admin already made for 2026 is left alone.
"""

import datetime

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

SINCE = datetime.date(2026, 1, 1)
REASON = "自2026年起党小组在本乡镇内排名（数据迁移）"


def _record(apps, rule, history_type: str) -> None:
    """A history row, as the audit trail keeps for every edit of a rule."""
    History = apps.get_model("activities", "HistoricalRatingRule")
    fields = {f.attname: getattr(rule, f.attname) for f in rule._meta.concrete_fields}
    History.objects.create(
        **fields,
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=REASON,
    )


def forwards(apps, schema_editor):
    RatingRule = apps.get_model("activities", "RatingRule")
    in_force = Q(valid_from__lte=SINCE) & (Q(valid_to__isnull=True) | Q(valid_to__gte=SINCE))
    current = RatingRule.objects.filter(in_force).order_by("valid_from").first()
    if current is None or current.valid_from == SINCE:
        return
    until = current.valid_to
    current.valid_to = SINCE - datetime.timedelta(days=1)
    current.save(update_fields=["valid_to"])
    _record(apps, current, "~")
    current.pk = None
    current.valid_from, current.valid_to = SINCE, until
    current.ranking_scope = "township"
    current.save()
    _record(apps, current, "+")


class Migration(migrations.Migration):
    dependencies = [("activities", "0007_ratings_withdraw_and_ties")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
