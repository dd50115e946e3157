"""Introspection on the native path: Django's PostgreSQL introspection, with column sizes.

Django reads a table's sizes (``max_length``, decimal precision and scale) from psycopg's
``cursor.description``, which psycopg computes from the type modifier of each result column.
asyncpg does not expose that modifier; one catalog query per table gives it, and psycopg's
own ``TypeInfo`` turns it into the same sizes. Only introspection (``inspectdb``, the schema
editor's checks, tests) pays for it.
"""

from __future__ import annotations

from typing import Any

import django
import psycopg
from django.db.backends.postgresql.introspection import DatabaseIntrospection

# Django's own introspection names hstore columns by name from 6.1 on, by oid before.
_HSTORE_BY_NAME = django.VERSION >= (6, 1)

__all__ = ["NativeIntrospection"]

_NO_SIZE = 2**16 - 1  # what psycopg reports for a numeric without precision

_COLUMNS = """
    SELECT a.attname, a.atttypid, a.atttypmod, t.typlen, t.typname
    FROM pg_attribute a JOIN pg_type t ON a.atttypid = t.oid
    WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""


class NativeIntrospection(DatabaseIntrospection):
    """Django's PostgreSQL introspection, with psycopg's sizes for each column."""

    def get_table_description(self, cursor: Any, table_name: str) -> list[Any]:
        """Django's description of ``table_name``, with display size, internal size,
        precision and scale as psycopg gives them."""
        description = super().get_table_description(cursor, table_name)
        cursor.execute(_COLUMNS, [self.connection.ops.quote_name(table_name)])
        columns = {row[0]: row[1:] for row in cursor.fetchall()}
        return [_sized(info, *columns[info.name]) for info in description]


def _sized(info: Any, oid: int, fmod: int, typlen: int, typname: str) -> Any:
    type_info = psycopg.adapters.types.get(oid)
    internal_size = typlen if typlen >= 0 else None  # psycopg: None for variable sizes
    sizes: dict[str, Any] = {"internal_size": internal_size}
    if typname == "hstore" and _HSTORE_BY_NAME:
        sizes["type_code"] = "hstore"  # its oid differs between databases, as in Django
    if type_info is not None:
        display_size = type_info.get_display_size(fmod)
        precision = type_info.get_precision(fmod)
        scale = type_info.get_scale(fmod)
        sizes["display_size"] = internal_size if display_size is None else display_size
        sizes["precision"] = None if precision == _NO_SIZE else precision
        sizes["scale"] = None if scale == _NO_SIZE else scale
    return info._replace(**sizes)
