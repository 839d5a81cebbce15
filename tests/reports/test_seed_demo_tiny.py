"""seed_demo at the tiny scale: what needs an empty database of its own each time."""

import dataclasses
import datetime
import io
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from activities.models import Activity, Rating
from branches.models import Organization
from members.models import Member
from reports.demo.builder import SCALES, TOWNSHIP_NAMES, township_names

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def database_in_use() -> str:
    return str(connection.settings_dict["NAME"])


def _fingerprint():
    members = list(Member.objects.order_by("pk").values_list("name", "id_number", "branch__name"))
    activities = list(
        Activity.objects.order_by("pk").values_list(
            "org__name", "kind", "held_on", "present_count", "leave_count", "absent_count"
        )
    )
    ratings = sorted(Rating.objects.values_list("member__id_number", "total", "stars", "appraisal"))
    return members, activities, ratings


def test_it_is_deterministic_for_a_seed_and_a_date(settings):
    with transaction.atomic():
        seed(scale="tiny", seed=3, today=datetime.date(2026, 6, 30))
        first = _fingerprint()
        transaction.set_rollback(True)  # an empty database again for the second build
    assert not Organization.objects.exists()
    # The second build with DEBUG off: the flag naming the database in use lets it run
    # (each build takes seconds; one build shows both).
    settings.DEBUG = False
    seed(scale="tiny", seed=3, today=datetime.date(2026, 6, 30), throwaway_db=database_in_use())

    assert _fingerprint() == first
    assert first[1], "the demo holds a history of meetings"
    assert seed(scale="tiny", seed=4, if_empty=True, throwaway_db=database_in_use()).startswith(
        "数据库已有数据"
    )


def test_it_refuses_when_debug_is_off_and_no_flag_names_the_database(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--throwaway-db"):
        seed(scale="tiny")
    with pytest.raises(CommandError, match="--throwaway-db"):
        seed(scale="tiny", throwaway_db="production")
    assert not Organization.objects.exists()


def test_twice_the_city_is_twice_its_townships_with_the_same_proportions():
    city, city2 = SCALES["city"], SCALES["city2"]

    assert city2 == dataclasses.replace(city, townships=2 * city.townships)
    names = township_names(random.Random(7), city2.townships)
    assert len(set(names)) == city2.townships
    # The smaller scales draw the names they always drew for a seed.
    drawn, before = random.Random(7), random.Random(7)
    assert township_names(drawn, 20) == before.sample(TOWNSHIP_NAMES, 20)
    assert drawn.random() == before.random()  # and leave the generator where it was
