"""The data migrations that rewrite rows, on one trip back and forth: the branch
categories to the statistics' unit types (branches 0010-0011) and "出党" to the ways of
leaving the 党章 names (members 0012).

They are far behind today's schema: the test starts from an empty database of its
own, migrated forward to their "before" state (``empty_database``), where both are
seeded, then to "after", where both are checked, and back. A data migration runs once,
on the production database: tested there.
"""

from __future__ import annotations

import datetime

import pytest

from tests.helpers import migrate_to

BEFORE = [("branches", "0009_committee_kinds"), ("members", "0011_history_verbose_names")]
AFTER = [("branches", "0011_categories_data"), ("members", "0012_ways_of_leaving")]

pytestmark = pytest.mark.postgres

OLD_CATEGORIES = {
    "甲村党支部": "village",
    "甲社区党支部": "community",
    "甲镇机关党支部": "organ",
    "甲镇中学党支部": "school",
    "甲镇民办学校党支部": "school",
    "甲镇卫生院党支部": "enterprise",
    "物流园区联合党支部": "non_public",
    "敬老院党支部": "other",
}
LEFT = {"自动退党者": "withdrawn", "开除者": "expelled", "未写者": "normal"}


def _seed_categories(apps):
    """A county of its own (path 0009), its branches in the old categories."""
    org_model = apps.get_model("branches", "Organization")
    county = org_model.objects.create(kind="county", name="某县委", code="C9", path="0009")
    township = org_model.objects.create(
        kind="township", name="某镇党委", code="T9", path="00090001", depth=2, parent=county
    )
    for i, (name, category) in enumerate(OLD_CATEGORIES.items(), start=1):
        org_model.objects.create(
            kind="branch",
            name=name,
            code=f"B{i}",
            path=f"00090001{i:04d}",
            depth=3,
            parent=township,
            category=category,
        )
    return county.pk, township.pk


def _seed_left_party(apps, branch_id: int) -> None:
    member_model = apps.get_model("members", "Member")
    membership_model = apps.get_model("members", "Membership")
    day = datetime.date(2024, 3, 1)
    for n, (name, party_status) in enumerate(LEFT.items()):
        member = member_model.objects.create(
            name=name,
            id_number=f"11010519491231{n:03d}X",
            branch_id=branch_id,
            sex="M",
            birth_date=datetime.date(1949, 12, 31),
            party_status=party_status,
            roster_status="left_party",
            left_on=day,
            left_reason="旧数据",
        )
        membership_model.objects.create(
            member=member,
            branch_id=branch_id,
            started_on=datetime.date(2000, 1, 1),
            ended_on=day,
            start_reason="joined",
            end_reason="left_party",
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_database")
def test_the_data_migrations_map_the_old_rows():
    apps = migrate_to(BEFORE)
    county_id, township_id = _seed_categories(apps)
    village = apps.get_model("branches", "Organization").objects.get(name="甲村党支部")
    _seed_left_party(apps, village.pk)

    apps = migrate_to(AFTER)

    # Branch categories: the clear ones mapped, the mixed ones left for a person.
    org_model = apps.get_model("branches", "Organization")
    now = dict(org_model.objects.filter(parent_id=township_id).values_list("name", "category"))
    assert now == {
        "甲村党支部": "village",
        "甲社区党支部": "community",
        "甲镇机关党支部": "organ",
        "甲镇中学党支部": "institution",
        "甲镇民办学校党支部": "social_org",
        "甲镇卫生院党支部": "undecided",
        "物流园区联合党支部": "undecided",
        "敬老院党支部": "undecided",
    }
    assert org_model.objects.get(pk=county_id).category == ""
    # Each node the migration changed has a history row saying why; the others none.
    history = apps.get_model("branches", "HistoricalOrganization").objects.filter(
        history_change_reason="支部类型改按党内统计的单位类型"
    )
    assert sorted(history.values_list("name", "category")) == sorted(
        (name, category)
        for name, category in now.items()
        if category not in ("village", "community", "organ")
    )

    # Ways of leaving: 自动退党 and 开除 kept apart, an unwritten one read as lapsed.
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

    # The categories' way back restores the old words where it can.
    apps = migrate_to(BEFORE)
    back = dict(
        apps.get_model("branches", "Organization")
        .objects.filter(parent_id=township_id)
        .values_list("name", "category")
    )
    assert back["甲镇中学党支部"] == "school" and back["甲镇卫生院党支部"] == "other"
