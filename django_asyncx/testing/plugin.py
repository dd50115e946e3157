"""The fixture names before the ``asyncx_`` prefix, deprecated: use the new names.

Installing django_asyncx enables :mod:`django_asyncx.testing.pytest_plugin` by itself, with
``asyncx_``-prefixed fixtures. A ``conftest.py`` that still says
``pytest_plugins = ["django_asyncx.testing.plugin"]`` keeps working for one release: this
module brings the new fixtures and the old names, each an alias that emits a
``DeprecationWarning`` naming its new fixture (``upstream`` -> ``asyncx_upstream``,
``postgres_url`` -> ``asyncx_postgres_url``, ...). Drop the ``pytest_plugins`` line and
rename the fixtures in the tests.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from .pytest_plugin import *  # noqa: F403
from .pytest_plugin import __all__ as _new_names
from .pytest_plugin import _asyncx_test_connections  # noqa: F401

__all__ = [
    *_new_names,
    "fresh_mariadb_database",
    "fresh_postgres_database",
    "live_server_factory",
    "mariadb_url",
    "postgres_url",
    "redis_url",
    "upstream",
]


def _alias(old: str, *, scope: Any = "function") -> Any:
    new = f"asyncx_{old}"

    def fixture(request: pytest.FixtureRequest) -> Any:
        warnings.warn(
            f"the {old!r} fixture is deprecated; use {new!r} (django_asyncx's pytest plugin "
            "loads by itself once the package is installed: drop "
            'pytest_plugins = ["django_asyncx.testing.plugin"])',
            DeprecationWarning,
            stacklevel=2,
        )
        return request.getfixturevalue(new)

    fixture.__name__ = fixture.__qualname__ = old
    fixture.__doc__ = f"Deprecated: use ``{new}``."
    return pytest.fixture(scope=scope, name=old)(fixture)


postgres_url = _alias("postgres_url", scope="session")
mariadb_url = _alias("mariadb_url")
redis_url = _alias("redis_url")
fresh_postgres_database = _alias("fresh_postgres_database")
fresh_mariadb_database = _alias("fresh_mariadb_database")
live_server_factory = _alias("live_server_factory")
upstream = _alias("upstream")
