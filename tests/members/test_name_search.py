"""Searching members by part of a name in the admin, and the trigram index that serves
it on PostgreSQL (members 0013)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from members.models import Member, PiiAccess
from tests.factories import MemberFactory

CHANGELIST = "admin:members_member_changelist"
INDEX = "member_name_trgm"


def _results(response):
    return list(response.context["cl"].result_list)


@pytest.fixture
def ouyang(tree):
    return MemberFactory(name="欧阳建国", group=tree.group_a1, id_number="11010519491231002X")


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["阳建", "阳建国", "建国", "欧阳建国", "国"])
def test_it_finds_a_part_anywhere_in_a_name(admin_client, tree, ouyang, term):
    MemberFactory(name="王建军", group=tree.group_a2)

    assert _results(admin_client.get(reverse(CHANGELIST), {"q": term})) == [ouyang]


@pytest.mark.django_db
def test_it_finds_latin_letters_in_any_case_and_every_word_of_the_term(admin_client, tree):
    ahmad = MemberFactory(name="Ahmad·买买提", group=tree.group_a1)
    MemberFactory(name="买买提·艾力", group=tree.group_a2)

    assert _results(admin_client.get(reverse(CHANGELIST), {"q": "ahmad"})) == [ahmad]
    assert _results(admin_client.get(reverse(CHANGELIST), {"q": "买买提 AHMAD"})) == [ahmad]
    assert len(_results(admin_client.get(reverse(CHANGELIST), {"q": "买买提"}))) == 2


@pytest.mark.django_db
def test_it_still_searches_only_names_without_view_pii(secretary_a_client, ouyang):
    for term in ("11010519491231002X", "19491231"):
        response = secretary_a_client.get(reverse(CHANGELIST), {"q": term})
        assert response.status_code == 200
        assert _results(response) == [], term
    assert _results(secretary_a_client.get(reverse(CHANGELIST), {"q": "阳建"})) == [ouyang]
    assert not PiiAccess.objects.exists()


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                [Member._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [Member._meta.db_table],
            )
        return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
def test_it_serves_a_name_search_from_the_trigram_index(admin_client, tree, ouyang):
    assert "gin_trgm_ops" in _indexes()[INDEX]

    response = admin_client.get(reverse(CHANGELIST), {"q": "阳建国"})

    assert _results(response) == [ouyang]
    sql, params = response.context["cl"].queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows: left to itself the planner would read the table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert INDEX in plan


# The test database is built by the migrations, so its indexes are what members 0013
# left. (Migrating back and forth to see it would cost half a minute a database; the
# way back through 0013 is walked on PostgreSQL by tests/members/test_ways_of_leaving_migration.)
@pytest.mark.django_db
def test_the_migration_adds_the_index_on_postgresql_only():
    assert (INDEX in _indexes()) == (connection.vendor == "postgresql")
