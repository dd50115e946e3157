"""asyncpg's errors as psycopg's, so that Django maps them as on the sync path.

A unique violation is a ``psycopg.errors.UniqueViolation`` (Django: ``IntegrityError``), a
lost connection a ``psycopg.OperationalError`` (Django: ``OperationalError``), and so on.
"""

from __future__ import annotations

import asyncpg
import psycopg
from psycopg import errors as pg_errors

__all__ = ["breaks_connection", "is_argument_error", "is_client_data_error", "translate_error"]


def is_client_data_error(exc: BaseException) -> bool:
    """Whether asyncpg refused a value before sending anything (its client-side
    ``DataError``, which it does not export: the one ``InterfaceError`` that is also a
    ``ValueError``, configuration errors aside)."""
    return (
        isinstance(exc, asyncpg.InterfaceError)
        and isinstance(exc, ValueError)
        and not isinstance(exc, asyncpg.exceptions.ClientConfigurationError)
    )


# A prepared statement that vanished or exists twice: the statement cache met a pooler that
# hands each transaction another server connection (asyncpg's own hint names its own knob).
_PREPARED_STATEMENT_ERRORS = (
    asyncpg.exceptions.InvalidSQLStatementNameError,
    asyncpg.exceptions.DuplicatePreparedStatementError,
)
_POOLER_HINT = (
    "\nHINT:  prepared statements do not survive PgBouncer (or another pooler) in transaction "
    'or statement mode: set DATABASES[...]["OPTIONS"]["native_pgbouncer"] = True for it'
)


def translate_error(exc: BaseException) -> BaseException:
    """The psycopg error a psycopg connection would have raised for asyncpg's ``exc``."""
    if isinstance(exc, asyncpg.PostgresError):
        message = str(exc)
        detail = getattr(exc, "detail", None)
        if detail:
            message = f"{message}\nDETAIL:  {detail}"
        if isinstance(exc, _PREPARED_STATEMENT_ERRORS):
            message += _POOLER_HINT
        sqlstate = getattr(exc, "sqlstate", None) or ""
        try:
            error_class: type[psycopg.Error] = pg_errors.lookup(sqlstate)
        except KeyError:
            error_class = {
                "08": psycopg.OperationalError,
                "22": psycopg.DataError,
                "23": psycopg.IntegrityError,
                "40": pg_errors.TransactionRollback,
                "42": psycopg.ProgrammingError,
                "57": psycopg.OperationalError,
            }.get(sqlstate[:2], psycopg.DatabaseError)
        return error_class(message)
    if is_client_data_error(exc):
        return psycopg.DataError(str(exc))
    if isinstance(exc, asyncpg.InterfaceError | OSError | asyncpg.exceptions.InternalClientError):
        return psycopg.OperationalError(f"{type(exc).__name__}: {exc}")
    return exc


def is_argument_error(exc: BaseException) -> bool:
    """Whether asyncpg refused an argument before sending anything (not a server error)."""
    return str(exc).startswith("invalid input for query argument")


_ARGUMENT_COUNT = ("the server expects", "the number of query arguments cannot exceed")

# Server shutdown, crash, "cannot connect now".
_FATAL_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def breaks_connection(exc: BaseException) -> bool:
    """Whether ``exc`` leaves the connection unusable (as opposed to a failed statement)."""
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = getattr(exc, "sqlstate", None) or ""
        return (
            sqlstate.startswith("08")
            or sqlstate in _FATAL_SQLSTATES
            or isinstance(exc, asyncpg.exceptions.FatalPostgresError)
        )
    # A client-side encoding error, or an argument count asyncpg refused before sending
    # anything, leaves the connection as it was.
    if isinstance(exc, asyncpg.InterfaceError) and str(exc).startswith(_ARGUMENT_COUNT):
        return False
    return not is_client_data_error(exc)
