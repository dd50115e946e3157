"""Parameter values reach the server on the native path exactly as psycopg sends them.

Differential: the same SQL and values run on the psycopg path and on the native path of one
database (:func:`tests.support.differential.both`), and the answers must be equal.
"""

import datetime
import decimal
import ipaddress
import subprocess
import sys
import textwrap
import uuid

import psycopg
import pytest
from django.db import connections
from django.db.backends.postgresql.psycopg_any import DateRange, DateTimeTZRange, NumericRange
from psycopg.types.json import Json, Jsonb
from psycopg.types.numeric import Float4, Float8, Int2, Int4, Int8, IntNumeric

from tests.support.differential import NATIVE, both, raw
from tests.support.nativeapp.models import AllTypes

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


async def test_binary_values_round_trip_byte_for_byte():
    def fn():
        out = []
        for value in (b"\x00F\xfe", memoryview(b"\x05\xfd\x00"), bytearray(b"\\x")):
            obj = AllTypes.objects.using(NATIVE).create(binary=value)
            out.append(bytes(AllTypes.objects.using(NATIVE).get(pk=obj.pk).binary))
        AllTypes.objects.using(NATIVE).all().delete()
        return out

    expected, got = await both(fn)
    assert got == expected == [b"\x00F\xfe", b"\x05\xfd\x00", b"\\x"]


def test_binary_values_are_not_escaped_in_a_process_that_never_opened_a_psycopg_connection():
    # Without a connection, libpq's PQescapeBytea() doubles backslashes until some connection
    # in the process has reported standard_conforming_strings: an ASGI worker that only uses
    # the native path must still store psycopg.Binary (every BinaryField value) unescaped.
    entry = connections[NATIVE].settings_dict
    database = {key: entry[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    script = textwrap.dedent(f"""
        import asyncio, django, psycopg
        from django.conf import settings
        settings.configure(
            DATABASES={{"default": {{"ENGINE": "django_asyncx.db.backends.postgresql",
                                     **{database!r}}}}},
            INSTALLED_APPS=["django_asyncx"],
        )
        django.setup()
        from django.db import connection
        from django_asyncx.db import run_in_db

        def work():
            with connection.cursor() as cursor:
                cursor.execute("SELECT length(%s), %s", [psycopg.Binary(b"\\x00F\\xfe")] * 2)
                length, value = cursor.fetchone()
                return length, bytes(value)

        print(asyncio.run(run_in_db(work)))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == repr((3, b"\x00F\xfe"))


async def test_psycopg_binary_parameter_matches_psycopg():
    value = psycopg.Binary(b"\x00\\F\xfe")
    expected, got = await both(raw("SELECT length(%s), %s", [value, value]))
    assert got == expected
    assert expected[0][0] == 4


# Each sample value is typed on the native path as psycopg's client-side literal is typed.
SAMPLES = [
    1,
    2**31,
    2**63,
    True,
    1.5,
    float("nan"),
    decimal.Decimal("1.50"),
    b"\x00\xff",
    datetime.date(2024, 1, 1),
    datetime.datetime(2024, 1, 1, 12),
    datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC),
    datetime.time(12, 30),
    datetime.time(12, 30, tzinfo=datetime.UTC),
    datetime.timedelta(days=1, seconds=5),
    uuid.UUID(int=7),
    Jsonb({"a": 1}),
    Json([1, "x"]),
    Int2(1),
    Int4(1),
    Int8(1),
    IntNumeric(1),
    Float4(1.5),
    Float8(1.5),
    [1, 2],
    [decimal.Decimal("1.5")],
    [datetime.date(2024, 1, 1)],
    [uuid.UUID(int=1)],
    NumericRange(decimal.Decimal("1.5"), decimal.Decimal("2.5")),
    DateRange(datetime.date(2024, 1, 1), datetime.date(2024, 2, 1)),
    DateTimeTZRange(
        datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
    ),
    ipaddress.ip_address("10.0.0.1"),
    psycopg.Binary(b"\x01"),
]


@pytest.mark.parametrize(
    "value", SAMPLES, ids=[f"{type(v).__name__}-{i}" for i, v in enumerate(SAMPLES)]
)
async def test_a_value_is_typed_as_psycopgs_literal_and_reads_back_the_same(value):
    # The value is read back as the server's text: the results are not under test here.
    expected, got = await both(raw("SELECT pg_typeof(%s)::text, (%s)::text", [value, value]))
    assert got == expected


# Untyped literals (psycopg types them 'unknown'): the server types them from the context.
UNTYPED = [
    ("SELECT %s", ["text"]),
    ("SELECT %s", [["a"]]),
    ("SELECT %s", [[]]),
    ("SELECT %s", [["a", None]]),
    ("SELECT %s", [(1, 2)]),
    ("SELECT %s::text[]", [["a", "b c"]]),
    ("SELECT 'a' = ANY(%s)", [["a", "b"]]),
    ("SELECT %s", [NumericRange(1, 5)]),
    ("SELECT %s::int4range", [NumericRange(1, 5)]),
    ("SELECT %s::daterange", [DateRange("2024-01-01", "2024-02-01")]),
    ("SELECT %s::int4range @> 3", [NumericRange("1", "5")]),
]


@pytest.mark.parametrize(("sql", "params"), UNTYPED)
async def test_an_untyped_value_is_typed_by_its_context_as_psycopgs_literal(sql, params):
    expected, got = await both(raw(sql, params))
    assert got == expected


async def test_string_bound_ranges_in_a_range_field():
    def fn():
        obj = AllTypes.objects.using(NATIVE).create(
            date_range=DateRange("2024-01-01", "2024-02-01"), int_range=NumericRange("1", "5")
        )
        found = AllTypes.objects.using(NATIVE).filter(
            date_range__contains=datetime.date(2024, 1, 5), int_range__contains=3
        )
        out = (str(obj.date_range), found.count())
        AllTypes.objects.using(NATIVE).all().delete()
        return out

    expected, got = await both(fn)
    assert got == expected == ("[2024-01-01, 2024-02-01)", 1)


async def test_a_list_of_mixed_types_is_refused_as_psycopg_refuses_it():
    expected, got = await both(raw("SELECT %s", [[1.5, 2]]))
    assert got == expected
    assert got[0] == "DataError"


async def test_unserialisable_json_raises_type_error():
    def fn():
        AllTypes.objects.using(NATIVE).create(json={"a": uuid.UUID(int=1)})

    expected, got = await both(fn)
    assert got == expected
    assert got[0] == "TypeError"


@pytest.mark.parametrize(
    "value",
    [
        datetime.date.min,
        datetime.date.max,
        DateRange(None, datetime.date.min, "()"),
        DateRange(datetime.date.min, datetime.date(2000, 1, 1)),
        [datetime.date.min],
        datetime.datetime.min,
        datetime.datetime.max.replace(tzinfo=datetime.UTC),
    ],
    ids=[
        "date.min",
        "date.max",
        "range-to-date.min",
        "range-from-date.min",
        "list",
        "datetime.min",
        "datetime.max",
    ],
)
async def test_the_first_and_last_dates_are_not_sent_as_infinity(value):
    # asyncpg encodes date.min/date.max (and datetime's) as -infinity/infinity.
    expected, got = await both(raw("SELECT %s::text", [value]))
    assert got == expected
    assert "infinity" not in str(got)
