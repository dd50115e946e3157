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
from psycopg.types.range import Range as PgRange

__all__ = ["Converter", "column_converters", "configure_connection"]

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
