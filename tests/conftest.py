"""The standard tree and cast of users shared by the tests.

县委
├── 甲镇党委 (township A)
│   ├── 甲村党支部 (农村) ── 甲村第一党小组, 甲村第二党小组
│   └── 甲镇机关党支部 (机关)
└── 乙镇党委 (township B)
    ├── 乙村党支部 (农村) ── 乙村第一党小组, 乙村第二党小组
    └── 乙镇机关党支部 (机关)

Users, each in the role group the data migration made: ``county_user``
(县委组织部, at the county), ``clerk_a`` / ``clerk_b`` (乡镇专干, at townships A
and B), ``secretary_a`` (支部书记, at 甲村党支部) and ``admin_role_user``
(系统管理员, at the county, not a superuser). ``<name>_client`` fixtures are
test clients logged in as them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from branches.models import BranchCategory, Organization, OrgKind, User
from branches.paths import PATH_STEP, path_segment
from branches.roles import Role
from config.gc import tune as tune_gc
from tests.factories import (
    ENTERED_AT,
    UserFactory,
)
from tests.helpers import migrate_to_latest


def pytest_configure(config):
    # The SQLite test database is a file under var/ (config/settings.py), which a
    # fresh clone does not have yet.
    from django.conf import settings

    Path(settings.BASE_DIR, "var").mkdir(exist_ok=True)
    # WhiteNoise looks for collected static files there, and warns when it is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def pytest_collection_finish(session):
    # As the served app does (config/gc.py): the collector's passes over everything
    # Django and the collected tests hold were a tenth of a run's time.
    tune_gc()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On PostgreSQL, with ``TEST_DATABASE_TEMPLATE`` set, the test database is a copy
    (``CREATE DATABASE … TEMPLATE``) of that database, which the caller migrated
    from scratch: CI (.ci/run) migrates one for both PostgreSQL halves instead of
    each running every migration (15–20 s of a core each). ``migrate`` still runs
    on the copy and finds nothing left to apply; without the variable every run
    migrates its own, as ``make test`` does.
    """
    from django.db import connections

    template = os.environ.get("TEST_DATABASE_TEMPLATE")
    database = connections["default"].settings_dict
    if template and database["ENGINE"].endswith("postgresql"):
        database.setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture
