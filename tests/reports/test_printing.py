"""What every printed page of a report carries: the organisation, the report and its date."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.printing import css_string, print_head


@pytest.mark.parametrize(
    "text",
    ['甲镇"党委', "甲镇\\党委", "甲镇</style><script>x</script>", "甲镇党委 · 截至\n"],
)
def test_it_writes_names_as_css_strings_nothing_can_end(text):
    quoted = css_string(text)

    assert quoted.startswith('"') and quoted.endswith('"')
    inner = quoted[1:-1]
    assert '"' not in inner and "<" not in inner and "\n" not in inner
    assert inner.count("\\") == sum(not c.isalnum() for c in text)


def test_it_heads_the_page_with_the_organisation_report_and_date():
    head = print_head(org_name="甲镇党委", title="组织概况", as_of=datetime.date(2026, 6, 30))

    # "·" is escaped; CSS reads "\b7 " as one "·" and drops the space that ends it.
    assert head == '"甲镇党委\\20 \\b7 \\20 组织概况\\20 \\b7 \\20 截至2026年6月30日"'


@pytest.mark.parametrize(
    ("name", "query", "expected"),
    [
        ("reports:overview", {"on": "2025-06-30"}, "组织概况 · 截至2025年6月30日"),
        ("reports:summary", {"on": "2025-06-30"}, "数据摘要 · 截至2025年6月30日"),
        ("reports:compliance", {"year": "2024"}, "2024年三会一课 · 截至2024年12月31日"),
        ("reports:stars", {"year": "2024"}, "2024年积分与评星 · 截至2024年12月31日"),
    ],
)
def test_it_prints_the_head_on_every_report_page(tree, county_client, name, query, expected):
    response = county_client.get(reverse(name, args=[tree.township_a.pk]), query)

    assert response.status_code == 200
    assert f"@page {{ @top-left {{ content: {response.context['print_head']}; }} }}" in (
        response.content.decode()
    )
    assert _read(response.context["print_head"]) == f"甲镇党委 · {expected}"


def test_it_counts_a_year_in_progress_up_to_today(tree, county_client):
    today = timezone.localdate()
    url = reverse("reports:compliance", args=[tree.township_a.pk])

    response = county_client.get(url, {"year": today.year})

    assert f"截至{today.year}年{today.month}月{today.day}日" in _read(
        response.context["print_head"]
    )


def _read(quoted: str) -> str:
    """A CSS string as the browser reads it (the escapes reports.printing writes)."""
    return re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), quoted[1:-1])
