"""The activity tests' township clerk, and a year's published ranking with a last group
(the helpers themselves are ``tests/helpers.py``)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from activities.models import GroupRank, RatingPublication
from branches.models import Post, PostTitle
from branches.services import post_assign
from tests.factories import MemberFactory
from tests.helpers import clerk_of

LAST_RANK_YEAR = 2025


@pytest.fixture
def clerk(tree):
    return clerk_of(tree.township_a)


@dataclass
class LastGroup:
    leader: object
    post: Post
    ranks: dict  # group → its GroupRank
    publication: RatingPublication


@pytest.fixture
def last_group(tree, county_user) -> LastGroup:
    """2025's ranking of township A's two groups, published by the county: 甲村第一党小组
    last (its leader 末位组长 holds the post since 2022), 甲村第二党小组 first."""
    leader = MemberFactory(group=tree.group_a1, name="末位组长")
    post = post_assign(
        org=tree.group_a1,
        member=leader,
        title=PostTitle.GROUP_LEADER,
        started_on=datetime.date(2022, 1, 1),
    )
    publication = RatingPublication.objects.create(
        year=LAST_RANK_YEAR,
        org=tree.county,
        published_by=county_user,
        published_at=timezone.now(),
        member_count=1,
    )
    ranks = {}
    for group, rank, last in ((tree.group_a1, 2, True), (tree.group_a2, 1, False)):
        ranks[group] = GroupRank.objects.create(
            year=LAST_RANK_YEAR,
            group=group,
            scope_org=tree.township_a,
            publication=publication,
            member_count=1,
            average_points=Decimal("60"),
            score=Decimal("50"),
            rank=rank,
            group_count=2,
            is_last=last,
            leader=leader if last else None,
            computed_at=timezone.now(),
        )
    return LastGroup(leader, post, ranks, publication)
