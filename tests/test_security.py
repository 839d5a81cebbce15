"""Login, lock-out, sessions, security headers and the deployment checks."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from branches.roles import Role
from tests.conftest import logged_in, with_role
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests"  # the factory's
OFFICE = "10.1.1.1"
ELSEWHERE = "10.2.2.2"


def logged_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def reader_a(tree):
    """A township-A account that reads its part of the tree and logs no meetings.

    Those who log meetings (乡镇专干, 支部书记) land on their worklist instead of
    the overview, so the overview's scope is checked with this account.
    """
    return with_role(UserFactory(username="reader_a", org=tree.township_a), Role.COUNTY)


def _login(client, password, address=OFFICE, username="clerk_a"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


# --- login and lock-out ----------------------------------------------------------------------


def test_it_shows_the_login_page_in_chinese(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    content = response.content.decode()
    assert "登录党建台账" in content
    assert 'name="csrfmiddlewaretoken"' in content


def test_it_sends_a_correct_login_home(client, clerk_a):
    response = _login(client, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_as(client) == str(clerk_a.pk)


def test_it_refuses_a_wrong_password_with_a_message(client, clerk_a):
    response = _login(client, "wrong")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert logged_in_as(client) is None


def test_it_locks_the_account_after_five_wrong_passwords(client, clerk_a):
    first_five = [_login(client, "wrong").status_code for _ in range(5)]

    sixth = _login(client, "wrong")
    correct = _login(client, PASSWORD)

    # The fifth failure reaches AXES_FAILURE_LIMIT and is answered with the lock.
    assert first_five == [200, 200, 200, 200, 429]
    for response in (sixth, correct):
        assert response.status_code == 429
        assert "账号已暂时锁定" in response.content.decode()
    assert logged_in_as(client) is None
    attempt = AccessAttempt.objects.get(username="clerk_a", ip_address=OFFICE)
    assert attempt.failures_since_start >= 5


def test_it_locks_the_username_only_from_that_address(client, clerk_a, clerk_b):
    for _ in range(6):
        _login(client, "wrong")
    # Fresh clients: a logged-in visitor of the login page is just sent home.
    at_home, colleague = Client(), Client()

    elsewhere = _login(at_home, PASSWORD, address=ELSEWHERE)
    other_user = _login(colleague, PASSWORD, username="clerk_b")
    still_locked = _login(client, PASSWORD)

    assert elsewhere.status_code == 302
    assert elsewhere["Location"] == "/"
    assert logged_in_as(at_home) == str(clerk_a.pk)
    assert other_user.status_code == 302
    assert logged_in_as(colleague) == str(clerk_b.pk)
    assert still_locked.status_code == 429
    assert logged_in_as(client) is None


def test_it_forgets_failures_after_a_successful_login(client, clerk_a):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))

    for _ in range(4):
        _login(client, "wrong")

    assert _login(client, PASSWORD).status_code == 302


def test_it_logs_out_by_post_only(client, clerk_a):
    client.force_login(clerk_a)

    by_get = client.get(reverse("logout"))
    still_in = logged_in_as(client)
    by_post = client.post(reverse("logout"))

    assert by_get.status_code == 405
    assert still_in == str(clerk_a.pk)
    assert by_post.status_code == 302
    assert logged_in_as(client) is None
    assert by_post["Location"] == LOGIN
    assert client.get("/")["Location"] == f"{LOGIN}?next=/"


# --- home page ---------------------------------------------------------------------------------


def test_it_shows_township_a_its_township_and_children(reader_a, tree):
    response = logged_in(reader_a).get("/")

    assert response.status_code == 200
    content = response.content.decode()
    assert tree.township_a.name in content
    assert tree.village_a.name in content
    assert tree.organ_a.name in content
    assert "县委组织部" in content
    assert tree.township_b.name not in content
    assert tree.village_b.name not in content


@pytest.mark.parametrize("n", [2, 20])
def test_it_renders_the_home_page_in_a_constant_number_of_queries(
    reader_a, django_assert_num_queries, tree, n
):
    client = logged_in(reader_a)
    for _ in range(n):
        BranchFactory(parent=tree.township_a)
    BranchFactory(parent=tree.township_b, name="乙镇新党支部")

    # 1 session, 2 user with its node, 3 the user's own permissions and 4 its
    # groups' permissions (does it log meetings?), 5 the township's live
    # children, 6 the members of the township and its children (one count per
    # branch under them; no group is shown, so no group count), 7 the nodes
    # counted by kind, 8 the user's groups (its role), 9-11 the session's new
    # expiry (savepoint, update, release: idle timeout), 12-13 the shown nodes' marks
    # (open 软弱涣散 cases, 示范点).
    with django_assert_num_queries(13):
        response = client.get("/")

    assert response.status_code == 200
    assert len(response.context["children"]) == 2 + n
    assert "乙镇新党支部" not in response.content.decode()


def test_it_sends_an_anonymous_visitor_of_home_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/"


# --- sessions and headers ------------------------------------------------------------------------


def test_it_ends_sessions_after_eight_idle_hours():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_it_moves_the_session_expiry_on_every_request(client, clerk_a):
    client.force_login(clerk_a)

    response = client.get("/")

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600


@pytest.mark.parametrize("url", [LOGIN, "/", "/admin/members/member/"])
def test_it_sends_a_strict_content_security_policy(clerk_a_client, url):
    response = clerk_a_client.get(url)

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_it_passes_the_deployment_checks():
    # Production's environment: the browser tests' async escape hatch is not in it.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "dangjian.example.gov.cn",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    output = result.stdout + result.stderr
    assert len(env["SECRET_KEY"]) == 60
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output


def test_it_refuses_to_sign_anything_in_production_without_a_secret_key():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env["ALLOWED_HOSTS"] = "dangjian.example.gov.cn"
    code = "from django.core import signing; signing.dumps('x')"

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY setting must not be empty" in result.stderr
