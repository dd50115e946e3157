"""The pytest plugin, enabled by installing django_asyncx (a ``pytest11`` entry point).

Disable it with ``-p no:django_asyncx`` (or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``). Every
fixture is sync, so it works with pytest-asyncio in strict and auto mode alike, and every
name starts with ``asyncx_``:

* ``asyncx_postgres_url``, ``asyncx_mariadb_url``, ``asyncx_redis_url``: the servers from
  :mod:`~django_asyncx.testing.services`; a test that asks for one that is down is skipped
  (or fails with ``ASYNCX_REQUIRE_SERVICES=1``).
* ``asyncx_fresh_postgres_database``, ``asyncx_fresh_mariadb_database``: an empty database
  created for the test and dropped after it (a
  :class:`~django_asyncx.testing.databases.ThrowawayDatabase`).
* ``asyncx_live_server_factory``: starts a :class:`~django_asyncx.testing.servers.LiveServer`;
  every server it started is stopped when the test ends, whatever happened::

      def test_home(asyncx_live_server_factory):
          live = asyncx_live_server_factory("config.asgi:application", server="daphne",
                                            cwd="example_project",
                                            env={"DJANGO_SETTINGS_MODULE": "config.settings"})
          assert live.get("/").status == 200

* ``asyncx_upstream``: a real HTTP server on a loopback port for the test's outbound calls
  (:class:`~django_asyncx.testing.upstream.Upstream`); declare routes with
  ``asyncx_upstream.route(...)`` and point clients at it with ``override_clients(...)``.
* ``asyncx_client``, ``asyncx_sync_client``: an
  :class:`~django_asyncx.testing.client.AsyncxClient` and an
  :class:`~django_asyncx.testing.client.AsyncxSyncClient`; when the test also uses
  ``asyncx_upstream``, their requests' ``default`` HTTP client calls it.
* ``asyncx_assert_num_queries``, ``asyncx_capture_queries``: the async twins of
  ``django_assert_num_queries`` and ``django_capture_queries``
  (:mod:`django_asyncx.db.queries`), counting the queries of every path.

And one autouse fixture, ``_asyncx_test_connections``: an async test that uses
pytest-django's ``db`` fixture (or ``@pytest.mark.django_db``) sees the test's data from
Django's a-methods and from this library's calls (:func:`lend_test_connections`).

The module imports nothing heavy: pytest loads it before pytest-django configures Django,
so each fixture imports what it needs when it runs. The fixture names before this plugin
(``upstream``, ``postgres_url``, ...) are in :mod:`django_asyncx.testing.plugin`, deprecated.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django_asyncx.db.queries import aassert_num_queries, acapture_queries

    from .client import AsyncxClient, AsyncxSyncClient
    from .databases import ThrowawayDatabase
    from .servers import LiveServer
    from .upstream import Upstream

__all__ = [
    "asyncx_assert_num_queries",
    "asyncx_capture_queries",
    "asyncx_client",
    "asyncx_fresh_mariadb_database",
    "asyncx_fresh_postgres_database",
    "asyncx_live_server_factory",
    "asyncx_mariadb_url",
    "asyncx_postgres_url",
    "asyncx_redis_url",
    "asyncx_sync_client",
    "asyncx_upstream",
    "lend_test_connections",
]


@pytest.fixture(scope="session")
def asyncx_postgres_url() -> str:
    """The PostgreSQL server URL (``DATABASE_URL``, 127.0.0.1:5432, or embedded)."""
    from . import services

    try:
        return services.postgres_url()
    except Exception as exc:  # the embedded server could not start either
        services.service_unavailable(f"no PostgreSQL server: {type(exc).__name__}: {exc}")


@pytest.fixture
def asyncx_mariadb_url() -> str:
    """The MariaDB server URL; skips (or fails) the test when MariaDB is down."""
    from . import services

    url = services.mariadb_url()
    assert url is not None
    return url


@pytest.fixture
def asyncx_redis_url() -> str:
    """The Redis server URL; skips (or fails) the test when Redis is down."""
    from . import services

    url = services.redis_url()
    assert url is not None
    return url


@pytest.fixture
def asyncx_fresh_postgres_database(asyncx_postgres_url: str) -> Iterator[ThrowawayDatabase]:
    """An empty PostgreSQL database for this test, dropped afterwards."""
    from .databases import throwaway_database

    with throwaway_database(asyncx_postgres_url) as database:
        yield database


@pytest.fixture
def asyncx_fresh_mariadb_database(asyncx_mariadb_url: str) -> Iterator[ThrowawayDatabase]:
    """An empty MariaDB database for this test, dropped afterwards."""
    from .databases import throwaway_database

    with throwaway_database(asyncx_mariadb_url) as database:
        yield database


@pytest.fixture
def asyncx_live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    """Start live ASGI servers: ``asyncx_live_server_factory(app, server=..., cwd=..., env=...)``.

    Takes :class:`LiveServer`'s arguments and returns the started server. Each one is
    stopped at the end of the test; a server that dies at startup fails the test with its
    output (:class:`~django_asyncx.testing.servers.ServerStartError`).
    """
    from .servers import LiveServer

    started: list[LiveServer] = []

    def start(app: str, **kwargs: Any) -> LiveServer:
        server = LiveServer(app, **kwargs)
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def asyncx_upstream() -> Iterator[Upstream]:
    """A started :class:`Upstream` for this test, stopped (and its thread joined) after it."""
    from .upstream import Upstream

    with Upstream() as server:
        yield server


@pytest.fixture
def asyncx_assert_num_queries() -> type[aassert_num_queries]:
    """``async with asyncx_assert_num_queries(2, using=...):`` in async tests."""
    from django_asyncx.db.queries import aassert_num_queries

    return aassert_num_queries


@pytest.fixture
def asyncx_capture_queries() -> type[acapture_queries]:
    """``async with asyncx_capture_queries(using=...) as queries:`` in async tests."""
    from django_asyncx.db.queries import acapture_queries

    return acapture_queries


def _test_upstream(request: pytest.FixtureRequest) -> Upstream | None:
    if "asyncx_upstream" not in request.fixturenames:
        return None
    upstream: Upstream = request.getfixturevalue("asyncx_upstream")
    return upstream


@pytest.fixture
def asyncx_client(request: pytest.FixtureRequest) -> AsyncxClient:
    """An :class:`~django_asyncx.testing.client.AsyncxClient` (``await asyncx_client.get(...)``)."""
    from .client import AsyncxClient

    return AsyncxClient(upstream=_test_upstream(request))


@pytest.fixture
def asyncx_sync_client(request: pytest.FixtureRequest) -> AsyncxSyncClient:
    """An :class:`~django_asyncx.testing.client.AsyncxSyncClient`, for sync tests."""
    from .client import AsyncxSyncClient

    return AsyncxSyncClient(upstream=_test_upstream(request))


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


@pytest.fixture(autouse=True)
def _asyncx_close_thread_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """Autouse: after an async test, close what Django's a-methods opened on asgiref's thread.

    Outside a test transaction (``transaction=True``), pytest-asyncio's loop has no parent
    sync thread, so Django's a-methods run on asgiref's process-wide single thread; the
    connection they open there would stay open and keep the test database from being
    dropped at the end of the run.
    """
    yield
    function = getattr(request, "function", None)
    if function is None or not inspect.iscoroutinefunction(function):
        return
    from asgiref.sync import SyncToAsync

    executor = SyncToAsync.single_thread_executor
    if "django.db" in sys.modules and executor._threads:  # only a thread that exists
        from django.db import connections

        executor.submit(connections.close_all).result()
