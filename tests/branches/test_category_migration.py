"""The migration of the branch categories to the statistics' unit types (branches 0010-0011)."""

from __future__ import annotations

import pytest

from tests.helpers import migrate_to

BEFORE = [("branches", "0009_committee_kinds")]
AFTER = [("branches", "0011_categories_data")]


# Migrating back and forth through every later migration is the suite's slowest test;
# a data migration runs once, on the production database: tested there.
pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("back_to_latest_afterwards")
def test_it_maps_each_old_category_and_leaves_the_mixed_ones_undecided():
    apps = migrate_to(BEFORE)
    org_model = apps.get_model("branches", "Organization")
    county = org_model.objects.create(kind="county", name="某县委", code="C", path="0001")
    township = org_model.objects.create(
        kind="township", name="甲镇党委", code="T", path="00010001", depth=2, parent=county
    )
    old = {
        "甲村党支部": "village",
        "甲社区党支部": "community",
        "甲镇机关党支部": "organ",
        "甲镇中学党支部": "school",
        "甲镇民办学校党支部": "school",
        "甲镇卫生院党支部": "enterprise",
        "物流园区联合党支部": "non_public",
        "敬老院党支部": "other",
    }
    for i, (name, category) in enumerate(old.items(), start=1):
        org_model.objects.create(
            kind="branch",
            name=name,
            code=f"B{i}",
            path=f"00010001{i:04d}",
            depth=3,
            parent=township,
            category=category,
        )

    apps = migrate_to(AFTER)

    org_model = apps.get_model("branches", "Organization")
    now = dict(org_model.objects.filter(kind="branch").values_list("name", "category"))
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
    assert org_model.objects.get(kind="county").category == ""
    # Each node the migration changed has a history row saying why; the others none.
    history = apps.get_model("branches", "HistoricalOrganization").objects.filter(
        history_change_reason="支部类型改按党内统计的单位类型"
    )
    assert sorted(history.values_list("name", "category")) == sorted(
        (name, category)
        for name, category in now.items()
        if category not in ("village", "community", "organ")
    )

    apps = migrate_to(BEFORE)
    back = dict(
        apps.get_model("branches", "Organization")
        .objects.filter(kind="branch")
        .values_list("name", "category")
    )
    assert back["甲镇中学党支部"] == "school" and back["甲镇卫生院党支部"] == "other"
