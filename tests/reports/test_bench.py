import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reports.bench.pages import EXPORTS, PAGE_MS, PAGES, REPORT_MS
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


# Seeds the demo and opens every registered page: a walk, run on PostgreSQL only. The
# tiny demo has every account and kind of page the small one has, in a quarter of the time.
@pytest.mark.walk
def test_it_seeds_an_empty_database_and_reports_every_registered_page():
    out = io.StringIO()
    call_command("bench", scale="tiny", repeat=1, stdout=out)
    lines = out.getvalue().splitlines()

    registered = PAGES + EXPORTS
    rows = {
        line.split()[0]: line.split()
        for line in lines
        if line.split() and line.split()[0] in {p.name for p in registered}
    }
    assert set(rows) == {page.name for page in registered}
    budgets = {page.name: page.budget_ms for page in registered}
    for name, queries, median, p95, budget, verdict in rows.values():
        assert int(queries) > 0 and float(median) > 0 and float(p95) >= float(median)
        assert int(budget) == budgets[name]
        # The verdict is the median against the page's own budget.
        assert verdict == ("ok" if float(median) <= budgets[name] else "SLOW"), name
    slow = sum(row[-1] == "SLOW" for row in rows.values())
    assert lines[-1] == f"bench: {len(registered)} pages, {slow} over budget"
    # The exports are listed after the pages, under their own heading.
    assert lines.index(next(line for line in lines if line.startswith("exports"))) > max(
        lines.index(next(line for line in lines if line.startswith(p.name))) for p in PAGES
    )


def test_the_daily_pages_and_reports_have_the_tighter_budget():
    budgets = {page.name: page.budget_ms for page in PAGES}
    daily = [n for n in budgets if n.startswith(("report_", "worklist_", "admin_member_"))]
    assert daily and all(budgets[n] == REPORT_MS == 100 for n in daily)
    assert all(b == PAGE_MS == 150 for n, b in budgets.items() if n not in daily)


def test_it_refuses_data_of_another_scale():
    for _ in range(3):
        MemberFactory()
    with pytest.raises(CommandError, match="当前数据库有 3 名党员，不是 city 规模"):
        call_command("bench", scale="city", repeat=1, stdout=io.StringIO())


def test_it_refuses_when_debug_is_off_and_no_flag_names_the_database(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--throwaway-db"):
        call_command("bench", scale="small", repeat=1, stdout=io.StringIO())
