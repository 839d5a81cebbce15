"""The tiny demo every test of this folder reads, seeded once for the folder.

Seeding is the slow part of these tests (about ten seconds a build); the
folder's modules check different parts of the same build (党费, 发展党员, 换届
and assessment, the working ledgers), so they share one instead of one each.
It is written inside a transaction the package holds open: each test runs in
a savepoint within it, as in Django's ``setUpTestData``, and the whole build
is rolled back after the folder's last test, before any other folder's tests.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py does
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("seed_demo", scale="tiny", seed=5, today=TODAY, stdout=io.StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
