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
from psycopg import Binary, DataError
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


_ENDS = frozenset({datetime.date.min, datetime.date.max})


class _AtTheEnds(Exception):
    """A date or datetime asyncpg would send as -infinity or infinity."""


def _at_the_ends(value: datetime.date) -> bool:
    # asyncpg encodes date.min/max and datetime.min/max as -infinity/infinity; psycopg sends
    # the dates. The first and last day go as text (exact, only a little slower).
    day = value.date() if isinstance(value, datetime.datetime) else value
    return day in _ENDS


def _date_cast(value: datetime.date) -> tuple[str, Any]:
    if value in _ENDS:
        return "::text::date", value.isoformat()
    return "::date", value


def _datetime_cast(value: datetime.datetime) -> tuple[str, Any]:
    cast = "::timestamp" if value.tzinfo is None else "::timestamptz"
    if _at_the_ends(value):
        return f"::text{cast}", value.isoformat()
    return cast, value


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


def _str(value: str) -> tuple[str, Any]:
    if "\x00" in value:
        # psycopg refuses it before sending (the server would abort the transaction).
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return "", value


_ADAPTERS: dict[type, Adapter] = {
    str: _str,
    type(None): lambda value: ("", None),
    bool: _fixed("::bool"),
    int: _int_cast,
    Int2: _int_cast,
    Int4: _int_cast,
    Int8: _int_cast,
    IntNumeric: _int_cast,
    float: _float_cast,
    # psycopg writes Float4(1.5) as the bare literal 1.5, numeric like a float.
    Float4: _float_cast,
    Float8: _float_cast,
    decimal.Decimal: _decimal_cast,
    datetime.datetime: _datetime_cast,
    datetime.date: _date_cast,
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
    if isinstance(value, datetime.date) and _at_the_ends(value):
        raise _AtTheEnds
    adapter = _ADAPTERS.get(type(value))
    if adapter is not None:
        return adapter(value)[1]
    return value


def _text_dump(value: Any) -> str | None:
    dumped = literal_transformer().get_dumper(value, PyFormat.TEXT).dump(value)
    return None if dumped is None else bytes(dumped).decode()


def _hstore_list(value: list[Any] | tuple[Any, ...]) -> bool:
    return any(isinstance(item, dict) for item in value) and all(
        item is None or isinstance(item, dict) for item in value
    )


def _adapt_structure(value: PgRange[Any] | list[Any] | tuple[Any, ...]) -> tuple[str, Any]:
    if not isinstance(value, PgRange) and _hstore_list(value):
        # ArrayField(HStoreField): psycopg's default adapters do not know hstore (Django
        # registers it on each psycopg connection, as hstore[] for a list); asyncpg's hstore
        # codec encodes the elements.
        return "::hstore[]", list(value)
    # psycopg's dumper decides, and raises its own errors (a list of mixed types).
    if not literal_transformer().get_dumper(value, PyFormat.TEXT).oid:
        # An untyped literal (a list of strings, a range of str or int bounds): its text,
        # with no cast, so the server types it from its context as it types the literal.
        return "", _text_dump(value)
    cast = _psycopg_type(value)
    try:
        return cast, _structure(value)
    except _AtTheEnds:
        return f"::text{cast}", _text_dump(value)


def _adapt_other(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "::bool", bool(value)
    if isinstance(value, str):
        return _str(str.__str__(value))
    if isinstance(value, int):
        return _int_cast(value)
    if isinstance(value, float):
        return _float_cast(value)
    if isinstance(value, PgRange | list | tuple):
        return _adapt_structure(value)
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
        return f"::text{cast}", _text_dump(value)
    return "", value


def adapt_value(value: Any) -> tuple[str, Any]:
    """The cast psycopg's literal for ``value`` carries, and ``value`` as asyncpg takes it."""
    adapter = _ADAPTERS.get(type(value))
    return adapter(value) if adapter is not None else _adapt_other(value)
