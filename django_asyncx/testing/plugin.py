"""The pytest plugin: ``pytest_plugins = ["django_asyncx.testing.plugin"]``.

Fixtures:

* ``postgres_url``, ``mariadb_url``, ``redis_url``: the servers from
  :mod:`~django_asyncx.testing.services`; a test that asks for one that is down is skipped
  (or fails with ``ASYNCX_REQUIRE_SERVICES=1``).
* ``fresh_postgres_database``, ``fresh_mariadb_database``: an empty database created for the
  test and dropped after it (a :class:`~django_asyncx.testing.databases.ThrowawayDatabase`).
* ``live_server_factory``: starts a :class:`~django_asyncx.testing.servers.LiveServer`;
  every server it started is stopped when the test ends, whatever happened::

      def test_home(live_server_factory):
          live = live_server_factory("config.asgi:application", server="daphne",
                                     cwd="example_project",
                                     env={"DJANGO_SETTINGS_MODULE": "config.settings"})
          assert live.get("/").status == 200

* ``upstream``: a real HTTP server on a loopback port for the test's outbound calls
  (:class:`~django_asyncx.testing.upstream.Upstream`); declare routes with
  ``upstream.route(...)`` and point clients at it with ``upstream.override_clients(...)``.

And one autouse fixture, ``_asyncx_test_connections``: an async test that uses
pytest-django's ``db`` fixture (or ``@pytest.mark.django_db``) sees the test's data from
Django's a-methods and from this library's calls (:func:`lend_test_connections`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from . import services
from .databases import ThrowawayDatabase, throwaway_database
from .servers import LiveServer
from .upstream import Upstream

__all__ = [
    "fresh_mariadb_database",
    "fresh_postgres_database",
    "lend_test_connections",
    "live_server_factory",
    "mariadb_url",
    "postgres_url",
    "redis_url",
    "upstream",
]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server URL (``DATABASE_URL``, 127.0.0.1:5432, or embedded)."""
    try:
        return services.postgres_url()
    except Exception as exc:  # the embedded server could not start either
        services.service_unavailable(f"no PostgreSQL server: {type(exc).__name__}: {exc}")


@pytest.fixture
def mariadb_url() -> str:
    """The MariaDB server URL; skips (or fails) the test when MariaDB is down."""
    url = services.mariadb_url()
    assert url is not None
    return url


@pytest.fixture
def redis_url() -> str:
    """The Redis server URL; skips (or fails) the test when Redis is down."""
    url = services.redis_url()
    assert url is not None
    return url


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> Iterator[ThrowawayDatabase]:
    """An empty PostgreSQL database for this test, dropped afterwards."""
    with throwaway_database(postgres_url) as database:
        yield database


@pytest.fixture
def fresh_mariadb_database(mariadb_url: str) -> Iterator[ThrowawayDatabase]:
    """An empty MariaDB database for this test, dropped afterwards."""
    with throwaway_database(mariadb_url) as database:
        yield database


@pytest.fixture
def live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    """Start live ASGI servers: ``live_server_factory(app, server=..., cwd=..., env=...)``.

    Takes :class:`LiveServer`'s arguments and returns the started server. Each one is
    stopped at the end of the test; a server that dies at startup fails the test with its
    output (:class:`~django_asyncx.testing.servers.ServerStartError`).
    """
    started: list[LiveServer] = []

    def start(app: str, **kwargs: Any) -> LiveServer:
        server = LiveServer(app, **kwargs)
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A started :class:`Upstream` for this test, stopped (and its thread joined) after it."""
    with Upstream() as server:
        yield server


def lend_test_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """Lend the test's connections to an async pytest test that holds a test transaction.

    pytest-asyncio runs the test's loop on the thread that holds pytest-django's ``db``
    transaction, so Django's a-methods and this library's calls would go to other threads,
    other connections, and not see the test's data (or leak their writes). This lends the
    test's connections to one thread for the test
    (:class:`~django_asyncx.db.testing.LentConnections`). It does nothing for sync tests,
    for Django ``TestCase`` classes (their async methods already run on the test's thread),
    for tests without database access, and for ``transaction=True``. A generator: the
    autouse fixture ``_asyncx_test_connections`` yields from it.
    """
    function = getattr(request, "function", None)
    if function is None or not inspect.iscoroutinefunction(function):
        yield
        return
    from pytest_django.django_compat import is_django_unittest

    wants_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if is_django_unittest(request) or not wants_db:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # pytest-django's transaction is open
    from django.db import connections

    from django_asyncx.db.testing import LentConnections, holds_test_transaction

    aliases = [
        alias for alias in connections.settings if holds_test_transaction(connections[alias])
    ]
    if not aliases:  # transaction=True: the usual paths
        yield
        return
    with LentConnections(aliases):
        yield


@pytest.fixture(autouse=True)
def _asyncx_test_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """Autouse: an async test with a test transaction sees it (:func:`lend_test_connections`)."""
    yield from lend_test_connections(request)
