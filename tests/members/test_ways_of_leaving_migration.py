"""The migration that renames "出党" to the ways of leaving the 党章 names (members 0012)."""

from __future__ import annotations

import datetime

import pytest

from tests.conftest import build_tree
from tests.helpers import migrate_to

BEFORE = [("members", "0011_history_verbose_names")]
AFTER = [("members", "0012_ways_of_leaving")]


# Migrating back and forth through every later migration is the suite's slowest test;
# a data migration runs once, on the production database: tested there.
pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_afterwards")
def test_it_maps_left_party_rows_to_the_closest_way_of_leaving():
    # The tree with today's models, built before going back: the way back to members
    # 0011 also unapplies branches 0012 (its candidates point at members), and the
    # organisations' rows outlive the columns it drops.
    org = build_tree().village_a
    apps = migrate_to(BEFORE)
    member_model = apps.get_model("members", "Member")
    membership_model = apps.get_model("members", "Membership")
    day = datetime.date(2024, 3, 1)
    people = {}
    for name, party_status in (
        ("自动退党者", "withdrawn"),
        ("开除者", "expelled"),
        ("未写者", "normal"),
    ):
        member = member_model.objects.create(
            name=name,
            id_number=f"11010519491231{len(people):03d}X",
            branch_id=org.pk,
            sex="M",
            birth_date=datetime.date(1949, 12, 31),
            party_status=party_status,
            roster_status="left_party",
            left_on=day,
            left_reason="旧数据",
        )
        membership_model.objects.create(
            member=member,
            branch_id=org.pk,
            started_on=datetime.date(2000, 1, 1),
            ended_on=day,
            start_reason="joined",
            end_reason="left_party",
        )
        people[name] = member.pk

    apps = migrate_to(AFTER)

    member_model = apps.get_model("members", "Member")
    rows = {
        m.name: (m.roster_status, m.party_status, m.memberships.get().end_reason)
        for m in member_model.objects.all()
    }
    assert rows == {
        "自动退党者": ("lapsed", "lapsed", "lapsed"),
        "开除者": ("expelled", "expelled", "expelled"),
        "未写者": ("lapsed", "lapsed", "lapsed"),
    }
