"""Who sees which report: scope, permissions, the entry point and the tabs."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from reports import views

REPORTS = ["reports:overview", "reports:compliance", "reports:stars", "reports:summary"]


@pytest.mark.parametrize("name", REPORTS)
def test_it_hides_another_townships_reports(tree, clerk_b_client, name):
    assert clerk_b_client.get(reverse(name, args=[tree.township_a.pk])).status_code == 404
    assert clerk_b_client.get(reverse(name, args=[tree.village_a.pk])).status_code == 404


@pytest.mark.parametrize("name", REPORTS)
def test_it_lets_county_staff_drill_down_to_a_group(tree, county_client, name):
    top = county_client.get(reverse(name, args=[tree.county.pk]))
    group = county_client.get(reverse(name, args=[tree.group_a1.pk]))

    assert top.status_code == group.status_code == 200
    # A table links down to the townships (the summary is a paragraph); the
    # group's breadcrumb leads back up.
    if name != "reports:summary":
        assert reverse(name, args=[tree.township_a.pk]) in top.content.decode()
    crumbs = group.content.decode()
    for ancestor in (tree.county, tree.township_a, tree.village_a):
        assert reverse(name, args=[ancestor.pk]) in crumbs
    assert tree.group_a1.name in crumbs


def test_it_keeps_the_stars_report_from_branch_secretaries(tree, secretary_a_client):
    url = reverse("reports:stars", args=[tree.village_a.pk])
    assert secretary_a_client.get(url).status_code == 403
    page = secretary_a_client.get(reverse("reports:overview", args=[tree.village_a.pk]))
    assert page.status_code == 200
    assert "积分与评星" not in [title for _name, title in page.context["tabs"]]


def test_it_opens_the_reports_at_the_users_node(tree, clerk_a_client, client):
    response = clerk_a_client.get(reverse("reports:home"))
    assert response["Location"] == reverse("reports:overview", args=[tree.township_a.pk])
    assert client.get(reverse("reports:home"))["Location"].startswith(reverse("login"))


def test_it_shows_the_breadcrumb_within_the_users_scope(tree, clerk_a_client, county_client):
    url = reverse("reports:overview", args=[tree.village_a.pk])
    assert [c.name for c in clerk_a_client.get(url).context["crumbs"]] == ["甲镇党委"]
    assert [c.name for c in county_client.get(url).context["crumbs"]] == ["县委", "甲镇党委"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 4, 15), [datetime.date(2025, 12, 31), datetime.date(2025, 6, 30)]),
        (datetime.date(2026, 6, 30), [datetime.date(2025, 12, 31), datetime.date(2025, 6, 30)]),
        (datetime.date(2026, 7, 1), [datetime.date(2026, 6, 30), datetime.date(2025, 12, 31)]),
        (datetime.date(2026, 12, 31), [datetime.date(2026, 6, 30), datetime.date(2025, 12, 31)]),
    ],
)
def test_it_offers_the_latest_half_year_dates_that_have_passed(today, expected):
    assert views.usual_dates(today) == expected
