import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.bench.pages import PAGES

pytestmark = pytest.mark.django_db


def test_it_seeds_an_empty_database_and_reports_every_registered_page():
    out = io.StringIO()
    call_command("bench", scale="small", repeat=1, stdout=out)
    lines = out.getvalue().splitlines()

    rows = {
        line.split()[0]: line.split()
        for line in lines
        if line.split() and line.split()[0] in {p.name for p in PAGES}
    }
    assert set(rows) == {page.name for page in PAGES}
    budgets = {page.name: page.budget_ms for page in PAGES}
    for name, queries, median, p95, budget, verdict in rows.values():
        assert int(queries) > 0 and float(median) > 0 and float(p95) >= float(median)
        assert int(budget) == budgets[name]
        # The verdict is the median against the page's own budget.
        assert verdict == ("ok" if float(median) <= budgets[name] else "SLOW"), name
    slow = sum(row[-1] == "SLOW" for row in rows.values())
    assert lines[-1] == f"bench: {len(PAGES)} pages, {slow} over budget"


def test_it_refuses_data_of_another_scale():
    call_command("seed_demo", scale="tiny", stdout=io.StringIO())
    with pytest.raises(CommandError, match="不是 city 规模"):
        call_command("bench", scale="city", repeat=1, stdout=io.StringIO())


def test_it_refuses_when_debug_is_off_and_no_flag_names_the_database(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--throwaway-db"):
        call_command("bench", scale="small", repeat=1, stdout=io.StringIO())
