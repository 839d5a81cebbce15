"""The activity tests' township clerk (the helpers themselves are ``tests/helpers.py``)."""

import pytest

from tests.helpers import clerk_of


@pytest.fixture
def clerk(tree):
    return clerk_of(tree.township_a)
