"""Fixtures shared by the whole suite (django_asyncx's own plugin loads by its entry point)."""

import pytest

# The shop is a project of its own with its own settings: tests/acceptance runs its suites
# in subprocesses, as a user would.
collect_ignore = ["acceptance/shop"]


@pytest.fixture
def alias(request):
    """The database alias a test parametrized with ``@on_databases()`` runs on."""
    from tests.support.db_aliases import require

    require(request.param)
    return request.param
