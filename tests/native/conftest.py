"""Fixtures of the native engine's tests."""

import pytest
from django.db import connections


@pytest.fixture
def native_options_set():
    """Set OPTIONS on the ``native`` alias for one test (a pool made meanwhile uses them)."""
    entry = connections.settings["native"]
    saved = dict(entry["OPTIONS"])

    def apply(**options):
        entry["OPTIONS"] = {**saved, **options}

    yield apply
    entry["OPTIONS"] = saved
