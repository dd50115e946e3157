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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from . import services
from .databases import ThrowawayDatabase, throwaway_database
from .servers import LiveServer

__all__ = [
    "fresh_mariadb_database",
    "fresh_postgres_database",
    "live_server_factory",
    "mariadb_url",
    "postgres_url",
    "redis_url",
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
