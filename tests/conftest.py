"""Fixtures shared by the whole suite (django_asyncx's own plugin loads by its entry point)."""

import pytest

# The shop and the library are projects of their own with their own settings: their tests
# run them in subprocesses, as a user would.
collect_ignore = ["acceptance/shop", "migration/project"]


@pytest.fixture
def alias(request):
    """The database alias a test parametrized with ``@on_databases()`` runs on."""
    from tests.support.db_aliases import require

    require(request.param)
    return request.param
