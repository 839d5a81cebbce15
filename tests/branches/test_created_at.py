"""录入时间 (Organization.created_at): stamped on new nodes, backfilled from the history."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import QuerySet

from branches.models import Organization, OrgKind
from branches.services import org_create, org_update, orgs_backfill_created_at

pytestmark = pytest.mark.django_db

HistoricalOrganization = Organization.history.model
LATER = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def _history_dates(org, *dates):
    """Rewrite *org*'s history rows, oldest first, to *dates*."""
    rows = list(HistoricalOrganization.objects.filter(id=org.pk).order_by("history_id"))
    assert len(rows) == len(dates)
    for row, date in zip(rows, dates, strict=True):
        QuerySet(HistoricalOrganization).filter(pk=row.pk).update(history_date=date)


def test_it_stamps_a_new_node_with_the_present(tree):
    before = datetime.datetime.now(datetime.UTC)
    org = org_create(kind=OrgKind.TOWNSHIP, name="丙乡党委", code="X", parent=tree.county)
    assert before <= org.created_at <= datetime.datetime.now(datetime.UTC)


def test_it_backfills_each_node_with_its_first_history_record(tree):
    first = datetime.datetime(2021, 5, 6, 7, 8, tzinfo=datetime.UTC)
    org = org_create(kind=OrgKind.TOWNSHIP, name="丙乡党委", code="X", parent=tree.county)
    org_update(org=org, short_name="丙乡")
    _history_dates(org, first, datetime.datetime(2022, 1, 1, tzinfo=datetime.UTC))
    # Written without history (as the demo seed writes): no history row, so the
    # node keeps the value it has, in the migration the column's default.
    orphan = Organization.objects.bulk_create(
        [
            Organization(
                kind=OrgKind.TOWNSHIP,
                name="丁乡党委",
                code="Y",
                parent=tree.county,
                path=tree.county.path + "0099",
                depth=2,
                created_at=LATER,
            )
        ],
        audit=False,
    )[0]
    QuerySet(Organization).filter(pk=org.pk).update(created_at=LATER)

    updated = orgs_backfill_created_at(
        organization_model=Organization, history_model=HistoricalOrganization
    )

    assert updated == Organization.objects.count()
    created = dict(Organization.objects.values_list("pk", "created_at"))
    assert created[org.pk] == first
    assert created[orphan.pk] == LATER
    # The standard tree's bulk writes recorded history rows: they give its dates.
    assert created[tree.county.pk] == min(
        HistoricalOrganization.objects.filter(id=tree.county.pk).values_list(
            "history_date", flat=True
        )
    )


def test_it_backfills_in_one_statement(tree, django_assert_num_queries):
    with django_assert_num_queries(1):  # UPDATE … SET created_at = (SELECT MIN(…) …)
        orgs_backfill_created_at(
            organization_model=Organization, history_model=HistoricalOrganization
        )
