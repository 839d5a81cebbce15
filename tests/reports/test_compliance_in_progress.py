"""A period counts only once it has ended: the month, quarter and year under way show
what is done so far (进行中), later ones nothing – in the report, its chart and its
export, on the worklist and in the group ranking alike (activities.cadence)."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import ActivityKind
from activities.ratings.services import _compliance
from activities.selectors import obligations
from reports import selectors
from tests.factories import GroupFactory, MemberFactory
from tests.helpers import beijing, clerk_of, frozen, log_meeting
from tests.test_english_walk import english_words

D = datetime.date
TODAY = D(2026, 11, 15)  # November under way, the fourth quarter too, December ahead
GROUP_MEETING = ActivityKind.GROUP_MEETING


@pytest.fixture
def november(tree):
    """Both groups of 甲村 met in October; in November only the first has met so far."""
    clerk = clerk_of(tree.township_a)
    for group in (tree.group_a1, tree.group_a2):
        MemberFactory(group=group)
        log_meeting(org=group, kind=GROUP_MEETING, held_on=D(2026, 10, 9), by=clerk)
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=D(2026, 11, 3), by=clerk)
    return clerk


def _group_meetings(cells):
    return [(c.done, c.due, c.open_done, c.open_due, c.state) for c in cells]


def test_it_shows_the_month_under_way_as_in_progress_not_as_a_rate(tree, november):
    data = selectors.compliance(node=tree.village_a, year=2026, today=TODAY, by="month")

    group_a1, group_a2 = data.children[:2]
    october, this_month, december = (c.state for c in data.columns[9:])
    assert (october, this_month, december) == ("closed", "open", "future")
    assert _group_meetings(group_a1.cells[9:]) == [
        (1, 1, 0, 0, "closed"),
        (0, 0, 1, 1, "open"),  # met on 3 November: done so far, not a 100 % month
        (0, 0, 0, 0, "future"),
    ]
    assert _group_meetings(group_a2.cells[10:]) == [(0, 0, 0, 1, "open"), (0, 0, 0, 0, "future")]
    assert [c.rate for c in group_a1.cells[9:]] == [1.0, None, None]
    # Rates and gaps stop at October; November is neither counted nor missing yet.
    assert (group_a1.total.done, group_a1.total.due) == (1, 10)
    assert (group_a1.total.open_done, group_a1.total.open_due) == (1, 1)
    assert not [m for m in data.missing if m.period_label == "2026年11月"]


def test_it_shows_the_quarter_under_way_with_its_ended_months_as_done_so_far(tree, november):
    data = selectors.compliance(node=tree.village_a, year=2026, today=TODAY, by="quarter")

    group_a1 = data.children[0]
    q3, q4 = group_a1.cells[2:]
    assert (q3.state, q3.done, q3.due, q3.rate) == ("closed", 0, 3, 0.0)
    # October ended (1 of 1), November is under way (1 of 1): 进行中 2/2, still no rate.
    assert (q4.state, q4.done_so_far, q4.due_so_far, q4.rate) == ("open", 2, 2, None)


def test_it_draws_and_exports_only_ended_periods_as_rates(tree, november, county_client):
    url = reverse("reports:compliance", args=[tree.village_a.pk])
    with frozen(beijing(2026, 11, 15)):
        page = county_client.get(url, {"year": 2026})
        download = county_client.get(url, {"year": 2026, "format": "xlsx"})

    chart = page.context["chart"]
    assert chart["values"][9] is not None
    assert chart["values"][10:] == [None, None]  # no point for November, none for December
    assert "进行中" in page.content.decode()
    rows = list(load_workbook(io.BytesIO(download.content)).active.iter_rows(values_only=True))
    header = rows[1]
    first = dict(zip(header, next(r for r in rows if r[0] == tree.group_a1.name), strict=True))
    assert (first["10月已开展"], first["10月应开展"]) == (1, 1)
    assert (first["11月已开展（进行中）"], first["11月应开展（进行中）"]) == (1, 1)
    assert (first["12月已开展"], first["12月应开展"]) == (None, None)
    assert (first["进行中已开展"], first["进行中应开展"]) == (1, 1)
    assert "11月已开展" not in header


def test_it_keeps_the_chart_data_out_of_inline_script(tree, november, county_client):
    url = reverse("reports:compliance", args=[tree.village_a.pk])
    with frozen(beijing(2026, 11, 15)):
        body = county_client.get(url, {"year": 2026}).content.decode()
    data = body.split('id="chart-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(data)["values"][10:] == [None, None]


def test_it_agrees_with_the_worklist_and_the_ranking(tree, november):
    items = obligations(orgs=[tree.group_a1], start=D(2026, 1, 1), today=TODAY)
    this_month = next(o for o in items if o.start == D(2026, 11, 1))
    # The worklist shows November as met so far; it does not count as an ended month.
    assert (this_month.status, this_month.closed) == ("done", False)
    # Ranking: ten ended months, one met (October) – November's meeting is not counted yet.
    assert _compliance([tree.group_a1], 2026, TODAY)[tree.group_a1.pk] == Decimal("0.1")


def test_it_counts_every_period_of_a_past_year(tree, november):
    data = selectors.compliance(node=tree.village_a, year=2026, today=D(2027, 1, 5), by="month")

    assert {c.state for c in data.columns} == {"closed"}
    group_a1 = data.children[0]
    assert (group_a1.total.done, group_a1.total.due, group_a1.total.open_due) == (2, 12, 0)


@pytest.mark.parametrize("groups", [2, 20])
def test_it_shows_a_month_in_progress_in_a_constant_number_of_queries(
    tree, november, county_client, groups, django_assert_num_queries
):
    for i in range(groups - 2):  # 甲村 already has two
        group = GroupFactory(
            parent=tree.village_a, name=f"甲村第{i + 3}党小组", code=f"A-V-G{i + 3}"
        )
        MemberFactory(group=group)
        log_meeting(org=group, kind=GROUP_MEETING, held_on=D(2026, 11, 2), by=november)
    url = reverse("reports:compliance", args=[tree.village_a.pk])
    with frozen(beijing(2026, 11, 15)):
        county_client.get(url)  # warm the content-type cache
        # As tests/reports/test_compliance_and_stars.py counts it: 17 whatever the size
        # (the groups' marks, 软弱涣散 and 示范点, are two of them).
        with django_assert_num_queries(17):
            page = county_client.get(url, {"year": 2026})

    total = page.context["data"].total
    assert (total.cells[10].done_so_far, total.cells[10].state) == (groups - 1, "open")
    words = {word for word, _where in english_words(page.content.decode())}
    assert words <= {"county"}  # the account's name in the header is data
