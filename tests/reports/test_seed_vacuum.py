"""The seed's last step on PostgreSQL: run outside a transaction (``make run``, the
city-scale bench database), it vacuums as well as analyses, so the pages' counts over
the roster can read an index alone; inside one (a test's) it only analyses."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.demo import DemoBuilder

COUNTS = (
    "townships",
    "branches",
    "groups",
    "members",
    "activities",
    "attendance",
    "point_entries",
    "ratings",
    "transfers",
)


@pytest.fixture
def no_build(monkeypatch):
    # The build itself is the other tests'; here only what follows it.
    monkeypatch.setattr(DemoBuilder, "build", lambda self: dict.fromkeys(COUNTS, 0))


def statements() -> list[str]:
    with CaptureQueriesContext(connection) as run:
        call_command("seed_demo", scale="tiny", stdout=io.StringIO())
    return [query["sql"] for query in run.captured_queries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_vacuums_and_analyses(no_build):
    assert "VACUUM (ANALYZE)" in statements()


@pytest.mark.django_db
def test_inside_a_transaction_it_analyses(no_build):
    ran = statements()
    assert "ANALYZE" in ran and "VACUUM (ANALYZE)" not in ran
