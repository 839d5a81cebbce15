"""Every page of the site, the admin's included, with garbage in its query string.

The URL list comes from Django's resolver, so a page is covered the day it
is added. Each page is fetched with every parameter name the views read set
to one hostile value at a time (letters, negative and huge numbers, dates
out of range or impossible, a NUL byte), once with a real organisation in
``org`` so the views get past it to their other parameters, and (for two of
the values) asking for the xlsx download. Values that only Python parses are
walked on SQLite; those a database refuses in its own way on both. A logged-in
superuser (and a township clerk, with the values a database sees, on the site's
pages and the admin's lists, where scope changes what parameters do) must get an
answer below 500 every time: a bad value is a 400 or the page's
default.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.admin import SimpleListFilter
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import BadRequest
from django.db import connection
from django.http import QueryDict
from django.urls import get_resolver, reverse
from django.utils import timezone

from branches import params
from branches.models import Organization, User
from members.models import Member
from tests.conftest import session_of, sign_in
from tests.factories import UserFactory
from tests.urlwalk import _walk, declared, model_admin_of

# Every parameter name a view of the project reads, and the ones the issue named.
VIEW_PARAMS = [
    "org",
    "kind",
    "held_on",
    "year",
    "on",
    "by",
    "format",
    "page",
    "month",
    "quarter",
    "next",
    "upload",
    "skip_invalid",
    "field_name",
    "model_name",
    "app_label",
    "term",
    "township",
    "branch",
    "stage",
    "period",
    "size",
    "state",
]
# The admin's own: search, ordering, page, error flag, popups and kept filters.
ADMIN_PARAMS = ["q", "o", "p", "e", "_to_field", "_popup", "_changelist_filters", "all"]
HOSTILE = [
    "x",
    "-1",
    "99999999999999999999",
    "0001-01-01",
    "2026-02-30",
    "99999",
    "13",
    "１２",  # full-width digits: int() reads them, a database id they are not
    "²",  # str.isdigit() says yes, int() says no
    "\x00",
]
# What a database refuses in its own way (PostgreSQL: no NUL in text, ids past
# bigint), walked on both; the rest is parsed in Python before any query, the
# same on both, and walked once, on SQLite.
DATABASE_SENSITIVE = ["x", "99999999999999999999", "\x00"]
# The admin's object pages Django draws; the project's own admin views are not among them.
ADMIN_OBJECT_PAGES = ("_add", "_change", "_delete", "_history")
# The download is built from the same parameters as the page: two values suffice.
DOWNLOAD_VALUES = ["x", "0001-01-01"]


def hostile_values() -> list[str]:
    return DATABASE_SENSITIVE if connection.vendor == "postgresql" else HOSTILE


def list_filter_params(model_admin) -> list[str]:
    names = []
    for entry in model_admin.list_filter:
        if isinstance(entry, type) and issubclass(entry, SimpleListFilter):
            names.append(entry.parameter_name)
        elif isinstance(entry, str):
            names += [f"{entry}__exact", f"{entry}__id__exact", f"{entry}__isnull"]
    return names


ROUTES = [(name, entry) for name, _pattern, entry in _walk(get_resolver())]


def _objects_for(model, world, tree, *, admin: bool) -> list:
    if model is Organization and not admin:
        # A township for the report and rating pages, a branch for the ledger.
        return [tree.township_a, tree.village_a]
    if model in world.objects:
        return world.objects[model][:1]
    first = model._default_manager.order_by("pk").first()
    return [first] if first is not None else []


def urls_of(name: str, entry, world, tree) -> list[str]:
    regex = entry.pattern.regex
    model_admin = model_admin_of(entry.callback)
    model = model_admin.model if model_admin else declared(entry.callback, "scope_model")
    if regex.groups == 0:
        return [reverse(name)]
    if "app_label" in regex.groupindex:
        return [reverse(name, kwargs={"app_label": "members"})]
    if set(regex.groupindex) == {"content_type_id", "object_id"}:
        member = world.objects[Member][0]
        ct = ContentType.objects.get_for_model(member)
        return [reverse(name, kwargs={"content_type_id": ct.pk, "object_id": member.pk})]
    urls = []
    for obj in _objects_for(model, world, tree, admin=model_admin is not None):
        values = [obj.pk]
        if regex.groups == 2 and not regex.groupindex:  # simple-history's version page
            version = obj.history.order_by("history_id").first()
            if version is None:  # rules made by a data migration have no history yet
                continue
            values.append(version.history_id)
        names = list(regex.groupindex)
        if names:
            urls.append(reverse(name, kwargs=dict(zip(names, values, strict=True))))
        else:
            urls.append(reverse(name, args=values))
    return urls


def query_strings(entry, org_pk: int, values: list[str]) -> list[dict]:
    model_admin = model_admin_of(entry.callback)
    names = VIEW_PARAMS
    if model_admin is not None:
        names = names + ADMIN_PARAMS + list_filter_params(model_admin)
    queries = []
    for value in values:
        every = dict.fromkeys(names, value)
        # A site page reads ``org`` first, with one function (branches.params.object_id,
        # tested below with each value): past it, with a real organisation, is where
        # each page differs. The values a database sees are also tried as ``org``.
        if model_admin is not None or value in DATABASE_SENSITIVE:
            queries.append(every)
        if model_admin is None:
            # Past a valid organisation to the other parameters, on the page and the download.
            queries.append({**every, "org": org_pk})
            if value in DOWNLOAD_VALUES:
                queries.append({**every, "org": org_pk, "format": "xlsx"})
    return queries


def _may_download(page) -> bool:
    """Whether to ask for the xlsx after *page* (the same query without it): unless the
    page was shown whole and offers no download, where the xlsx request would show the
    same page again. A refused or odd answer is followed by the download all the same."""
    if page is None or page.status_code != 200 or getattr(page, "streaming", False):
        return True
    if not page.get("Content-Type", "").startswith("text/html"):
        return True
    return "format=xlsx" in page.content.decode(errors="replace")


@pytest.fixture(scope="module")
def module_superuser(shared_world, django_db_blocker):
    """Built once for the module with its shared world, and logged in there (``sign_in``)."""
    with django_db_blocker.unblock():
        user = UserFactory(
            username="root", org=shared_world.tree.county, is_superuser=True, is_staff=True
        )
        shared_world.sessions[user.pk] = session_of(user)
    return user


@pytest.fixture
def superuser(module_superuser):
    # A fresh copy for each test: permission caches must not outlive a test's rollback.
    return User.objects.get(pk=module_superuser.pk)


# The tree, cast and township A's objects are built once for the module (tests/conftest.py).
@pytest.mark.usefixtures("shared_world")
@pytest.mark.parametrize(("name", "entry"), ROUTES, ids=[name for name, _ in ROUTES])
def test_it_answers_hostile_parameters_without_a_server_error(
    name, entry, world, tree, superuser, clerk_a, client, request
):
    client.raise_request_exception = False
    failures = []
    # The clerk's scope changes what a site page or an admin list does with its
    # parameters (which organisations it may name, which rows a filter reaches); the
    # admin's other pages parse them the same way for everyone. Values are parsed the
    # same for everyone too: the clerk gets those the database sees (the rest stop in
    # Python before any query, as the superuser's walk shows).
    site_or_list = model_admin_of(entry.callback) is None or name.endswith("_changelist")
    # The admin's own object pages (add, change, delete, history) read only the admin's
    # parameters, in Django's code the same for every model: the values a database
    # sees suffice there; the project's views and lists get every value.
    values = DATABASE_SENSITIVE if name.endswith(ADMIN_OBJECT_PAGES) else hostile_values()
    users = [(superuser, values)]
    if site_or_list:
        users.append((clerk_a, DATABASE_SENSITIVE))
    for user, values in users:
        sign_in(client, user, request)
        for url in urls_of(name, entry, world, tree):
            page = None
            for query in query_strings(entry, tree.village_a.pk, values):
                if query.get("format") == "xlsx" and not _may_download(page):
                    continue
                response = client.get(url, query)
                page = response
                if response.status_code >= 500:
                    failures.append((user.username, url, query, response.status_code))
    assert not failures, failures[:5]


# The project's forms: its views' parameters and the meeting form's fields.
POST_PARAMS = [
    *VIEW_PARAMS,
    "status_1",
    "reason_1",
    "guests",
    "topic",
    "confirm_duplicate",
    # The rating pages' forms: publication digest, withdrawal and tie decision.
    "confirmed",
    "reason",
    "last",
    # The 党费 forms.
    "paid_on",
    "amount",
    "note",
    "starts",
    "category",
    "income",
    "month_from",
    "remitted_on",
]
SITE_ROUTES = [(n, e) for n, e in ROUTES if model_admin_of(e.callback) is None]


# The tree, cast and township A's objects are built once for the module (tests/conftest.py).
@pytest.mark.usefixtures("shared_world")
@pytest.mark.parametrize(("name", "entry"), SITE_ROUTES, ids=[n for n, _ in SITE_ROUTES])
def test_it_answers_hostile_form_values_without_a_server_error(
    name, entry, world, tree, superuser, client, request
):
    """The same values posted to every page of the site (the admin's forms are Django's)."""
    client.raise_request_exception = False
    sign_in(client, superuser, request)
    failures = []
    for url in urls_of(name, entry, world, tree):
        for value in hostile_values():
            query = f"?org={tree.group_a1.pk}"
            response = client.post(url + query, dict.fromkeys(POST_PARAMS, value))
            if response.status_code >= 500:
                failures.append((url, value, response.status_code))
    assert not failures, failures[:5]


@pytest.mark.usefixtures("shared_world")
def test_it_answers_a_garbled_organisation_with_400(clerk_a_client):
    for value in ("x", "-1", "99999999999999999999", "²", "\x00"):
        response = clerk_a_client.get(reverse("activities:activity_log"), {"org": value})
        assert response.status_code == 400, value


@pytest.mark.usefixtures("shared_world")
def test_it_shows_today_for_a_date_out_of_range(clerk_a_client, tree):
    url = reverse("reports:overview", args=[tree.township_a.pk])
    for value in ("0001-01-01", "9999-12-31", "2026-02-30"):
        response = clerk_a_client.get(url, {"on": value})
        assert response.status_code == 200, value
        assert response.context["on"] == timezone.localdate()


@pytest.mark.parametrize("value", HOSTILE)
def test_it_reads_an_organisation_as_an_id_in_range_or_refuses_it_with_400(value):
    """What the walk's pages do with a hostile ``org``: one function reads it everywhere."""
    try:
        number = params.object_id(QueryDict(f"org={quote(value)}"), "org")
    except BadRequest:
        return
    assert number is not None and 0 < number < 2**63, number


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2025", 2025), ("", 2030), ("0", 2030), ("-5", 2030), ("99999", 2030), ("１２", 2030)],
)
def test_it_reads_a_year_within_range_or_the_default(value, expected):
    assert params.year_value(QueryDict(f"year={value}"), default=2030) == expected


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("abc", 1), ("-1", 1), ("²", 1)])
def test_it_reads_a_page_number_from_one(value, expected):
    assert params.page_number(QueryDict(f"page={value}")) == expected
