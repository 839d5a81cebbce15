"""Names that break or poison exports (security review, issue 12, item 5).

A control character in a member's or an organisation's name used to make
openpyxl raise IllegalCharacterError (the export answered 500 until someone
fixed the row); titles skipped formula neutralising; a 10,000-character name
made a 64 KB Content-Disposition header. Every xlsx and csv download is
walked here with such names.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from activities.exports import statement_xlsx
from activities.models import ActivityKind
from activities.ratings.services import rating_draft_compute
from branches.spreadsheets.writing import attachment, safe_cell
from members.models import Member
from tests.factories import MemberFactory
from tests.helpers import beijing, clerk_of, frozen, log_meeting

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# PostgreSQL cannot store NUL at all; the other control characters it can.
CONTROLS = ["\x01", "\x1b", "\x0b"] + (["\x00"] if connection.vendor == "sqlite" else [])


@pytest.fixture(params=CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def poisoned(request, tree):
    """Names with control characters and formula starts, on a rated, logged township."""
    control = request.param
    names = {
        tree.township_a: f"=甲镇{control}党委",
        tree.village_a: f"-甲村{control}党支部",
        tree.group_a1: f"+第一{control}党小组",
    }
    for org, name in names.items():
        org.name = name
        org.save()
    member = MemberFactory(group=tree.group_a1)
    member.name = f"@张{control}三"
    member.save()  # as a bad import or an old row left it: no validation on the way
    clerk = clerk_of(tree.township_a)
    log_meeting(org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, held_on=DAY, by=clerk)
    rating_draft_compute(node=tree.township_a, year=2026, today=datetime.date(2026, 4, 1))
    return member


def xlsx_cells(response) -> list[str]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content))
    return [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]


def csv_cells(response) -> list[str]:
    assert response.status_code == 200
    return [c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row]


def assert_safe(cells, *expected):
    texts = [c for c in cells if isinstance(c, str)]
    for text in texts:
        assert not text.startswith(FORMULA_STARTS), text
        assert not UNWRITABLE.search(text), text
    for fragment in expected:
        assert any(fragment in text for text in texts), (fragment, texts[:20])


EXPORTS = {
    "roster xlsx": lambda t, m: (reverse("members:roster_export"), "'@张\ufffd三"),
    "rating draft": lambda t, m: (
        reverse("activities:rating_draft", args=[t.township_a.pk]) + "?year=2026&format=xlsx",
        "'=甲镇\ufffd党委 2026年度评星定级草稿",
    ),
    "ranking": lambda t, m: (
        reverse("activities:group_ranking", args=[t.township_a.pk]) + "?year=2026&format=xlsx",
        "'=甲镇\ufffd党委 2026年度党小组排名",
    ),
    "points statement": lambda t, m: (
        reverse("activities:points_statement", args=[m.pk]) + "?year=2026&format=xlsx",
        "'@张\ufffd三 2026年度积分明细",
    ),
    "ledger": lambda t, m: (
        reverse("activities:ledger", args=[t.village_a.pk]) + "?year=2026&format=xlsx",
        "'-甲村\ufffd党支部 2026年组织生活台账",
    ),
    "overview report": lambda t, m: (
        reverse("reports:overview", args=[t.township_a.pk]) + "?format=xlsx",
        "'=甲镇\ufffd党委 组织概况",
    ),
    "compliance report": lambda t, m: (
        reverse("reports:compliance", args=[t.township_a.pk]) + "?year=2026&format=xlsx",
        "'=甲镇\ufffd党委 2026年三会一课开展情况",
    ),
    "stars report": lambda t, m: (
        reverse("reports:stars", args=[t.county.pk]) + "?year=2026&format=xlsx",
        "'=甲镇\ufffd党委",
    ),
    "tree": lambda t, m: (reverse("tree_export"), "+第一\ufffd党小组"),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_every_export_of_a_poisoned_name_answers_a_workbook_with_it_defused(
    tree, county_client, poisoned, export
):
    url, expected = EXPORTS[export](tree, poisoned)

    with frozen(beijing(2026, 4, 1)):
        response = county_client.get(url)

    assert_safe(xlsx_cells(response), expected)


def test_the_roster_csv_defuses_and_cleans_every_cell(tree, county_client, poisoned):
    response = county_client.get(reverse("members:roster_export") + "?format=csv")

    cells = csv_cells(response)
    assert_safe(cells, "'@张\ufffd三", "姓名")
    # The branch's label begins with the poisoned township: the whole cell is defused.
    assert "'=甲镇\ufffd党委/-甲村\ufffd党支部" in cells


def test_the_roster_export_defuses_each_formula_start(tree, county_client):
    for start in FORMULA_STARTS:
        MemberFactory(branch=tree.village_a, address=f"{start}1+1")
    response = county_client.get(reverse("members:roster_export"))

    cells = xlsx_cells(response)

    assert_safe(cells)
    # XML reads a carriage return back as a line feed.
    assert {f"'{start}1+1".replace("\r", "\n") for start in FORMULA_STARTS} <= set(cells)


def test_a_ten_thousand_character_name_gives_a_short_file_name(tree):
    member = Member(name="张" * 10_000)
    score = type(
        "Score", (), dict.fromkeys(("base", "additions", "deductions", "capped", "total"), 0)
    )

    response = statement_xlsx(
        member=member, year=2026, data={"score": score, "entries": [], "stars": 0}
    )

    header = response["Content-Disposition"]
    assert len(header) < 700
    assert header.startswith("attachment; filename*=UTF-8''")
    assert header.endswith(".xlsx")
    assert xlsx_cells(response)[0].startswith("张" * 100)


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("张" * 100 + ".xlsx", "张" * 60 + ".xlsx"),
        ("../../etc/passwd\r\nX-Evil: 1.csv", "....etcpasswdX-Evil: 1.csv"),
        ("\x00\x01.xlsx", "download.xlsx"),
    ],
)
def test_it_bounds_and_cleans_download_names(name, sent):
    from urllib.parse import unquote

    header = attachment(HttpResponse(), name)["Content-Disposition"]

    assert unquote(header.removeprefix("attachment; filename*=UTF-8''")) == sent
    assert "\n" not in header and "\r" not in header


def test_safe_cell_keeps_other_values_and_caps_the_length():
    assert safe_cell(12.5) == 12.5
    assert safe_cell(datetime.date(2026, 1, 1)) == datetime.date(2026, 1, 1)
    assert safe_cell("甲村\t党支部") == "甲村\t党支部"
    assert len(safe_cell("x" * 40_000)) == 32_767
