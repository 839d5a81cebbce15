"""Every kind under every kind: the parents the 支部工作条例 and county practice allow,
and the refusal (with the allowed parents named) of every other pair."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from branches.models import ALLOWED_PARENTS, CATEGORISED_KINDS, BranchCategory, OrgKind
from branches.services import org_create

pytestmark = pytest.mark.django_db

KINDS = list(OrgKind)
ALLOWED = {
    (OrgKind.CITY, None),
    (OrgKind.COUNTY, None),
    (OrgKind.COUNTY, OrgKind.CITY),
    (OrgKind.TOWNSHIP, OrgKind.COUNTY),
    (OrgKind.WORK_COMMITTEE, OrgKind.COUNTY),
    (OrgKind.PRIMARY_COMMITTEE, OrgKind.COUNTY),
    (OrgKind.PRIMARY_COMMITTEE, OrgKind.TOWNSHIP),
    (OrgKind.PRIMARY_COMMITTEE, OrgKind.WORK_COMMITTEE),
    (OrgKind.PRIMARY_COMMITTEE, OrgKind.PRIMARY_COMMITTEE),
    (OrgKind.GENERAL_BRANCH, OrgKind.TOWNSHIP),
    (OrgKind.GENERAL_BRANCH, OrgKind.WORK_COMMITTEE),
    (OrgKind.GENERAL_BRANCH, OrgKind.PRIMARY_COMMITTEE),
    (OrgKind.BRANCH, OrgKind.TOWNSHIP),
    (OrgKind.BRANCH, OrgKind.WORK_COMMITTEE),
    (OrgKind.BRANCH, OrgKind.PRIMARY_COMMITTEE),
    (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH),
    (OrgKind.GROUP, OrgKind.BRANCH),
}
PAIRS = list(itertools.product(KINDS, [None, *KINDS]))

# A parent of each kind, built along one allowed chain from the root.
CHAIN = {
    OrgKind.CITY: None,
    OrgKind.COUNTY: OrgKind.CITY,
    OrgKind.TOWNSHIP: OrgKind.COUNTY,
    OrgKind.WORK_COMMITTEE: OrgKind.COUNTY,
    OrgKind.PRIMARY_COMMITTEE: OrgKind.WORK_COMMITTEE,
    OrgKind.GENERAL_BRANCH: OrgKind.PRIMARY_COMMITTEE,
    OrgKind.BRANCH: OrgKind.GENERAL_BRANCH,
    OrgKind.GROUP: OrgKind.BRANCH,
}


def _node(kind, parent, name=None):
    category = BranchCategory.ORGAN if kind in CATEGORISED_KINDS else ""
    return org_create(
        kind=kind,
        name=name or f"某{OrgKind(kind).label}",
        code=f"{kind}-{parent.pk if parent else 0}-{name or ''}",
        parent=parent,
        category=category,
    )


def _parent_of_kind(kind):
    if kind is None:
        return None
    return _node(kind, _parent_of_kind(CHAIN[kind]))


def test_the_table_says_what_the_tests_say():
    table = {(kind, parent) for kind, parents in ALLOWED_PARENTS.items() for parent in parents}

    assert table == ALLOWED


@pytest.mark.parametrize(
    ("kind", "parent_kind"), PAIRS, ids=[f"{k.value}-under-{p or 'root'}" for k, p in PAIRS]
)
def test_it_allows_exactly_the_listed_parents(kind, parent_kind):
    parent = _parent_of_kind(parent_kind)

    if (kind, parent_kind) in ALLOWED:
        created = _node(kind, parent, name="新组织")
        assert created.parent == parent
        assert created.depth == (parent.depth + 1 if parent else 1)
    else:
        with pytest.raises(ValidationError) as refused:
            _node(kind, parent, name="新组织")
        message = refused.value.message_dict["parent"][0]
        assert message.startswith(f"{OrgKind(kind).label}的上级只能是：")


def test_a_primary_committee_needs_a_category(tree):
    with pytest.raises(ValidationError) as refused:
        org_create(
            kind=OrgKind.PRIMARY_COMMITTEE, name="青山村党委", code="X", parent=tree.township_a
        )

    assert refused.value.message_dict["category"] == ["基层党委、党总支和党支部必须选择支部类型。"]


def test_the_deepest_chain_fits_the_path(tree):
    """县委/工委/基层党委/党委/党总支/党支部/党小组 under a 市委: eight levels."""
    node = _parent_of_kind(OrgKind.CITY)
    for kind in (
        OrgKind.COUNTY,
        OrgKind.WORK_COMMITTEE,
        OrgKind.PRIMARY_COMMITTEE,
        OrgKind.PRIMARY_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
        OrgKind.BRANCH,
        OrgKind.GROUP,
    ):
        node = _node(kind, node, name=f"第{node.depth + 1}级")

    assert node.depth == 8
