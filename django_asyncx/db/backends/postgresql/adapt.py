"""Turn what Django hands psycopg into what asyncpg takes, and asyncpg's values back.

Django's PostgreSQL backend binds parameters on the client by default (psycopg's
``ClientCursor``): each value becomes a literal, typed the way the server types literals
(``1`` is ``int4``, ``1.5`` is ``numeric``, ``'2024-01-01'::date`` carries a cast). asyncpg
binds on the server, where a bare ``$1`` is typed from its context and ``SELECT $1`` is
``text``. So each placeholder gets the cast its literal would have had: ``%s`` becomes
``$1::int4`` for an ``int``, ``$2::timestamptz`` for an aware datetime, plain ``$3`` for a
string (the server infers, as it does for a quoted literal). The rewritten SQL is cached per
(SQL, casts).

Results: asyncpg's codecs already give what psycopg gives Django for most types; the
differences (uuid, inet/cidr, real, hstore, ranges, timestamptz in a non-UTC session) are
fixed by codecs set on each connection (:func:`configure_connection`) and per-column
converters (:func:`column_converters`).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import asyncpg
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.json import Json, Jsonb
from psycopg.types.numeric import Float4, Float8, Int2, Int4, Int8, IntNumeric
from psycopg.types.range import Range as PgRange

__all__ = [
    "Adapted",
    "adapt_query",
    "column_converters",
    "configure_connection",
    "literal_transformer",
    "split_placeholders",
]

_PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]+)\))?s|%%")
_INT4 = 2**31
_INT8 = 2**63

Converter = Callable[[Any], Any] | None
# A parameter adapter returns (cast, converted value).
Adapter = Callable[[Any], tuple[str, Any]]


@lru_cache(maxsize=2048)
def split_placeholders(sql: str) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Split Django SQL at its ``%s``/``%(name)s`` placeholders (``%%`` becomes ``%``).

    Returns the literal parts (one more than the placeholders) and each placeholder's name
    (``None`` for positional ones).
    """
    parts: list[str] = []
    names: list[str | None] = []
    current: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(sql):
        current.append(sql[position : match.start()])
        position = match.end()
        if match.group(0) == "%%":
            current.append("%")
            continue
        parts.append("".join(current))
        current = []
        names.append(match.group("name"))
    current.append(sql[position:])
    parts.append("".join(current))
    return tuple(parts), tuple(names)


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
    if cast:
        # Anything else psycopg can write as a literal travels as its text form.
        dumped = literal_transformer().get_dumper(value, PyFormat.TEXT).dump(value)
        return f"::text{cast}", bytes(dumped).decode() if dumped is not None else None
    return "", value


class Adapted:
    """A query ready for asyncpg: SQL with ``$n`` placeholders and the argument list."""

    __slots__ = ("args", "sql")

    def __init__(self, sql: str, args: list[Any]) -> None:
        self.sql = sql
        self.args = args


@lru_cache(maxsize=4096)
def _render(sql: str, casts: tuple[str, ...], order: tuple[int, ...] | None) -> str:
    parts, _names = split_placeholders(sql)
    out = [parts[0]]
    for index, part in enumerate(parts[1:]):
        number = order[index] if order is not None else index
        out.append(f"${number + 1}{casts[number]}")
        out.append(part)
    return "".join(out)


def adapt_query(sql: str, params: Sequence[Any] | Mapping[str, Any] | None) -> Adapted:
    """Rewrite Django SQL and parameters for asyncpg (see the module docstring).

    ``params=None`` leaves the SQL untouched (``%`` included), as psycopg does.
    """
    if params is None:
        return Adapted(sql, [])
    _parts, names = split_placeholders(sql)
    order: tuple[int, ...] | None = None
    if isinstance(params, Mapping):
        unique: dict[str, int] = {}
        for name in names:
            if name is None:
                raise TypeError("query mixes %s and %(name)s placeholders")
            unique.setdefault(name, len(unique))
        order = tuple(unique[name] for name in names)  # type: ignore[index]
        values = [params[name] for name in unique]
    else:
        if any(name is not None for name in names):
            raise TypeError("query has %(name)s placeholders but the parameters are a sequence")
        values = list(params)
        if len(values) != len(names):
            raise TypeError(
                f"the query has {len(names)} placeholders but {len(values)} parameters were passed"
            )
    casts: list[str] = []
    args: list[Any] = []
    for value in values:
        adapter = _ADAPTERS.get(type(value))
        cast, arg = adapter(value) if adapter is not None else _adapt_other(value)
        casts.append(cast)
        args.append(arg)
    return Adapted(_render(sql, tuple(casts), order), args)


# ----------------------------------------------------------------------------- results


def _uuid_encode(value: Any) -> bytes:
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).bytes


def _uuid_decode(data: bytes) -> uuid.UUID:
    return uuid.UUID(bytes=data)


async def configure_connection(connection: asyncpg.Connection) -> None:
    """Set the codecs that make asyncpg's results match Django's psycopg setup."""
    await connection.set_type_codec(
        "uuid", schema="pg_catalog", encoder=_uuid_encode, decoder=_uuid_decode, format="binary"
    )
    for name in ("inet", "cidr"):
        # Django loads network addresses as strings, not ipaddress objects.
        await connection.set_type_codec(
            name, schema="pg_catalog", encoder=str, decoder=str, format="text"
        )
    # psycopg reads real as text ("0.1"), asyncpg as a binary float32 (0.10000000149...).
    await connection.set_type_codec(
        "float4", schema="pg_catalog", encoder=repr, decoder=float, format="text"
    )
    schemas = await connection.fetch(
        "SELECT n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE t.typname = 'hstore'"
    )
    for row in schemas:
        await connection.set_builtin_type_codec(
            "hstore", schema=row[0], codec_name="pg_contrib.hstore"
        )


def _range(value: Any) -> Any:
    if value is None:
        return None
    if value.isempty:
        return PgRange(empty=True)
    bounds = ("[" if value.lower_inc else "(") + ("]" if value.upper_inc else ")")
    return PgRange(value.lower, value.upper, bounds)


_TIMESTAMPTZ_OID = 1184


def column_converters(
    attributes: Sequence[Any], tzinfo: datetime.tzinfo | None
) -> tuple[Converter, ...] | None:
    """Per-column converters for a statement's result, or ``None`` when none is needed.

    ``tzinfo`` is the wrapper's ``timezone``: asyncpg gives UTC datetimes, psycopg gives
    them in that zone, or naive in ``TIME_ZONE`` when it is ``None`` (``USE_TZ = False``).
    """
    converters: list[Converter] = []
    needed = False
    for attribute in attributes:
        kind = attribute.type.kind
        converter: Converter = None
        if kind == "range":
            converter = _range
        elif attribute.type.oid == _TIMESTAMPTZ_OID and tzinfo is not datetime.UTC:
            converter = _timestamptz(tzinfo)
        needed = needed or converter is not None
        converters.append(converter)
    return tuple(converters) if needed else None


def _timestamptz(tzinfo: datetime.tzinfo | None) -> Callable[[Any], Any]:
    from django.utils import timezone

    def convert(value: Any) -> Any:
        if value is None or not isinstance(value, datetime.datetime):
            return value
        if tzinfo is None:
            return value.astimezone(timezone.get_default_timezone()).replace(tzinfo=None)
        return value.astimezone(tzinfo)

    return convert
