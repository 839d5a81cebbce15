"""Lock-out behind a reverse proxy: the client's address comes from X-Forwarded-For.

Behind a proxy every request has the proxy's REMOTE_ADDR; without the
header, five wrong passwords from anyone would lock a username for the
whole county. Reached directly, the header is the client's own writing and
must be ignored, or a client could pick the address its failures count
against.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from config.settings import client_address_settings

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests"  # the factory's
PROXY = "10.0.0.1"
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.9"


@pytest.fixture
def behind_proxies(settings):
    def configure(count: int) -> None:
        proxy_count, order = client_address_settings(count)
        settings.AXES_IPWARE_PROXY_COUNT = proxy_count
        settings.AXES_IPWARE_META_PRECEDENCE_ORDER = order

    return configure


def _login(password, *, remote=PROXY, forwarded=None, username="clerk_a"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(LOGIN, {"username": username, "password": password}, **headers)


def test_it_locks_client_a_but_not_client_b_behind_one_proxy(behind_proxies, clerk_a):
    behind_proxies(1)
    failures = [_login("wrong", forwarded=CLIENT_A).status_code for _ in range(5)]

    a_again = _login(PASSWORD, forwarded=CLIENT_A)
    b = _login(PASSWORD, forwarded=CLIENT_B)

    assert failures[-1] == 429
    assert a_again.status_code == 429
    assert b.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}


def test_it_takes_the_address_the_proxy_saw_not_one_the_client_wrote(behind_proxies, clerk_a):
    behind_proxies(1)
    # Client A writes B's address into its own header; the proxy appends A's.
    for _ in range(5):
        _login("wrong", forwarded=f"{CLIENT_B}, {CLIENT_A}")

    assert _login(PASSWORD, forwarded=CLIENT_B).status_code == 302
    assert _login(PASSWORD, forwarded=CLIENT_A).status_code == 429


def test_it_counts_from_the_right_behind_two_proxies(behind_proxies, clerk_a):
    behind_proxies(2)
    for _ in range(5):
        _login("wrong", forwarded=f"{CLIENT_B}, {CLIENT_A}, 10.0.0.2")

    assert _login(PASSWORD, forwarded=f"{CLIENT_B}, 10.0.0.2").status_code == 302
    assert _login(PASSWORD, forwarded=f"{CLIENT_A}, 10.0.0.2").status_code == 429


def test_it_ignores_the_header_when_reached_directly(behind_proxies, clerk_a):
    behind_proxies(0)
    # A new made-up address on every try does not escape the lock ...
    for n in range(5):
        _login("wrong", remote=CLIENT_A, forwarded=f"192.0.2.{n}")

    # ... and naming B's address locks nothing for B.
    assert _login(PASSWORD, remote=CLIENT_A, forwarded=CLIENT_B).status_code == 429
    assert _login(PASSWORD, remote=CLIENT_B).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_A}


def test_it_is_reached_directly_by_default(settings):
    assert client_address_settings(0) == (None, ["REMOTE_ADDR"])
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ["REMOTE_ADDR"]
