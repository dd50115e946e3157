"""Results, descriptions and introspection on the native path: the same as on psycopg."""

import pytest
from django.db import connections
from django.test import override_settings

from tests.support.differential import NATIVE, both, raw
from tests.support.nativeapp.models import AllTypes, Author, Book

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

ARRAYS_AND_RANGES = """
    SELECT ARRAY['2024-01-01 12:00+00'::timestamptz, NULL],
           tstzrange('2024-01-01 12:00+00', '2024-02-01 00:00+00'),
           ARRAY[int4range(1, 3), 'empty'::int4range],
           ARRAY[ARRAY[tstzrange('2024-01-01 12:00+00', NULL)]],
           daterange('2024-01-01', '2024-01-05', '[]')
"""


async def test_char_values_and_arrays_are_str():
    expected, got = await both(
        raw("""SELECT 'p'::"char", ARRAY['a', 'b']::"char"[], NULL::"char" """)
    )
    assert got == expected == [("p", ["a", "b"], None)]


async def test_a_str_bound_to_a_char_parameter():
    expected, got = await both(raw("""SELECT %s::"char" = 'a'::"char", %s::"char" """, ["a", "b"]))
    assert got == expected == [(True, "b")]


def _keys() -> list[object]:
    connection = connections[NATIVE]
    with connection.cursor() as cursor:
        table = Book._meta.db_table
        constraints = connection.introspection.get_constraints(cursor, table)
        return [
            connection.introspection.get_primary_key_columns(cursor, table),
            connection.introspection.get_relations(cursor, table),
            sorted(
                repr((info["columns"], info["primary_key"], info["foreign_key"], info["index"]))
                for info in constraints.values()
            ),
            sorted(
                t.name for t in connection.introspection.get_table_list(cursor) if t.type == "t"
            ),
        ]


async def test_introspection_keyed_on_char_catalog_columns():
    expected, got = await both(_keys)
    assert got == expected
    assert got[0] == ["id"]


async def test_arrays_and_ranges_with_use_tz():
    expected, got = await both(raw(ARRAYS_AND_RANGES))
    assert got == expected


async def test_arrays_and_ranges_without_use_tz_are_naive():
    with override_settings(USE_TZ=False, TIME_ZONE="America/Chicago"):
        expected, got = await both(raw(ARRAYS_AND_RANGES))
    assert got == expected
    assert got[0][0][0].tzinfo is None


def _in_tokyo() -> object:
    connection = connections[NATIVE]
    connection.ensure_connection()
    settings_dict = connection.settings_dict
    previous = settings_dict.get("TIME_ZONE")

    def switch(zone: str | None) -> None:
        settings_dict["TIME_ZONE"] = zone
        for name in ("timezone", "timezone_name"):
            connection.__dict__.pop(name, None)
        connection.ensure_timezone()

    switch("Asia/Tokyo")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT '2024-01-01 12:00+00'::timestamptz")
            (value,) = cursor.fetchone()
            return value, str(value.tzinfo)
    finally:
        switch(previous)


async def test_a_database_time_zone_changed_on_an_open_connection():
    expected, got = await both(_in_tokyo)
    assert got == expected
    assert got[1] == "Asia/Tokyo"


def _description() -> list[object]:
    connection = connections[NATIVE]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Book._meta.db_table} LIMIT 1")
        names = [
            # asyncpg does not give the type modifier: type_display is the bare type name.
            (column.name, column.type_code, column.type_display.split("(")[0])
            for column in cursor.description
        ]
        tables = [
            connection.introspection.get_table_description(cursor, model._meta.db_table)
            for model in (Author, Book, AllTypes)
        ]
        return [names, tables]


async def test_description_and_table_description_carry_psycopgs_sizes():
    expected, got = await both(_description)
    assert got == expected
    sizes = {info.name: info for info in got[1][1]}
    assert (sizes["title"].display_size, sizes["price"].precision, sizes["price"].scale) == (
        200,
        8,
        2,
    )
