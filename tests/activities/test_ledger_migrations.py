"""The working ledgers' data migrations, on one trip back and forth: from the year their
records start, points derived from the ledger replace the clerk's manual rule
(设岗定责 0021, 结对帮扶 0023), as new dated rule rows, and the roles get the ledgers'
permissions.

The trip back unapplies every later migration and the way forward applies them again:
most of the time, so every ledger's rules are seeded at the state before the first of
them and checked after the last. A data migration runs once, on the production
database: tested there.
"""

from __future__ import annotations

import datetime

import pytest

from tests.concurrency import restore_roles
from tests.helpers import migrate_to

pytestmark = pytest.mark.postgres

D = datetime.date
BEFORE = [("activities", "0020_duty_posts")]
AFTER = [("activities", "0023_pairings_defaults")]
# What each closed manual rule's history row says.
REASONS = {
    "duty": "自2026年起设岗定责按履职记录自动计分（数据迁移）",
    "pairing": "自2026年起结对帮扶按走访记录自动计分（数据迁移）",
}
DERIVED = {"duty": "duty_log", "pairing": "pairing_visit"}


def _manual_rules(apps, source):
    """An admin's rule closed before 2026, and the open one the migration must close."""
    rule_model = apps.get_model("activities", "PointRule")
    rule_model.objects.filter(source__in=[source, DERIVED[source]]).delete()
    old = rule_model.objects.create(
        source=source, points=3, valid_from=D(2020, 1, 1), valid_to=D(2022, 12, 31)
    )
    open_ = rule_model.objects.create(
        source=source, points=5, yearly_cap=10, valid_from=D(2023, 1, 1)
    )
    return old, open_


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_afterwards")
def test_the_data_migrations_close_only_the_open_manual_rules_and_grant_the_ledgers():
    # An earlier transactional test's flush took the roles the migrations grant to.
    restore_roles()
    apps = migrate_to(BEFORE)
    seeded = {source: _manual_rules(apps, source) for source in REASONS}

    apps = migrate_to(AFTER)

    rule_model = apps.get_model("activities", "PointRule")
    history_model = apps.get_model("activities", "HistoricalPointRule")
    for source, (old, open_) in seeded.items():
        rules = rule_model.objects.filter(source__in=[source, DERIVED[source]])
        assert sorted(rules.values_list("source", "valid_from", "valid_to")) == [
            (source, D(2020, 1, 1), D(2022, 12, 31)),  # closed by an admin: left alone
            (source, D(2023, 1, 1), D(2025, 12, 31)),
            (DERIVED[source], D(2026, 1, 1), None),
        ], source
        derived = rules.get(source=DERIVED[source])
        history = history_model.objects.filter(
            id__in=[old.pk, open_.pk, derived.pk], history_change_reason=REASONS[source]
        )
        assert sorted(history.values_list("id", "history_type", "valid_to")) == sorted(
            [(open_.pk, "~", D(2025, 12, 31)), (derived.pk, "+", None)]
        ), source

    group = apps.get_model("auth", "Group").objects

    def codenames(role, *models):
        perms = group.get(name=role).permissions.filter(content_type__model__in=models)
        return set(perms.values_list("codename", flat=True))

    duty = ("dutypost", "dutyassignment", "dutylog")
    assert codenames("乡镇专干", *duty) == {
        f"{action}_{model}" for action in ("view", "add", "change") for model in duty
    }
    pairs = ("pairing", "pairingvisit")
    every = {f"{a}_{m}" for a in ("view", "add", "change") for m in pairs}
    assert codenames("乡镇专干", *pairs) == codenames("县委组织部", *pairs) == every
    assert codenames("系统管理员", *pairs) == every
    assert codenames("支部书记", *pairs) == {"view_pairing", "view_pairingvisit"}
