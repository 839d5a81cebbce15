"""What an organisation cannot hold is refused in the tree sheet's preview (issue 12, items 5–6)."""

from __future__ import annotations

import pytest

from branches.models import Organization
from branches.tree_sheets import commit_tree_import, plan_tree_import, tree_rows
from tests.members.roster_helpers import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

CONTROL = "含有不可见的控制字符"


def tree_sheet(user, *extra) -> bytes:
    return xlsx([*[list(r) for r in tree_rows(user=user)], *extra])


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["县委/甲镇党委/新\x00支部", "党支部", "农村", "A-NEW", "", "", ""],
            f"「路径」：{CONTROL}（U+0000），请删除后重新导入。",
        ),
        (
            ["县委/甲镇党委/新支部", "党支部", "农村", "A-\x01NEW", "", "", ""],
            f"「组织代码」：{CONTROL}（U+0001），请删除后重新导入。",
        ),
        (
            ["县委/甲镇党委/" + "新" * 101, "党支部", "农村", "A-NEW", "", "", ""],
            "「路径」：「新新新新新新新新新新新新新新新新新新新新…」太长：最多 100 个字符，这里有 101 个。",
        ),
        (
            ["县委/甲镇党委/新支部", "党支部", "农村", "A" * 51, "", "", ""],
            "「组织代码」：「AAAAAAAAAAAAAAAAAAAA…」太长：最多 50 个字符，这里有 51 个。",
        ),
    ],
)
def test_the_tree_import_refuses_what_an_organisation_cannot_hold(tree, county_user, row, expected):
    if "\x00" in "".join(row) or "\x01" in "".join(row):  # openpyxl cannot write them
        data = csv_bytes([list(r) for r in tree_rows(user=county_user)] + [row])
        filename = "tree.csv"
    else:
        data = tree_sheet(county_user, row)
        filename = "tree.xlsx"
    before = Organization.objects.count()

    result = plan_tree_import(data=data, filename=filename, user=county_user)

    number = len(list(tree_rows(user=county_user))) + 1
    assert [str(p) for p in result.problems] == [f"第{number}行{expected}"]
    with pytest.raises(ValueError, match="有被拒绝的行"):
        commit_tree_import(plan=result, user=county_user)
    assert Organization.objects.count() == before
