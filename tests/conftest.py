"""Fixtures shared by the whole suite."""

import pytest

pytest_plugins = ["django_asyncx.testing.plugin"]


@pytest.fixture
def alias(request):
    """The database alias a test parametrized with ``@on_databases()`` runs on."""
    from tests.support.db_aliases import require

    require(request.param)
    return request.param
