"""The ``DatabaseWrapper`` of the native path: Django's PostgreSQL wrapper on asyncpg.

One instance serves one greenlet at a time (the pool hands it out, see :mod:`.pool`):
:meth:`NativeDatabaseWrapper.run` shows it as ``connections[alias]`` to the calling task and
runs sync ORM code in a greenlet. Its methods that Django guards with ``async_unsafe`` are
unguarded here, but only inside the native greenlet: anywhere else they raise
``SynchronousOnlyOperation`` as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, cast

import asyncpg
import psycopg
from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.operations import DatabaseOperations
from django.db.utils import ProgrammingError
from psycopg import IsolationLevel

from django_asyncx.db.greenlet import await_only, greenlet_spawn, in_greenlet
from django_asyncx.options import NativeOptions

from .base import DatabaseWrapper
from .cursor import NativeConnection, NativeCursor, NativeServerCursor
from .errors import translate_error
from .features import NativeFeatures
from .introspection import NativeIntrospection
from .query import split_placeholders
from .results import configure_connection
from .schema import NativeSchemaEditor

__all__ = ["NativeDatabaseWrapper", "NativeOperations"]

_ISOLATION = {1: "read uncommitted", 2: "read committed", 3: "repeatable read", 4: "serializable"}
_MISSING = object()


def _unguarded(method: Any) -> Any:
    return getattr(method, "__wrapped__", method)


def _base(name: str) -> Any:
    # Looked up on each call, not bound at import: tests patch BaseDatabaseWrapper's methods
    # (mock.patch("...BaseDatabaseWrapper.connect")) and expect the patch to be used.
    return _unguarded(getattr(BaseDatabaseWrapper, name))


def _drop_connection(attempt: asyncio.Future[asyncpg.Connection]) -> None:
    if not attempt.cancelled() and attempt.exception() is None:
        attempt.result().terminate()


def _isolation_level(value: Any) -> int:
    try:
        return int(IsolationLevel(value))
    except ValueError:
        raise ImproperlyConfigured(
            f"Invalid transaction isolation level {value} specified. Use one of the "
            "psycopg.IsolationLevel values."
        ) from None


def _require_greenlet(operation: str) -> None:
    if not in_greenlet():
        raise SynchronousOnlyOperation(
            f"{operation}() of the native PostgreSQL path was called outside its greenlet; "
            "run ORM code from async code with run_in_db() / run_native()"
        )


class NativeOperations(DatabaseOperations):
    """Django's PostgreSQL operations, with SQL composed without a psycopg connection."""

    def compose_sql(self, sql: str, params: Any) -> str:
        """Interpolate ``params`` as psycopg's client-side binding would."""
        from .params import literal_transformer

        if not params:
            return sql if params is None else sql.replace("%%", "%")
        parts, names = split_placeholders(sql)
        transformer = literal_transformer()
        out = [parts[0]]
        for index, part in enumerate(parts[1:]):
            value = params[names[index]] if names[index] is not None else params[index]
            out.append(transformer.as_literal(value).decode())
            out.append(part)
        return "".join(out)

    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """The query with its parameters inlined (for logs and ``connection.queries``).

        As psycopg's cursor does, the statement the cursor ran last, which an execute
        wrapper may have changed.
        """
        last = getattr(cursor, "last_query", None)
        if last is not None:
            sql, params = last
        try:
            return self.compose_sql(sql, params)
        except Exception:
            return str(super(DatabaseOperations, self).last_executed_query(cursor, sql, params))


