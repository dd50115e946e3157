"""Throwaway databases on a real server, and Django aliases that point at them.

::

    from django_asyncx.testing.databases import database_alias, throwaway_database

    with throwaway_database(services.postgres_url()) as db:     # CREATE DATABASE ...
        run_migrations_somewhere(env={"DATABASE_URL": db.url})
        with database_alias("scratch", db.url):                  # connections["scratch"]
            Book.objects.using("scratch").count()
    # DROP DATABASE ... (also after an error)

PostgreSQL needs psycopg (the ``postgres`` extra); MariaDB/MySQL needs mysqlclient.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from .services import database_settings

__all__ = ["ThrowawayDatabase", "database_alias", "throwaway_database"]

_VENDORS = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql",
            "mariadb": "mysql"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ThrowawayDatabase:
    """A database made for one test: its ``name``, its ``url`` and its server's ``vendor``."""

    name: str
    url: str
    vendor: str

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """This database as a ``DATABASES`` entry."""
        return database_settings(self.url, **overrides)


def _vendor(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in _VENDORS:
        raise ValueError(
            f"throwaway databases need a PostgreSQL or MariaDB/MySQL server URL, got scheme "
            f"{scheme!r} in {url!r}; accepted: {', '.join(_VENDORS)}"
        )
    return _VENDORS[scheme]


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _execute(server_url: str, vendor: str, statement: str) -> None:
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement.encode())
        return
    import MySQLdb

    parts = urlsplit(server_url)
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        connect_timeout=10,
    )
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


@contextlib.contextmanager
def throwaway_database(
    server_url: str, *, prefix: str = "asyncx_tmp"
) -> Iterator[ThrowawayDatabase]:
    """Create an empty database on the server at ``server_url``; drop it on exit.

    The name is ``prefix`` plus a random suffix, so parallel runs never collide. PostgreSQL
    drops it ``WITH (FORCE)``, so a connection left open by the code under test cannot keep
    it alive.
    """
    vendor = _vendor(server_url)
    if not prefix.replace("_", "").isalnum() or not prefix.isascii():
        raise ValueError(f"prefix must be ASCII letters, digits and '_', got {prefix!r}")
    name = f"{prefix}_{secrets.token_hex(6)}".lower()
    if vendor == "postgresql":
        create = f'CREATE DATABASE "{name}"'
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    _execute(server_url, vendor, create)
    try:
        yield ThrowawayDatabase(name=name, url=_with_database(server_url, name), vendor=vendor)
    finally:
        _execute(server_url, vendor, drop)


@contextlib.contextmanager
def database_alias(alias: str, url: str, **overrides: Any) -> Iterator[BaseDatabaseWrapper]:
    """Make ``connections[alias]`` point at the database ``url`` for the ``with`` block.

    Use it from sync code (a sync test, or inside ``sync_to_async``): on exit the alias's
    connection in this thread is closed and the alias is removed. Under pytest-django, wrap
    the queries in ``django_db_blocker.unblock()``.
    """
    if alias in connections.settings:
        raise ValueError(f"database alias {alias!r} is already configured; pick another name")
    # configure_settings() fills in Django's defaults; it insists on seeing a "default".
    entry = database_settings(url, **overrides)
    configured = connections.configure_settings({**connections.settings, alias: entry})
    connections.settings[alias] = configured[alias]
    try:
        yield connections[alias]
    finally:
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            del connections[alias]
        del connections.settings[alias]
