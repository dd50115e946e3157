"""Queries run on the native path exactly as Django's psycopg setup runs them.

Differential: the same SQL and parameters run on the psycopg path and on the native path
of one database (:func:`tests.support.differential.both`), and the answers must be equal,
errors included (class and first line).
"""

import datetime
import decimal

import pytest
from django.db import OperationalError, connections, transaction
from django.db.models import CharField, Count, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat

from django_asyncx.db.backends.postgresql.native import run_native
from tests.support.differential import NATIVE, both, raw
from tests.support.nativeapp.models import Author, Book, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


async def test_executemany_casts_each_row_from_its_own_values():
    def fn():
        with connections[NATIVE].cursor() as cursor:
            cursor.executemany(
                "INSERT INTO nativeapp_alltypes (char, decimal, floating) VALUES (%s, %s, %s)",
                [["m", 1, 1], ["m", 1.5, 3.9], ["m", decimal.Decimal("2.75"), 2.5], ["m", 2, 7]],
            )
            cursor.execute("SELECT decimal, floating FROM nativeapp_alltypes ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("DELETE FROM nativeapp_alltypes")
            return rows

    expected, got = await both(fn)
    assert got == expected
    assert [row[0] for row in got] == [1, decimal.Decimal("1.5"), decimal.Decimal("2.75"), 2]


async def test_executemany_of_rows_with_none_and_values():
    def fn():
        with connections[NATIVE].cursor() as cursor:
            cursor.executemany(
                "INSERT INTO nativeapp_tag (name) VALUES (coalesce(%s, 'none') || %s)",
                [[None, "a"], ["x", "b"], [None, "c"]],
            )
            cursor.execute("SELECT name FROM nativeapp_tag ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("DELETE FROM nativeapp_tag")
            return rows

    expected, got = await both(fn)
    assert got == expected == [("nonea",), ("xb",), ("nonec",)]


async def test_dollar_n_inside_a_string_literal_is_left_alone():
    expected, got = await both(raw("SELECT '$1' WHERE 5 = %s", ["5"]))
    assert got == expected == [("$1",)]


async def test_dollar_n_literal_in_raw_sql_and_extra():
    def fn():
        tag = Tag.objects.using(NATIVE).create(name="t")
        annotated = list(
            Tag.objects.using(NATIVE)
            .annotate(lit=RawSQL("'$1'", [], output_field=CharField()))
            .extra(where=["id = %s"], params=[str(tag.pk)])
            .values_list("lit", flat=True)
        )
        extra = list(
            Tag.objects.using(NATIVE)
            .extra(select={"lit": "'cost: $1'"}, where=["id = %s"], params=[str(tag.pk)])
            .values_list("lit", flat=True)
        )
        Tag.objects.using(NATIVE).all().delete()
        return annotated, extra

    expected, got = await both(fn)
    assert got == expected == (["$1"], ["cost: $1"])


async def test_a_string_where_the_server_wants_an_int_on_a_server_side_cursor():
    def fn():
        Tag.objects.using(NATIVE).create(name="t")
        names = [
            tag.name
            for tag in Tag.objects.using(NATIVE)
            .extra(select={"lit": "'$1'"}, where=["id > %s"], params=["0"])
            .iterator(chunk_size=10)
        ]
        Tag.objects.using(NATIVE).all().delete()
        return names

    expected, got = await both(fn)
    assert got == expected == ["t"]


async def test_a_nul_byte_is_refused_and_the_transaction_goes_on():
    def fn():
        with transaction.atomic(using=NATIVE), connections[NATIVE].cursor() as cursor:
            try:
                cursor.execute("INSERT INTO nativeapp_tag (name) VALUES (%s)", ["a\x00b"])
            except Exception as exc:
                first = (type(exc).__name__, str(exc))
            cursor.execute("SELECT 1")
            second = cursor.fetchone()
            transaction.set_rollback(True, using=NATIVE)
        return first, second

    expected, got = await both(fn)
    assert got == expected
    assert got[0] == ("DataError", "PostgreSQL text fields cannot contain NUL (0x00) bytes")


async def test_more_than_32767_parameters():
    def fn():
        return (
            Tag.objects.using(NATIVE).filter(pk__in=range(33000)).count(),
            len(Tag.objects.using(NATIVE).in_bulk(list(range(33000)))),
        )

    expected, got = await both(fn)
    assert got == expected == (0, 0)


async def test_bulk_create_of_more_than_32767_values():
    def fn():
        Tag.objects.using(NATIVE).bulk_create([Tag(name=f"t{i}") for i in range(33000)])
        names = list(Tag.objects.using(NATIVE).values_list("name", flat=True)[32998:33001])
        Tag.objects.using(NATIVE).all().delete()
        return names

    expected, got = await both(fn)
    assert got == expected == ["t32998", "t32999"]


async def test_same_parameter_in_select_and_group_by():
    def fn():
        Tag.objects.using(NATIVE).create(name="x")
        rows = list(
            Tag.objects.using(NATIVE)
            .annotate(label=Concat("name", Value("-suffix"), output_field=CharField()))
            .values("label")
            .annotate(n=Count("id"))
            .values_list("label", "n")
        )
        Tag.objects.using(NATIVE).all().delete()
        return rows

    expected, got = await both(fn)
    assert got == expected == [("x-suffix", 1)]


@pytest.mark.parametrize(
    "params", [["ab", "ab"], [2, 2], [decimal.Decimal("1.5"), decimal.Decimal("1.5")]]
)
async def test_same_parameter_in_select_and_group_by_raw(params):
    sql = (
        "SELECT length(%s::text) + pages AS x FROM nativeapp_book GROUP BY length(%s::text) + pages"
    )
    if not isinstance(params[0], str):
        sql = "SELECT %s + pages AS x FROM nativeapp_book GROUP BY %s + pages"
    expected, got = await both(raw(sql, params))
    assert got == expected


async def test_distinct_with_order_by_a_parameterised_expression():
    def fn():
        author = Author.objects.using(NATIVE).create(name="a")
        Book.objects.using(NATIVE).create(title="b", author=author)
        rows = list(
            Book.objects.using(NATIVE)
            .order_by(Coalesce("title", Value("")))
            .distinct()
            .values_list("title", flat=True)
        )
        Book.objects.using(NATIVE).all().delete()
        Author.objects.using(NATIVE).all().delete()
        return rows

    expected, got = await both(fn)
    assert got == expected == ["b"]


async def test_a_script_of_several_statements_without_parameters():
    expected, got = await both(raw("UPDATE nativeapp_tag SET name = name; SELECT 1"))
    assert got == expected


async def test_a_script_of_several_statements_with_parameters():
    sql = (
        "INSERT INTO nativeapp_tag (name) VALUES (%s); INSERT INTO nativeapp_tag (name) VALUES (%s)"
    )

    def fn():
        with connections[NATIVE].cursor() as cursor:
            cursor.execute(sql, ["one", "two; -- not a comment"])
            cursor.execute("SELECT name FROM nativeapp_tag ORDER BY id")
            rows = cursor.fetchall()
            cursor.execute("DELETE FROM nativeapp_tag")
            return rows

    expected, got = await both(fn)
    assert got == expected == [("one",), ("two; -- not a comment",)]


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT %s IS NULL", [None]),
        ("SELECT %s IS NULL, %s", [None, 1]),
        ("SELECT 1 /* %s */", [1]),
        ("SELECT /* %s */ %s", [1, 2]),
        ("SELECT 1 -- %s\n, %s", ["a", 2]),
        ("SELECT $$ %s $$", ["x"]),
        ("SELECT $tag$ it's %s $tag$, %s", ["x", 1]),
        ("SELECT '%s', %s", ["x", 1]),
        ("SELECT E'\\' %s', %s", ["x", 1]),
        ('SELECT 1 AS "%s"', ["x"]),
        ("SELECT %b, %t", [1, 2]),
        ("SELECT %s", [[1, 2]]),
        ("SELECT 1 = ANY(%s)", [[1, 2]]),
        ("SELECT %s", [[datetime.date(2024, 1, 1)]]),
        ("SELECT %(a)s, %(a)s, %(b)s", {"a": 1, "b": "x"}),
        ("SELECT %(a)s IS NULL, %(b)s", {"a": None, "b": 2}),
        ("SELECT %s::int", ["5"]),
        ("SELECT 100 %% 7, %s", [1]),
        ("SELECT 1", []),
        ("SELECT 1", {}),
    ],
)
async def test_placeholders_psycopg_accepts(sql, params):
    expected, got = await both(raw(sql, params))
    assert got == expected


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("", None),
        ("", []),
        ("  ", None),
        ("SELECT %s", {1}),
        ("SELECT %s", "a"),
        ("SELECT %s, %s", [1]),
        ("SELECT %(a)s", [1]),
        ("SELECT %s", {"a": 1}),
        ("SELECT %(a)s", {"b": 1}),
        ("SELECT %x", [1]),
        ("SELECT % 2", [1]),
        ("SELECT %(a", {"a": 1}),
        ("SELECT %s, %(a)s", [1, 2]),
    ],
)
async def test_misuse_raises_what_psycopg_raises(sql, params):
    expected, got = await both(raw(sql, params))
    assert got == expected


async def test_a_failed_placeholder_check_leaves_the_transaction_usable():
    expected, got = await both(raw("SELECT %s, %s", [1], then="SELECT 2"))
    assert got == expected
    assert got[0][0] == "ProgrammingError"


async def test_an_argument_count_asyncpg_refuses_does_not_break_the_connection():
    # "$1" typed by hand is not a placeholder: asyncpg refuses the missing argument before
    # sending anything, so the connection stays in the pool.
    def fn():
        with connections[NATIVE].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            before = cursor.fetchone()[0]
            with pytest.raises(OperationalError, match="the server expects 1 argument"):
                cursor.execute("SELECT $1", [])
        assert connections[NATIVE].connection is not None
        assert not connections[NATIVE].connection.closed
        with connections[NATIVE].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0] == before

    assert await run_native(fn, using=NATIVE)
