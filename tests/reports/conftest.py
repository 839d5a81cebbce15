import pytest


@pytest.fixture(autouse=True)
def debug_on(settings):
    """Demo commands run only with DEBUG on (the make targets set it); pytest turns it off."""
    settings.DEBUG = True
