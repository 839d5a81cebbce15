"""Two county staff publishing the same year at the same moment: one publication, and
the other person is told the year is published – not a database error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from activities.models import RatingPublication
from activities.ratings.publishing import last_rank_decide, rating_publish
from tests.activities.test_rating_publication import JANUARY, high_base, tie  # noqa: F401
from tests.concurrency import at_once, restore_roles
from tests.helpers import frozen

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def roles(transactional_db):
    restore_roles()


@pytest.fixture
def decided(roles, tree, tie, clerk_a):  # noqa: F811
    with frozen(JANUARY):
        last_rank_decide(
            unit=tree.village_a, year=2025, last_group_ids=[], reason="均不作末位", by=clerk_a
        )


def test_two_simultaneous_publications_of_a_year_make_one(tree, decided, county_user):
    publish = lambda: rating_publish(  # noqa: E731
        node=tree.county, year=2025, by=county_user, today=JANUARY.date()
    )
    with frozen(JANUARY):
        results = at_once(publish, publish)
    published = [r for r in results if isinstance(r, RatingPublication)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(published) == 1 and len(refused) == 1, results
    assert "不能重复发布" in " ".join(refused[0].messages)
    assert RatingPublication.objects.filter(year=2025).count() == 1
