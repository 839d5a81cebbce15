"""How nodes are named in lists: from below the county down, short names above the node."""

from __future__ import annotations

import pytest

from branches.labels import attach_labels, labels_by_pk
from branches.models import Organization
from branches.services import org_update
from tests.factories import GeneralBranchFactory, GroupFactory

pytestmark = pytest.mark.django_db


def test_it_names_a_group_by_its_township_and_branch(tree):
    assert tree.group_a1.label == "甲镇党委/甲村党支部/甲村第一党小组"
    assert tree.village_a.label == "甲镇党委/甲村党支部"
    assert tree.township_a.label == "甲镇党委"


def test_it_uses_the_short_names_of_the_levels_above(tree):
    org_update(org=tree.township_a, short_name="甲镇")
    group = Organization.objects.get(pk=tree.group_a1.pk)

    assert group.label == "甲镇/甲村党支部/甲村第一党小组"


def test_it_labels_a_list_in_one_query(tree, django_assert_num_queries):
    general = GeneralBranchFactory(parent=tree.township_b, name="乙镇第一党总支")
    deep = GroupFactory(parent=tree.village_b, name="第三党小组")
    orgs = list(Organization.objects.filter(pk__in=[tree.group_a1.pk, general.pk, deep.pk]))

    with django_assert_num_queries(1):
        attach_labels(orgs)
        labels = [o.label for o in orgs]

    assert sorted(labels) == [
        "乙镇党委/乙村党支部/第三党小组",
        "乙镇党委/乙镇第一党总支",
        "甲镇党委/甲村党支部/甲村第一党小组",
    ]
    assert labels_by_pk(orgs)[deep.pk] == "乙镇党委/乙村党支部/第三党小组"
