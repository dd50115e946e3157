"""asyncpg's results as psycopg gives them to Django.

asyncpg's codecs already give what psycopg gives Django for most types; the differences
(uuid, inet/cidr, real, hstore, ranges, timestamptz in a non-UTC session) are fixed by
codecs set on each connection (:func:`configure_connection`) and per-column converters
(:func:`column_converters`).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import psycopg
from psycopg.types.range import Range as PgRange

__all__ = ["Converter", "column_converters", "configure_connection", "type_display"]

Converter = Callable[[Any], Any] | None


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


_TIMESTAMPTZ_OID = 1184
_CHAR_OID = 18  # "char", which asyncpg reads as bytes
_CHAR_ARRAY_OID = 1002


def _char(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _char_array(value: Any) -> Any:
    if isinstance(value, list):
        return [_char_array(item) for item in value]
    return _char(value)


def _needs_walk(attribute_type: Any) -> bool:
    """Whether an array's elements need converting: ranges, and timestamptz."""
    element: str = attribute_type.name.removesuffix("[]")
    return element == "timestamptz" or element.endswith("range")


def column_converters(
    attributes: Sequence[Any], tzinfo: datetime.tzinfo | None
) -> tuple[Converter, ...] | None:
    """Per-column converters for a statement's result, or ``None`` when none is needed.

    ``tzinfo`` is the wrapper's ``timezone``: asyncpg gives UTC datetimes, psycopg gives
    them in that zone, or naive in ``TIME_ZONE`` when it is ``None`` (``USE_TZ = False``),
    also inside arrays and range bounds. asyncpg's ranges become psycopg's ``Range`` and its
    ``"char"`` bytes become ``str``.
    """
    converters: list[Converter] = []
    needed = False
    for attribute in attributes:
        attribute_type = attribute.type
        converter: Converter = None
        if attribute_type.oid == _CHAR_OID:
            converter = _char
        elif attribute_type.oid == _CHAR_ARRAY_OID:
            converter = _char_array
        elif attribute_type.kind == "range" or (
            attribute_type.kind == "array" and _needs_walk(attribute_type)
        ):
            converter = _walker(tzinfo)
        elif attribute_type.oid == _TIMESTAMPTZ_OID and tzinfo is not datetime.UTC:
            converter = _timestamptz(tzinfo)
        needed = needed or converter is not None
        converters.append(converter)
    return tuple(converters) if needed else None


def _aware(tzinfo: datetime.tzinfo | None) -> Callable[[datetime.datetime], datetime.datetime]:
    if tzinfo is None:
        from django.utils import timezone

        default = timezone.get_default_timezone()
        return lambda value: value.astimezone(default).replace(tzinfo=None)
    return lambda value: value.astimezone(tzinfo)


def _timestamptz(tzinfo: datetime.tzinfo | None) -> Callable[[Any], Any]:
    aware = _aware(tzinfo)

    def convert(value: Any) -> Any:
        if value is None or not isinstance(value, datetime.datetime):
            return value
        return aware(value)

    return convert


def _walker(tzinfo: datetime.tzinfo | None) -> Callable[[Any], Any]:
    """A converter for arrays and ranges: lists and range bounds, recursively.

    Only timestamptz values come as aware datetimes, so converting every aware datetime
    found is exact.
    """
    aware = _aware(tzinfo) if tzinfo is not datetime.UTC else None

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [convert(item) for item in value]
        if isinstance(value, asyncpg.Range):
            if value.isempty:
                return PgRange(empty=True)
            bounds = ("[" if value.lower_inc else "(") + ("]" if value.upper_inc else ")")
            return PgRange(convert(value.lower), convert(value.upper), bounds)
        if aware is not None and isinstance(value, datetime.datetime) and value.tzinfo:
            return aware(value)
        return value

    return convert


def type_display(oid: int, fmod: int = -1) -> str:
    """A type's name as psycopg's ``Column.type_display`` writes it, else its oid."""
    info = psycopg.adapters.types.get(oid)
    return str(oid) if info is None else str(info.get_type_display(oid=oid, fmod=fmod))
