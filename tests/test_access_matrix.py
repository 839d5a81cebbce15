"""Every URL that takes an object id, tried with township A's objects as township B's clerk.

The URL list comes from Django's resolver, the admin's included, so a new
page is covered the day it is added: a URL taking an id whose view neither
names its model (admin, ``scoped_view``) nor declares ``scope_exempt`` on
itself fails here. For each such URL and each object of A it may point at,
the clerk of B sends GET and POST and must get a not-found answer (404, or
the admin's redirect to its index), or 405; the body never shows the
object's name or ID number, and no row of the database changes.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import sign_in
from tests.urlwalk import (  # noqa: F401  (re-exported for the other site walks)
    Route,
    World,
    Writes,
    build_world,
    declared,
    model_admin_of,
    routes,
    snapshot,
    urls_for,
)

# Database-independent: run on PostgreSQL only (tests/conftest.py).
pytestmark = pytest.mark.walk

ROUTES = routes()


def test_it_finds_the_admin_object_urls():
    names = {r.name for r in ROUTES}
    assert {
        "admin:members_member_change",
        "admin:members_member_history",
        "admin:members_member_delete",
        "admin:auth_user_password_change",
        "admin:members_member_simple_history",
    } <= names


# The tree, cast and township A's objects are built once for the module (tests/conftest.py).
@pytest.mark.usefixtures("shared_world")
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_it_hides_township_a_from_the_clerk_of_township_b(route, world, clerk_b, client, request):
    model_admin = model_admin_of(route.callback)
    exempt = declared(route.callback, "scope_exempt") or getattr(model_admin, "scope_exempt", None)
    if exempt:
        assert len(exempt) > 5, "an exemption says why"
        return
    is_scoped = (
        (model_admin is not None and getattr(model_admin, "scoped", False))
        or (declared(route.callback, "scope_model") is not None)
        or route.id_args == ("content_type_id", "object_id")
    )
    assert is_scoped, (
        f"{route.pattern} takes an object id but its view neither names a scoped model "
        "(ScopedAdmin, @scoped_view) nor declares @scope_exempt"
    )
    sign_in(client, clerk_b, request)
    admin_index = reverse("admin:index")
    for url in urls_for(route, model_admin, world):
        for method in ("get", "post"):
            # Every statement the request sends is watched: a row it changed is a write.
            writes = Writes()
            with connection.execute_wrapper(writes):
                response = getattr(client, method)(url, {"name": "改名", "post": "yes"})
            assert response.status_code in (302, 404, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"] == admin_index, (method, url, response["Location"])
                followed = client.get(admin_index)
                body = followed.content.decode()
            else:
                body = response.content.decode()
            body += response.content.decode()
            for secret in world.secrets:
                assert secret not in body, (method, url, secret)
            assert not writes.rows, (method, url, dict(writes.rows))
