"""Run a test on each database (SQLite, PostgreSQL, MariaDB) and count server connections."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from django_asyncx.testing.services import service_unavailable

ALIASES = ("default", "postgres", "mariadb")
#: With the native engine's alias: the four ways a test reaches a database.
ALL_ALIASES = ("default", "postgres", "native", "mariadb")


def on_databases(*aliases: str) -> Any:
    """``@on_databases()``: parametrize ``alias`` over the databases (transactional tests)."""
    params = []
    for alias in aliases or ALIASES:
        marks = (
            [pytest.mark.django_db(transaction=True, databases=[alias])]
            if alias in settings.DATABASES
            else []
        )
        params.append(pytest.param(alias, marks=marks, id=alias))
    return pytest.mark.parametrize("alias", params, indirect=True)


class OnAlias:
    """Makes a Django TestCase class run on ``alias`` only (skipped when its server is down)."""

    alias = "default"

    @classmethod
    def setUpClass(cls) -> None:
        require(cls.alias)
        super().setUpClass()  # type: ignore[misc]


def on_each_alias(
    scenarios: type, case: type, namespace: dict[str, Any], aliases: tuple[str, ...] = ALL_ALIASES
) -> None:
    """Define ``<Scenarios>On<Alias>`` test classes in ``namespace`` (a module's
    ``globals()``), one per alias of ``aliases``, each a ``case`` (``TestCase``,
    ``TransactionTestCase``) with ``databases = {alias}``."""
    for alias in aliases:
        name = f"{scenarios.__name__.lstrip('_')}On{alias.title()}"
        attributes = {"alias": alias, "databases": {alias}, "__module__": namespace["__name__"]}
        namespace[name] = type(name, (scenarios, case), attributes)


def require(alias: str) -> None:
    """Skip (or fail, when services are required) if ``alias`` is not configured."""
    if alias not in settings.DATABASES:
        service_unavailable(f"database alias {alias!r} is not configured (server not answering)")


def server_connections(alias: str) -> int:
    """Connections the server holds open to ``alias``'s test database, not counting this one."""
    entry = connections[alias].settings_dict
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(
            host=entry["HOST"] or None,
            port=entry["PORT"] or None,
            user=entry["USER"],
            password=entry["PASSWORD"] or None,
            dbname="postgres",
        ) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND pid <> pg_backend_pid()",
                [entry["NAME"]],
            ).fetchone()
            assert row is not None
            return int(row[0])
    if vendor == "mysql":
        import MySQLdb

        conn = MySQLdb.connect(
            host=entry["HOST"] or "127.0.0.1",
            port=int(entry["PORT"] or 3306),
            user=entry["USER"],
            password=entry["PASSWORD"] or "",
        )
        try:
            cursor = conn.cursor()
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s "
                "AND ID <> CONNECTION_ID()",
                [entry["NAME"]],
            )
            return int(cursor.fetchone()[0])
        finally:
            conn.close()
    raise ValueError(f"cannot count server connections for {vendor}")


def settled_connections(alias: str, expected: int, *, within: float = 10.0) -> int:
    """:func:`server_connections` once it equals ``expected``, or its value after ``within`` s.

    A server ends a session a few milliseconds after the client closed it, so a count taken
    right after a close can still include it.
    """
    deadline = time.monotonic() + within
    while True:
        count = server_connections(alias)
        if count == expected or time.monotonic() >= deadline:
            return count
        time.sleep(0.02)


def stable_connections(alias: str, *, within: float = 10.0) -> int:
    """:func:`server_connections` once two reads 100 ms apart agree (sessions still closing
    from an earlier test have gone), or the last read after ``within`` s."""
    deadline = time.monotonic() + within
    previous = server_connections(alias)
    while True:
        time.sleep(0.1)
        count = server_connections(alias)
        if count == previous or time.monotonic() >= deadline:
            return count
        previous = count
