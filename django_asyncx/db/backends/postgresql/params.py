"""Parameter values as asyncpg takes them, each with the cast its psycopg literal carries.

Django's PostgreSQL backend binds parameters on the client by default (psycopg's
``ClientCursor``): each value becomes a literal, typed the way the server types literals
(``1`` is ``int4``, ``1.5`` is ``numeric``, ``'2024-01-01'::date`` carries a cast). asyncpg
binds on the server, where a bare ``$1`` is typed from its context and ``SELECT $1`` is
``text``. So each value gets the cast its literal would have had (:func:`adapt_value`):
``::int4`` for an ``int``, ``::timestamptz`` for an aware datetime, none for a string (the
server infers, as it does for a quoted literal).
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import asyncpg
from psycopg import Binary
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Json, Jsonb
from psycopg.types.numeric import Float4, Float8, Int2, Int4, Int8, IntNumeric
from psycopg.types.range import Range as PgRange

__all__ = ["adapt_value", "literal_transformer"]

_INT4 = 2**31
_INT8 = 2**63

# A parameter adapter returns (cast, converted value).
Adapter = Callable[[Any], tuple[str, Any]]


def _int_cast(value: int) -> tuple[str, Any]:
    if -_INT4 <= value < _INT4:
        return "::int4", int(value)
    if -_INT8 <= value < _INT8:
        return "::int8", int(value)
    return "::numeric", decimal.Decimal(int(value))


def _float_cast(value: float) -> tuple[str, Any]:
    if math.isfinite(value):
        # psycopg writes 1.5 as a bare literal, which PostgreSQL types as numeric.
        return "::numeric", decimal.Decimal(repr(float(value)))
    return "::float8", float(value)


def _decimal_cast(value: decimal.Decimal) -> tuple[str, Any]:
    return "::numeric", value


def _datetime_cast(value: datetime.datetime) -> tuple[str, Any]:
    return ("::timestamp" if value.tzinfo is None else "::timestamptz"), value


def _time_cast(value: datetime.time) -> tuple[str, Any]:
    return ("::time" if value.tzinfo is None else "::timetz"), value


def _json(value: Json) -> tuple[str, Any]:
    import json

    dumps = value.dumps or json.dumps
    text = dumps(value.obj)
    if isinstance(text, bytes | bytearray | memoryview):
        text = bytes(text).decode()
    return ("::jsonb" if isinstance(value, Jsonb) else "::json"), text


def _fixed(cast: str, convert: Callable[[Any], Any] | None = None) -> Adapter:
    if convert is None:
        return lambda value: (cast, value)
    return lambda value: (cast, convert(value))


_ADAPTERS: dict[type, Adapter] = {
    str: lambda value: ("", value),
    type(None): lambda value: ("", None),
    bool: _fixed("::bool"),
    int: _int_cast,
    Int2: _int_cast,
    Int4: _int_cast,
    Int8: _int_cast,
    IntNumeric: _int_cast,
    float: _float_cast,
    Float4: _fixed("::float4", float),
    Float8: _fixed("::float8", float),
    decimal.Decimal: _decimal_cast,
    datetime.datetime: _datetime_cast,
    datetime.date: _fixed("::date"),
    datetime.time: _time_cast,
    datetime.timedelta: _fixed("::interval"),
    uuid.UUID: _fixed("::uuid"),
    bytes: _fixed("::bytea"),
    bytearray: _fixed("::bytea", bytes),
    memoryview: _fixed("::bytea", bytes),
    # Django wraps every BinaryField value in psycopg.Binary. Its text dump is not an option:
    # without a psycopg connection in the process, libpq escapes it as if
    # standard_conforming_strings were off, and the server would store the escaped text.
    Binary: lambda value: ("::bytea", bytes(value.obj)),
    Jsonb: _json,
    Json: _json,
    dict: _fixed("::hstore"),
}


@lru_cache(maxsize=1)
def literal_transformer() -> Any:
    """A psycopg ``Transformer`` with Django's adapters: how psycopg would write literals."""
    from django.db.backends.postgresql.psycopg_any import get_adapters_template

    return Transformer(get_adapters_template(True, datetime.UTC))


def _psycopg_type(value: object) -> str:
    """The cast psycopg's literal for ``value`` carries ('' when it has none)."""
    transformer = literal_transformer()
    try:
        dumper = transformer.get_dumper(value, PyFormat.TEXT)
    except Exception:
        return ""
    info = transformer.adapters.types.get(dumper.oid) if dumper.oid else None
    if info is None:
        return ""
    if dumper.oid == info.array_oid:
        return f"::{info.name}[]"
    return f"::{info.name}"


def _structure(value: Any) -> Any:
    """A value asyncpg can encode (ranges and lists converted element by element)."""
    if isinstance(value, PgRange):
        if value.isempty:
            return asyncpg.Range(empty=True)
        return asyncpg.Range(
            _structure(value.lower),
            _structure(value.upper),
            lower_inc=value.lower_inc,
            upper_inc=value.upper_inc,
        )
    if isinstance(value, list | tuple):
        return [_structure(item) for item in value]
    adapter = _ADAPTERS.get(type(value))
    if adapter is not None:
        return adapter(value)[1]
    return value


def _adapt_other(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "::bool", bool(value)
    if isinstance(value, str):
        return "", str.__str__(value)
    if isinstance(value, int):
        return _int_cast(value)
    if isinstance(value, float):
        return _float_cast(value)
    if isinstance(value, PgRange | list | tuple):
        return _psycopg_type(value), _structure(value)
    for kind, adapter in _ADAPTERS.items():
        if isinstance(value, kind):
            return adapter(value)
    cast = _psycopg_type(value)
    if cast == "::bytea":
        # Never a text dump of bytea (see Binary above): the binary dump is the bytes.
        dumped = literal_transformer().get_dumper(value, PyFormat.BINARY).dump(value)
        return cast, None if dumped is None else bytes(dumped)
    if cast:
        # Anything else psycopg can write as a literal travels as its text form.
        dumped = literal_transformer().get_dumper(value, PyFormat.TEXT).dump(value)
        return f"::text{cast}", bytes(dumped).decode() if dumped is not None else None
    return "", value


def adapt_value(value: Any) -> tuple[str, Any]:
    """The cast psycopg's literal for ``value`` carries, and ``value`` as asyncpg takes it."""
    adapter = _ADAPTERS.get(type(value))
    return adapter(value) if adapter is not None else _adapt_other(value)