class NativeDatabaseWrapper(DatabaseWrapper):
    """A PostgreSQL ``DatabaseWrapper`` whose connection is asyncpg, for one greenlet at a time."""

    ops_class = NativeOperations
    SchemaEditorClass = NativeSchemaEditor
    features_class = NativeFeatures
    introspection_class = NativeIntrospection
    connection: NativeConnection | None

    def __init__(
        self,
        settings_dict: dict[str, Any],
        alias: str,
        generation: int = 0,
        *,
        native_options: NativeOptions | None = None,
    ) -> None:
        super().__init__(settings_dict, alias, native_options=native_options)
        self.generation = generation
        self._cursor_slots: set[int] = set()

    # -- running sync code on it -------------------------------------------------------

    async def run[T](self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run the sync ``fn(*args, **kwargs)`` in a greenlet, with this wrapper as the
        calling task's ``connections[alias]`` until it returns."""
        installed = _Installed(self.alias, self)
        try:
            return await greenlet_spawn(fn, *args, **kwargs)
        finally:
            installed.undo()

    async def aensure_connection(self) -> None:
        """Open the connection now (:meth:`ensure_connection`, in its greenlet)."""
        await self.run(self.ensure_connection)

    # -- connecting ------------------------------------------------------------------

    def asyncpg_params(self) -> dict[str, Any]:
        """Keyword arguments for ``asyncpg.connect()`` from the alias's settings."""
        settings_dict = self.settings_dict
        options = settings_dict.get("OPTIONS") or {}
        # The time zone and the role are set after connecting, by Django's own hooks
        # (_configure_timezone, _configure_role), so RESET and an overridden hook behave as
        # on psycopg.
        server_settings: dict[str, str] = {}
        if "isolation_level" in options:
            level = _isolation_level(options["isolation_level"])
            server_settings["default_transaction_isolation"] = _ISOLATION[level]
        if options.get("application_name"):
            server_settings["application_name"] = str(options["application_name"])
        params: dict[str, Any] = {
            "database": settings_dict["NAME"] or "postgres",
            "user": settings_dict["USER"] or None,
            "password": settings_dict["PASSWORD"] or None,
            "host": settings_dict["HOST"] or None,
            "port": int(settings_dict["PORT"]) if settings_dict["PORT"] else None,
            "timeout": self.native_options.connect_timeout,
            "statement_cache_size": self.native_options.statement_cache_size,
            "server_settings": server_settings,
        }
        if options.get("sslmode"):
            params["ssl"] = options["sslmode"]
        if options.get("passfile"):
            params["passfile"] = options["passfile"]
        return params

    async def _open(self) -> asyncpg.Connection:
        # A connection attempt cut short by a cancellation leaves asyncpg's handshake
        # futures unretrieved; let it finish on its own and drop the result instead.
        attempt = asyncio.ensure_future(self._connect_and_configure())
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            attempt.add_done_callback(_drop_connection)
            raise

    async def _connect_and_configure(self) -> asyncpg.Connection:
        raw = await asyncpg.connect(**self.asyncpg_params())
        try:
            await configure_connection(raw)
        except BaseException:
            raw.terminate()
            raise
        return raw

    def get_new_connection(self, conn_params: dict[str, Any]) -> NativeConnection:
        """Open an asyncpg connection (awaited on the loop)."""
        _require_greenlet("get_new_connection")
        options = self.settings_dict.get("OPTIONS") or {}
        # As Django's get_new_connection: psycopg's level, ImproperlyConfigured if invalid.
        level = (
            _isolation_level(options["isolation_level"]) if "isolation_level" in options else None
        )
        self.isolation_level = IsolationLevel(level or IsolationLevel.READ_COMMITTED)
        try:
            raw = await_only(self._open())
        except TimeoutError as exc:
            raise psycopg.OperationalError(
                f"connecting to PostgreSQL timed out after {self.native_options.connect_timeout}s"
            ) from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise translate_error(exc) from exc
        self._cursor_slots.clear()
        connection = NativeConnection(raw, self.timezone, self.native_options.statement_cache_size)
        # psycopg's attribute: None (the server's default) unless OPTIONS sets a level.
        connection.isolation_level = None if level is None else IsolationLevel(level)
        return connection

    def get_connection_params(self) -> dict[str, Any]:
        """Not used for asyncpg (see :meth:`asyncpg_params`); validates NAME as Django does."""
        return {}

    def init_connection_state(self) -> None:
        """Django's, except that a native connection never comes from a psycopg pool (which
        configures its own): the time zone and role hooks run on every new connection."""
        _base("init_connection_state")(self)
        connection = self.connection
        configured = connection is not None and cast(Any, self)._configure_connection(connection)
        if configured and connection is not None and not self.get_autocommit():
            connection.commit()

    def ensure_connection(self) -> None:
        """Open the connection if needed (Django's logic, inside the greenlet only)."""
        _require_greenlet("ensure_connection")
        if self.connection is None:
            if self.in_atomic_block and self.closed_in_transaction:
                raise ProgrammingError("Cannot open a new connection in an atomic block.")
            with self.wrap_database_errors:
                self.connect()

    def is_usable(self) -> bool:
        """Whether a ``SELECT 1`` succeeds."""
        if self.connection is None or self.connection.closed:
            return False
        try:
            self.connection.execute("SELECT 1", ())
        except psycopg.Error:
            return False
        return True

    # -- cursors ---------------------------------------------------------------------

    def create_cursor(self, name: str | None = None) -> NativeCursor:
        """A client cursor, or a named server-side one for ``iterator()``."""
        _require_greenlet("create_cursor")
        connection = self.connection
        assert connection is not None
        if connection.tzinfo != self.timezone:
            # The time zone changed on an open connection (TIME_ZONE of the alias, as
            # psycopg's loaders follow it per cursor).
            connection.set_tzinfo(self.timezone)
        if name:
            return _SlotCursor(self, connection, name, withhold=connection.autocommit)
        return NativeCursor(connection)

    def chunked_cursor(self) -> Any:
        """A server-side cursor named after a free slot of this connection.

        Names are reused once their cursor is closed, so ``FETCH`` statements stay few in
        the prepared-statement cache.
        """
        _require_greenlet("chunked_cursor")
        slot = 1
        while slot in self._cursor_slots:
            slot += 1
        return cast(Any, self)._cursor(name=f"_asyncx_curs_{slot}")

    @property
    def open_server_cursors(self) -> int:
        """How many server-side cursors of this connection are not closed yet."""
        return len(self._cursor_slots)

    # -- the methods Django guards with async_unsafe -----------------------------------

    def connect(self) -> None:
        """Connect (inside the greenlet only)."""
        _require_greenlet("connect")
        _base("connect")(self)

    def cursor(self) -> Any:
        """A cursor (inside the greenlet only)."""
        _require_greenlet("cursor")
        return _base("cursor")(self)

    def commit(self) -> None:
        """Commit (inside the greenlet only)."""
        _require_greenlet("commit")
        _base("commit")(self)

    def rollback(self) -> None:
        """Roll back (inside the greenlet only)."""
        _require_greenlet("rollback")
        _base("rollback")(self)

    def close(self) -> None:
        """Close the connection (inside the greenlet only)."""
        _require_greenlet("close")
        _base("close")(self)
        self._cursor_slots.clear()

    def savepoint(self) -> Any:
        """Create a savepoint (inside the greenlet only)."""
        _require_greenlet("savepoint")
        return _base("savepoint")(self)

    def savepoint_rollback(self, sid: str) -> None:
        """Roll back to a savepoint (inside the greenlet only)."""
        _require_greenlet("savepoint_rollback")
        _base("savepoint_rollback")(self, sid)

    def savepoint_commit(self, sid: str) -> None:
        """Release a savepoint (inside the greenlet only)."""
        _require_greenlet("savepoint_commit")
        _base("savepoint_commit")(self, sid)

    def clean_savepoints(self) -> None:
        """Forget savepoint ids (inside the greenlet only)."""
        _require_greenlet("clean_savepoints")
        _base("clean_savepoints")(self)

    # -- state checks used by the pool -------------------------------------------------

    def is_clean(self) -> bool:
        """Whether this wrapper can serve another call as it is.

        True when no transaction, savepoint, hook or server-side cursor is left over and the
        connection (if any) is open.
        """
        connection = self.connection
        if connection is not None and not connection.is_idle():
            return False
        return not (
            self.in_atomic_block
            or self.savepoint_ids
            or self.atomic_blocks
            or self.needs_rollback
            or self.run_on_commit
            or self.execute_wrappers
            or self._cursor_slots
            or not self.autocommit
        )

    def timezone_matches(self) -> bool:
        """Whether the connection was opened with today's time zone settings."""
        return self.connection is None or self.connection.tzinfo == self.timezone


class _Installed:
    """Shows ``wrapper`` as ``connections[alias]`` to the current task until undone."""

    __slots__ = ("alias", "previous")

    def __init__(self, alias: str, wrapper: NativeDatabaseWrapper) -> None:
        storage = cast(Any, connections)._connections
        self.alias = alias
        self.previous = getattr(storage, alias, _MISSING)
        setattr(storage, alias, wrapper)

    def undo(self) -> None:
        storage = cast(Any, connections)._connections
        if self.previous is _MISSING:
            with contextlib.suppress(AttributeError):
                delattr(storage, self.alias)
        else:
            setattr(storage, self.alias, self.previous)


class _SlotCursor(NativeServerCursor):
    """A server-side cursor that frees its name slot when closed."""

    def __init__(
        self,
        wrapper: NativeDatabaseWrapper,
        connection: NativeConnection,
        name: str,
        withhold: bool,
    ) -> None:
        super().__init__(connection, name, withhold)
        self._wrapper = wrapper
        self._slot = int(name.rsplit("_", 1)[1]) if name.startswith("_asyncx_curs_") else None
        if self._slot is not None:
            wrapper._cursor_slots.add(self._slot)

    def close(self) -> None:
        """Close on the server, then free the name."""
        try:
            super().close()
        finally:
            if self._slot is not None:
                self._wrapper._cursor_slots.discard(self._slot)
