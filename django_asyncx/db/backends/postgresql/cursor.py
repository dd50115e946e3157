"""The DB-API face Django sees on the native path: a connection and cursors over asyncpg.

Django's PostgreSQL backend calls ``wrapper.connection`` and its cursors synchronously. Here
each call that needs the server hands one coroutine to the event loop with
:func:`~django_asyncx.db.greenlet.await_only` (one switch per query, ``BEGIN`` included), and
turns asyncpg's errors into psycopg's, so Django maps them to ``django.db`` errors exactly as
on the sync path (``IntegrityError`` for a unique violation, and so on).
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import asyncpg
import psycopg
from asyncpg.prepared_stmt import PreparedStatement
from django.db.utils import NotSupportedError
from psycopg.adapt import AdaptersMap

from django_asyncx.db.greenlet import await_only
from django_asyncx.observability.tracing import failed_prepare_span, native_query_span

from .errors import breaks_connection, is_argument_error, is_client_data_error, translate_error
from .query import adapt_query
from .results import Converter, column_converters, type_display

__all__ = ["Column", "NativeConnection", "NativeCursor", "NativeServerCursor"]

# Statements without parameters that return no rows go by the simple query protocol: the
# unique names Django gives savepoints do not fill the prepared-statement cache, and a
# script of several statements (DDL) runs as psycopg runs it.
_UTILITY = frozenset(
    {
        "SAVEPOINT",
        "RELEASE",
        "ROLLBACK",
        "BEGIN",
        "START",
        "COMMIT",
        "SET",
        "RESET",
        "CLOSE",
        "DISCARD",
        "CREATE",
        "DROP",
        "ALTER",
        "TRUNCATE",
        "COMMENT",
        "GRANT",
        "REVOKE",
        "LOCK",
        "DO",
        "ANALYZE",
        "VACUUM",
        "NOTIFY",
    }
)
_NO_CONVERTERS: tuple[Converter, ...] | None = None
# asyncpg's own limit for its statement cache: longer SQL (a pk__in of thousands) is prepared
# unnamed for each run rather than kept on the server.
_MAX_CACHED_SQL = 15 * 1024


class Column(NamedTuple):
    """One entry of ``cursor.description`` (the DB-API 7-tuple)."""

    name: str
    type_code: int
    display_size: int | None = None
    internal_size: int | None = None
    precision: int | None = None
    scale: int | None = None
    null_ok: bool | None = None

    @property
    def type_display(self) -> str:
        """The type's name as psycopg shows it (``int4``, ``"char"[]``)."""
        return type_display(self.type_code)


# Re-renders a statement with extra casts for some arguments (see Adapted.render).
Render = Callable[[Mapping[int, str]], str | None]
# Types a string parameter goes to as is.
_TEXTUAL = frozenset({"text", "varchar", "bpchar", "name", "unknown", "citext"})


def _type_name(kind: Any) -> str:
    # asyncpg names an array type "text[]": the quoted name is "pg_catalog"."text"[].
    name, suffix = (kind.name[:-2], "[]") if kind.name.endswith("[]") else (kind.name, "")
    return f'"{kind.schema}"."{name}"{suffix}'


def _text_positions(args: Sequence[Any]) -> tuple[int, ...]:
    return tuple(index for index, arg in enumerate(args) if isinstance(arg, str))


