"""The working ledgers' data migrations: from the year their records start, points
derived from the ledger replace the clerk's manual rule (设岗定责 0021, 结对帮扶 0023),
as new dated rule rows, and the roles get the ledgers' permissions.

Their functions are run on today's schema, as ``tests.concurrency.restore_roles``
runs them after a flush: the tables they touch (point rules, their history, the
roles' permissions) are what they were then, and a trip back to before them would
unapply every later migration and apply it again (40 s, more with every ledger).
"""

from __future__ import annotations

import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.db.models import Q

from tests.concurrency import restore_roles

pytestmark = pytest.mark.django_db

D = datetime.date
MIGRATIONS = ("0021_duty_posts_defaults", "0023_pairings_defaults")
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


def test_the_data_migrations_close_only_the_open_manual_rules_and_grant_the_ledgers():
    restore_roles()  # an earlier transactional test's flush may have taken them
    seeded = {source: _manual_rules(apps, source) for source in REASONS}
    group = apps.get_model("auth", "Group").objects
    for role in group.all():
        role.permissions.remove(
            *role.permissions.filter(Q(codename__contains="duty") | Q(codename__contains="pairing"))
        )

    for name in MIGRATIONS:
        import_module(f"activities.migrations.{name}").forwards(apps, None)

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
