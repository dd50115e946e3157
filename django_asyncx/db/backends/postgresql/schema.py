"""The schema editor of the native path: Django's PostgreSQL one, quoting without psycopg.

Django's ``quote_value`` hands ``self.connection.connection`` (a psycopg connection) to
``psycopg.sql.quote``; the native connection is not one. The literals here are psycopg's
(:func:`~.params.literal_transformer`), written as psycopg writes them on a connection with
``standard_conforming_strings`` on (always the case since PostgreSQL 9.1).
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql.schema import DatabaseSchemaEditor

from .params import literal_transformer

__all__ = ["NativeSchemaEditor"]


class NativeSchemaEditor(DatabaseSchemaEditor):
    """Django's PostgreSQL schema editor with :meth:`quote_value` for the native connection."""

    def quote_value(self, value: Any) -> str:
        """``value`` as an SQL literal, as ``psycopg.sql.quote(value, connection)`` writes it."""
        if isinstance(value, bytes | bytearray | memoryview):
            # Without a connection psycopg escapes bytea for non-standard strings.
            return f"'\\x{bytes(value).hex()}'::bytea"
        return str(literal_transformer().as_literal(value).decode())