def _statusrows(status: bytes | str | None) -> int:
    if not status:
        return -1
    text = status.decode() if isinstance(status, bytes) else status
    last = text.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class _Info:
    """The subset of psycopg's ``ConnectionInfo`` Django reads."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self._raw = raw

    @property
    def server_version(self) -> int:
        version = self._raw.get_server_version()
        return int(version.major * 10000 + (version.minor if version.major < 10 else version.micro))

    def parameter_status(self, name: str) -> str | None:
        value = getattr(self._raw.get_settings(), name, None)
        return None if value is None else str(value)

    @property
    def backend_pid(self) -> int:
        return int(self._raw.get_server_pid())

    @property
    def encoding(self) -> str:
        """The client encoding as a Python codec name (asyncpg always speaks UTF8)."""
        return codecs.lookup(self.parameter_status("client_encoding") or "utf-8").name


class NativeConnection:
    """What Django's PostgreSQL backend sees as ``wrapper.connection`` on the native path.

    It keeps psycopg's transaction model: with ``autocommit`` off, the first statement opens
    a transaction (``BEGIN`` goes with it, in the same switch to the loop).
    """

    def __init__(
        self,
        raw: asyncpg.Connection,
        tzinfo: datetime.tzinfo | None,
        statement_cache_size: int = 100,
    ) -> None:
        self.raw = raw
        self.tzinfo = tzinfo
        # The prepared statements of this connection, least recently used first (none kept
        # with a size of 0: PgBouncer in transaction mode cannot keep them).
        self._statements: OrderedDict[str, PreparedStatement] = OrderedDict()
        self._statement_cache_size = statement_cache_size
        self.autocommit = True
        #: psycopg's attribute: the level OPTIONS set (the session default), else None.
        self.isolation_level: psycopg.IsolationLevel | None = None
        self.info = _Info(raw)
        # contrib.postgres registers hstore/citext on the psycopg adapters of every new
        # connection; give it a map to write to (asyncpg has its own codecs).
        self.adapters = AdaptersMap(psycopg.adapters)
        self._converters: dict[str, tuple[Converter, ...] | None] = {}
        self._rewrites: dict[tuple[str, tuple[int, ...]], str] = {}
        self.broken = False

    def set_tzinfo(self, tzinfo: datetime.tzinfo | None) -> None:
        """Give datetimes in ``tzinfo`` from now on (the wrapper's time zone changed)."""
        self.tzinfo = tzinfo
        self._converters.clear()

    @property
    def closed(self) -> bool:
        """Whether the connection is closed, was lost, or failed in a way that rules out
        another query on it."""
        return self.broken or bool(self.raw.is_closed())

    def in_transaction(self) -> bool:
        """Whether the server is inside a transaction block (failed ones included)."""
        return not self.closed and bool(self.raw.is_in_transaction())

    def is_idle(self) -> bool:
        """Whether the connection is open and outside a transaction (ready for another call)."""
        raw = self.raw
        return not (self.broken or raw.is_closed() or raw.is_in_transaction())

    def run(self, coro: Any) -> Any:
        """Await ``coro`` on the loop, raising psycopg's errors for asyncpg's."""
        try:
            return await_only(coro)
        except (
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            OSError,
            asyncpg.exceptions.InternalClientError,
        ) as exc:
            if breaks_connection(exc):
                # asyncpg may not have seen the socket close yet: never reuse it.
                self.broken = True
            raise translate_error(exc) from exc

    def _needs_begin(self) -> bool:
        return not self.autocommit and not self.raw.is_in_transaction()

    async def _simple(self, sql: str, begin: bool) -> str:
        if begin:
            await self.raw.execute("BEGIN")
        return str(await self.raw.execute(sql))

    async def _extended(
        self, sql: str, args: Sequence[Any], begin: bool, render: Render | None
    ) -> tuple[Any, ...]:
        if begin:
            await self.raw.execute("BEGIN")
        run_sql = sql
        if self._rewrites:
            run_sql = self._rewrites.get((sql, _text_positions(args)), sql)
        # The cached statement is the common case: no coroutine to look it up.
        stmt = self._statements.get(run_sql)
        if stmt is None:
            stmt = await self._statement(run_sql)
        else:
            self._statements.move_to_end(run_sql)
        try:
            return await self._bind_execute(stmt, run_sql, args)
        except (asyncpg.exceptions.DataError, asyncpg.InterfaceError) as exc:
            # asyncpg raises its DataError (a PostgresError) for a value it cannot encode.
            if not is_argument_error(exc) or not (
                isinstance(exc, asyncpg.exceptions.DataError) or is_client_data_error(exc)
            ):
                raise
            # A string where the server expects another type (raw SQL such as
            # "WHERE id = %s" with "5", or Cast(Value("5"), IntegerField())): psycopg would
            # have sent the quoted literal '5', which the server converts. Do the same:
            # $n::text::<type>. Nothing reached the server, so retrying is safe.
            rewritten = self._text_rewrite(sql, stmt, args, render)
            if rewritten is None or run_sql is not sql:
                raise
            return await self._bind_execute(await self._statement(rewritten), rewritten, args)

    async def _statement(self, sql: str) -> PreparedStatement:
        """The prepared statement for ``sql``: from this connection's LRU, or prepared now."""
        statements = self._statements
        stmt = statements.get(sql)
        if stmt is not None:
            statements.move_to_end(sql)
            return stmt
        with failed_prepare_span(self.raw, sql):
            if not self._statement_cache_size or len(sql) > _MAX_CACHED_SQL:
                # Unnamed, parsed again when bound: nothing stays on the server (PgBouncer).
                return await self.raw.prepare(sql, name="")
            stmt = await self.raw.prepare(sql)
        statements[sql] = stmt
        if len(statements) > self._statement_cache_size:
            # asyncpg closes the dropped statement on the server with its next prepare.
            statements.popitem(last=False)
        return stmt

    async def _bind_execute(
        self, stmt: PreparedStatement, sql: str, args: Sequence[Any]
    ) -> tuple[Any, ...]:
        try:
            with native_query_span(self.raw, sql, stmt.fetch):
                rows = await stmt.fetch(*args)
        except asyncpg.exceptions.InvalidCachedStatementError:
            # The result type changed since the statement was prepared (ALTER TABLE, a new
            # search_path): prepare again. Outside a transaction the failed run did nothing,
            # so it is retried once, as asyncpg retries its own cached statements.
            self._statements.clear()
            if self.raw.is_in_transaction():
                raise
            stmt = await self._statement(sql)
            with native_query_span(self.raw, sql, stmt.fetch):
                rows = await stmt.fetch(*args)
        except asyncpg.exceptions.OutdatedSchemaCacheError:
            self._statements.clear()  # asyncpg reloaded its type codecs: prepare again
            raise
        return rows, stmt.get_statusmsg(), stmt

    def _text_rewrite(
        self,
        sql: str,
        stmt: PreparedStatement,
        args: Sequence[Any],
        render: Render | None,
    ) -> str | None:
        positions = _text_positions(args)
        if not positions or render is None:
            return None
        types = stmt.get_parameters()
        casts = {
            index: "::text::" + _type_name(types[index])
            for index in positions
            if index < len(types) and types[index].name not in _TEXTUAL
        }
        if not casts:
            return None
        # Rendered again from the placeholders: a "$1" inside a literal stays as it is.
        rewritten = render(casts)
        if rewritten is None:
            return None
        if len(self._rewrites) > 256:
            self._rewrites.clear()
        self._rewrites[(sql, positions)] = rewritten
        return rewritten

    async def _many(self, sql: str, args: list[Sequence[Any]], begin: bool) -> None:
        if begin:
            await self.raw.execute("BEGIN")
        await (await self._statement(sql)).executemany(args)

    def execute_simple(self, sql: str) -> str:
        """Run a statement without parameters or rows (simple protocol); return its status."""
        return str(self.run(self._simple(sql, self._needs_begin())))

    def execute(
        self, sql: str, args: Sequence[Any], render: Render | None = None
    ) -> tuple[list[tuple[Any, ...]], int, Any]:
        """Run one statement; return its rows (tuples), row count and asyncpg statement.

        ``render`` gives the statement with extra casts, for a string argument the server
        wants as another type (it is retried once with ``$n::text::<type>``).
        """
        records, status, stmt = self.run(self._extended(sql, args, self._needs_begin(), render))
        converters = self._converters.get(sql, _NO_CONVERTERS)
        if converters is _NO_CONVERTERS and sql not in self._converters:
            converters = column_converters(stmt.get_attributes(), self.tzinfo)
            if len(self._converters) > 1024:
                self._converters.clear()
            self._converters[sql] = converters
        if converters is None:
            rows = list(map(tuple, records))
        else:
            rows = [
                tuple(
                    value if c is None else c(value)
                    for c, value in zip(converters, record, strict=True)
                )
                for record in records
            ]
        return rows, _statusrows(status), stmt

    def executemany(self, sql: str, args: list[Sequence[Any]]) -> None:
        """Run one statement once per argument list."""
        self.run(self._many(sql, args, self._needs_begin()))

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        if self.in_transaction():
            self.run(self.raw.execute("COMMIT"))

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self.in_transaction():
            self.run(self.raw.execute("ROLLBACK"))

    def close(self) -> None:
        """Close the connection (terminate it if the server does not answer)."""
        if self.closed:
            return
        try:
            await_only(self.raw.close(timeout=5))
        except BaseException:
            self.raw.terminate()
            raise

    def cursor(self, name: str | None = None, **kwargs: Any) -> NativeCursor:
        """A client cursor (server-side ones come from the wrapper's ``create_cursor``)."""
        return NativeCursor(self)


class NativeCursor:
    """A DB-API cursor whose queries run on asyncpg; rows are fetched whole, as psycopg's
    client cursors do."""

    arraysize = 1
    lastrowid = None

    def __init__(self, connection: NativeConnection) -> None:
        self.connection = connection
        self.rowcount = -1
        self.closed = False
        self._rows: list[tuple[Any, ...]] = []
        self._position = 0
        self._stmt: Any = None
        #: The last statement and parameters given to execute() (what Django logs).
        self.last_query: tuple[str, Any] | None = None

    def __enter__(self) -> NativeCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        while (row := self.fetchone()) is not None:
            yield row

    @property
    def description(self) -> list[Column] | None:
        """Column names and type OIDs of the last result (``None`` for statements without)."""
        if self._stmt is None:
            return None
        attributes = self._stmt.get_attributes()
        if not attributes:
            return None
        return [Column(attribute.name, attribute.type.oid) for attribute in attributes]

    def _check(self) -> None:
        if self.closed:
            raise psycopg.InterfaceError("the cursor is closed")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        """Run ``sql`` with Django's ``%s`` placeholders and ``params``."""
        self._check()
        self._position = 0
        self.last_query = (sql, params)
        if params is None:
            head = sql.lstrip()[:9].split(None, 1)
            if head and head[0].upper() in _UTILITY:
                self._simple(sql)
                return
        # Placeholder and parameter errors are psycopg's own (TypeError, ProgrammingError).
        adapted = adapt_query(sql, params)
        if adapted.simple:
            self._simple(adapted.sql)
            return
        self._rows, self.rowcount, self._stmt = self.connection.execute(
            adapted.sql, adapted.args, adapted.render
        )

    def _simple(self, sql: str) -> None:
        status = self.connection.execute_simple(sql)
        self._rows, self._stmt, self.rowcount = [], None, _statusrows(status)

    def executemany(
        self, sql: str, param_list: Sequence[Sequence[Any] | Mapping[str, Any]]
    ) -> None:
        """Run ``sql`` once per parameter set."""
        self._check()
        param_list = list(param_list)
        self._rows, self._stmt, self._position = [], None, 0
        if not param_list:
            self.rowcount = 0
            return
        # Each row has its own casts (1 is ::int4, 1.5 is ::numeric): consecutive rows with
        # the same rendered SQL go together, in order; composed rows run one by one.
        adapted = [adapt_query(sql, params) for params in param_list]
        start = 0
        while start < len(adapted):
            first = adapted[start]
            end = start + 1
            if first.args:
                while end < len(adapted) and adapted[end].sql == first.sql:
                    end += 1
                self.connection.executemany(first.sql, [item.args for item in adapted[start:end]])
            elif first.simple:
                self.connection.execute_simple(first.sql)
            else:
                self.connection.execute(first.sql, first.args)
            start = end
        self.rowcount = -1

    def callproc(self, name: str, args: Sequence[Any] | None = None) -> Sequence[Any] | None:
        """Call a function: ``SELECT * FROM name(args)``."""
        identifier = '"' + name.replace('"', '""') + '"'
        placeholders = ", ".join(["%s"] * len(args or ()))
        self.execute(f"SELECT * FROM {identifier}({placeholders})", list(args or ()))
        return args

    def copy(self, statement: str, *args: Any, **kwargs: Any) -> Any:
        """Not supported: ``COPY`` needs psycopg (run it in sync code)."""
        raise NotSupportedError(
            "cursor.copy() (COPY) is not supported on the native asyncpg path; run it in "
            "sync code, where the engine uses psycopg"
        )

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or ``None``."""
        self._check()
        if self._position >= len(self._rows):
            return None
        row = self._rows[self._position]
        self._position += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to ``size`` (default ``arraysize``) next rows."""
        self._check()
        size = self.arraysize if size is None else size
        rows = self._rows[self._position : self._position + size]
        self._position += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        """All remaining rows."""
        self._check()
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    def close(self) -> None:
        """Forget the result."""
        self.closed = True
        self._rows = []


class NativeServerCursor(NativeCursor):
    """A named server-side cursor: ``DECLARE``, then ``FETCH FORWARD n`` per chunk.

    As psycopg does for Django, the cursor is ``WITH HOLD`` in autocommit mode (so it
    outlives the implicit transaction) and plain inside a transaction.
    """

    def __init__(self, connection: NativeConnection, name: str, withhold: bool) -> None:
        super().__init__(connection)
        self.name = name
        self.withhold = withhold
        self._declared = False
        self._tag = ""
        self._quoted = '"' + name.replace('"', '""') + '"'

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        """Declare the cursor for ``sql``."""
        self._check()
        adapted = adapt_query(sql, params)
        hold = "WITH HOLD " if self.withhold else ""
        prefix = f"DECLARE {self._quoted} NO SCROLL CURSOR {hold}FOR "

        def render(extra: Mapping[int, str]) -> str | None:
            query = adapted.render(extra)
            return None if query is None else prefix + query

        self.connection.execute(prefix + adapted.sql, adapted.args, render)
        self._declared = True
        # A prepared FETCH keeps the row type of the query the name was declared for, and
        # the column converters are cached per SQL text: tag FETCH with that query.
        self._tag = hashlib.blake2s(adapted.sql.encode(), digest_size=8).hexdigest()

    def _fetch(self, what: str) -> list[tuple[Any, ...]]:
        self._check()
        if not self._declared:
            raise psycopg.ProgrammingError("no query was executed on this server-side cursor")
        rows, count, self._stmt = self.connection.execute(
            f"FETCH FORWARD {what} FROM {self._quoted} /* {self._tag} */", ()
        )
        self.rowcount = count
        return rows

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or ``None``."""
        rows = self._fetch("1")
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to ``size`` next rows, fetched from the server now."""
        return self._fetch(str(int(self.arraysize if size is None else size)))

    def fetchall(self) -> list[tuple[Any, ...]]:
        """All remaining rows."""
        return self._fetch("ALL")

    def close(self) -> None:
        """Close the server-side cursor (skipped when its transaction is gone or failed)."""
        if self.closed:
            return
        self.closed = True
        connection = self.connection
        if not self._declared or connection.closed:
            return
        if not self.withhold and not connection.in_transaction():
            return
        with contextlib.suppress(psycopg.errors.InFailedSqlTransaction):
            connection.execute_simple(f"CLOSE {self._quoted}")