def back_to_latest_afterwards():
    """For a data migration's test: the database migrated back to the latest state after.

    On PostgreSQL the test runs in a copy of the test database, dropped after it,
    so the test database is left at the latest state without migrating every later
    migration forward again (13 s). Elsewhere it is migrated back.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        migrate_to_latest()
        return
    suffix = "trip"
    database = connection.settings_dict
    test_name = database["NAME"]
    # Django's own cloning, as for ``manage.py test --parallel`` (it closes the connection).
    connection.creation.clone_test_db(suffix, verbosity=0)
    clone_name = connection.creation.get_test_db_clone_settings(suffix)["NAME"]
    database["NAME"] = clone_name
    try:
        yield
    finally:
        connection.close()
        database["NAME"] = test_name
        connection.creation._destroy_test_db(clone_name, verbosity=0)


@pytest.fixture
def empty_database():
    """For a test of a data migration far behind today's schema, on PostgreSQL: an empty
    database of its own, which the test migrates forward only as far as it needs, dropped
    after. Going there from the test database would unapply every later migration first,
    several times the work (about 60 s of a core against 9 for the way from nothing)."""
    from django.db import connection

    database = connection.settings_dict
    test_name = database["NAME"]
    name = f"{test_name}_empty"
    # CREATE DATABASE cannot run in a transaction: the test is transactional (autocommit).
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    database["NAME"] = name
    try:
        yield
    finally:
        connection.close()
        database["NAME"] = test_name
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{name}"')


def pytest_collection_modifyitems(config, items):
    """Deselect (not skip) the tests that only make sense on the other database, and
    run once, on PostgreSQL, those that do not depend on the database.

    Row locks, concurrent writers and PostgreSQL's own errors cannot be shown on
    SQLite, nor SQLite's locking settings on PostgreSQL: those tests carry the
    ``postgres`` or ``sqlite`` marker and leave the other run's count rather
    than show as skipped. The browser journeys (``e2e``) and the site-wide walks
    that check words, personal data, scope and permissions (``walk``) exercise
    the same Python on both databases and are most of a run's time: they run on
    PostgreSQL, the production database. (The hostile-parameter walk is not one
    of them: it walks what each database refuses on both.)
    """
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    others = ("sqlite",) if on_postgres else ("postgres", "e2e", "walk")
    keep, dropped = [], []
    for item in items:
        other = any(item.get_closest_marker(name) for name in others)
        (dropped if other else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 is slow on purpose: about 0.4 s for every account a fixture makes.
    # The tests check who may log in, not the hash (cookiecutter-django does the same).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def static_files_looked_up_when_asked(settings):
    # WhiteNoise reads the whole of STATIC_ROOT (once collected: 550 files) each time
    # its middleware is loaded, which a test client does once: about 0.1 s a test.
    # Looking a file up when it is asked for serves the same files without the scan.
    settings.WHITENOISE_AUTOREFRESH = True


@dataclass(frozen=True)
class Tree:
    county: Organization
    township_a: Organization
    village_a: Organization
    group_a1: Organization
    group_a2: Organization
    organ_a: Organization
    township_b: Organization
    village_b: Organization
    group_b1: Organization
    group_b2: Organization
    organ_b: Organization


def _node(parent, index: int, kind: str, name: str, code: str, category: str = ""):
    path = (parent.path if parent else "") + path_segment(index)
    return Organization(
        kind=kind,
        name=name,
        code=code,
        category=category,
        parent=parent,
        path=path,
        depth=len(path) // PATH_STEP,
        # No 成立日期, so what it owes runs from when it was entered: years
        # before any date the tests use, like a county keeping its records here.
        created_at=ENTERED_AT,
    )


def build_tree() -> Tree:
    """The standard tree, written level by level in bulk (with its history rows).

    Most tests start from it, so it is built the fast way, with the paths
    ``branches.services.org_create`` would give; the services themselves are
    tested in tests/branches.
    """
    county = Organization.objects.bulk_create([_node(None, 1, OrgKind.COUNTY, "县委", "C")])[0]
    townships = Organization.objects.bulk_create(
        [
            _node(county, i, OrgKind.TOWNSHIP, f"{prefix}镇党委", code)
            for i, (prefix, code) in enumerate((("甲", "A"), ("乙", "B")), start=1)
        ]
    )
    branches = Organization.objects.bulk_create(
        [
            node
            for township, prefix in zip(townships, "甲乙", strict=True)
            for node in (
                _node(
                    township,
                    1,
                    OrgKind.BRANCH,
                    f"{prefix}村党支部",
                    f"{township.code}-V",
                    BranchCategory.VILLAGE,
                ),
                _node(
                    township,
                    2,
                    OrgKind.BRANCH,
                    f"{prefix}镇机关党支部",
                    f"{township.code}-O",
                    BranchCategory.ORGAN,
                ),
            )
        ]
    )
    villages = branches[0::2]
    groups = Organization.objects.bulk_create(
        [
            _node(village, i, OrgKind.GROUP, f"{prefix}村第{ordinal}党小组", f"{village.code}-G{i}")
            for village, prefix in zip(villages, "甲乙", strict=True)
            for i, ordinal in ((1, "一"), (2, "二"))
        ]
    )
    return Tree(
        county=county,
        township_a=townships[0],
        village_a=branches[0],
        group_a1=groups[0],
        group_a2=groups[1],
        organ_a=branches[1],
        township_b=townships[1],
        village_b=branches[2],
        group_b1=groups[2],
        group_b2=groups[3],
        organ_b=branches[3],
    )


@pytest.fixture
def tree(request, db) -> Tree:
    shared = _shared(request)
    return shared.tree if shared else build_tree()


def with_role(user, role: Role):
    """Give *user* the group the data migration created for *role*."""
    user.groups.add(Group.objects.get(name=role.label))
    return user


def session_of(user) -> str:
    """The key of a new session of *user*, logged in as the test client does."""
    from django.conf import settings

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(client: Client, user, request=None) -> Client:
    """Log *client* in as *user*. In a module with the shared world, into the session made
    for the account with the world (``Shared.sessions``), which every test's rollback
    leaves as it was: a login is a handful of writes and signals, and the walks would
    make thousands. Otherwise as Django's test client does."""
    from django.conf import settings

    shared = _shared(request) if request is not None else None
    key = shared.sessions.get(user.pk) if shared else None
    if key is None:
        client.force_login(user)
    else:
        client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def logged_in(user, request=None) -> Client:
    return sign_in(Client(), user, request)


