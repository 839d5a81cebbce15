"""The standard tree and cast of users shared by the tests.

县委
├── 甲镇党委 (township A)
│   ├── 甲村党支部 (农村) ── 甲村第一党小组, 甲村第二党小组
│   └── 甲镇机关党支部 (机关)
└── 乙镇党委 (township B)
    ├── 乙村党支部 (农村) ── 乙村第一党小组, 乙村第二党小组
    └── 乙镇机关党支部 (机关)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from branches.models import BranchCategory, Organization
from tests.factories import (
    BranchFactory,
    CountyFactory,
    GroupFactory,
    TownshipFactory,
    UserFactory,
)


@dataclass(frozen=True)
class Tree:
    county: Organization
    township_a: Organization
    village_a: Organization
    group_a1: Organization
    group_a2: Organization
    organ_a: Organization
    township_b: Organization
    village_b: Organization
    group_b1: Organization
    group_b2: Organization
    organ_b: Organization


def _township(county: Organization, prefix: str, code: str) -> dict[str, Organization]:
    township = TownshipFactory(parent=county, name=f"{prefix}镇党委", code=code)
    village = BranchFactory(parent=township, name=f"{prefix}村党支部", code=f"{code}-V")
    group1 = GroupFactory(parent=village, name=f"{prefix}村第一党小组", code=f"{code}-V-G1")
    group2 = GroupFactory(parent=village, name=f"{prefix}村第二党小组", code=f"{code}-V-G2")
    organ = BranchFactory(
        parent=township,
        name=f"{prefix}镇机关党支部",
        code=f"{code}-O",
        category=BranchCategory.ORGAN,
    )
    return {"township": township, "village": village, "g1": group1, "g2": group2, "organ": organ}


@pytest.fixture
def tree(db) -> Tree:
    county = CountyFactory(name="县委", code="C")
    a = _township(county, "甲", "A")
    b = _township(county, "乙", "B")
    return Tree(
        county=county,
        township_a=a["township"],
        village_a=a["village"],
        group_a1=a["g1"],
        group_a2=a["g2"],
        organ_a=a["organ"],
        township_b=b["township"],
        village_b=b["village"],
        group_b1=b["g1"],
        group_b2=b["g2"],
        organ_b=b["organ"],
    )


@pytest.fixture
def county_user(tree):
    return UserFactory(username="county", org=tree.county)


@pytest.fixture
def clerk_a(tree):
    return UserFactory(username="clerk_a", org=tree.township_a)


@pytest.fixture
def clerk_b(tree):
    return UserFactory(username="clerk_b", org=tree.township_b)