# (username, the node it sits at, its role) of each account of the cast.
CAST = {
    "county_user": ("county", "county", Role.COUNTY),
    "clerk_a": ("clerk_a", "township_a", Role.CLERK),
    "clerk_b": ("clerk_b", "township_b", Role.CLERK),
    "secretary_a": ("secretary_a", "village_a", Role.SECRETARY),
    "admin_role_user": ("admin_role", "county", Role.ADMIN),
}


def cast_member(request, tree: Tree, name: str):
    shared = _shared(request)
    if shared:
        # A fresh copy for each test: permission caches must not outlive a test's rollback.
        return User.objects.select_related("org").get(pk=shared.cast[name].pk)
    username, node, role = CAST[name]
    return with_role(UserFactory(username=username, org=getattr(tree, node)), role)


@pytest.fixture
def county_user(request, tree):
    return cast_member(request, tree, "county_user")


@pytest.fixture
def clerk_a(request, tree):
    return cast_member(request, tree, "clerk_a")


@pytest.fixture
def clerk_b(request, tree):
    return cast_member(request, tree, "clerk_b")


@pytest.fixture
def secretary_a(request, tree):
    return cast_member(request, tree, "secretary_a")


@pytest.fixture
def admin_role_user(request, tree):
    return cast_member(request, tree, "admin_role_user")


@pytest.fixture
def county_client(request, county_user) -> Client:
    return logged_in(county_user, request)


@pytest.fixture
def clerk_a_client(request, clerk_a) -> Client:
    return logged_in(clerk_a, request)


@pytest.fixture
def clerk_b_client(request, clerk_b) -> Client:
    return logged_in(clerk_b, request)


@pytest.fixture
def secretary_a_client(request, secretary_a) -> Client:
    return logged_in(secretary_a, request)


@pytest.fixture
def admin_role_client(request, admin_role_user) -> Client:
    return logged_in(admin_role_user, request)


@pytest.fixture
def world(request, tree, clerk_a, settings, tmp_path):
    """Township A's objects, one of each kind a URL can point at (the site walks' fixture)."""
    from tests.urlwalk import build_world

    shared = _shared(request)
    if shared:
        return shared.world
    settings.MEDIA_ROOT = tmp_path
    return build_world(tree, clerk_a)


# --- One world for a whole module ----------------------------------------------------------------
#
# The site walks (access, writes, hostile parameters) run hundreds of tests over
# the same tree, cast and objects. Tests marked
# ``@pytest.mark.usefixtures("shared_world")`` build them once per module (the
# mark sets it up before each test's own transaction; every test of the module
# that uses the database must carry it): inside a transaction the module holds
# open, each test runs
# in a savepoint of it (as Django's ``setUpTestData`` does), and everything is
# rolled back after the module's last test. The fixtures above then hand out
# the shared rows instead of building their own.


@dataclass(frozen=True)
class Shared:
    tree: Tree
    cast: dict
    world: object
    media_root: str
    # User id → the key of a session logged in when the world was built (``sign_in``);
    # a module's own fixtures may add accounts they build with the world.
    sessions: dict


def _shared(request) -> Shared | None:
    if "shared_world" not in request.fixturenames:
        return None
    return request.getfixturevalue("shared_world")


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import transaction
    from django.test import override_settings

    from tests.urlwalk import build_world

    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A session is still saved when it changes; the walks' thousands of requests do not
    # each rewrite an unchanged one (three queries a request; tests/test_security.py
    # checks the setting itself).
    walk = {"PASSWORD_HASHERS": fast, "MEDIA_ROOT": media, "SESSION_SAVE_EVERY_REQUEST": False}
    with django_db_blocker.unblock(), override_settings(**walk):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            tree = build_tree()
            cast = {}
            for name, (username, node, role) in CAST.items():
                cast[name] = with_role(
                    UserFactory(username=username, org=getattr(tree, node)), role
                )
            world = build_world(tree, cast["clerk_a"])
            sessions = {user.pk: session_of(user) for user in cast.values()}
            yield Shared(tree, cast, world, str(media), sessions)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
