"""Prepared statements: the engine's own LRU per connection on asyncpg's public API."""

import sys

import asyncpg
import pytest
from django.db import connections

from django_asyncx.db.backends.postgresql.native import run_native
from tests.support.nativeapp.models import Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


def _prepared_on_server() -> int:
    with connections[DB].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return int(cursor.fetchone()[0])


async def test_the_cache_holds_at_most_its_size_on_the_server(native_options_set):
    native_options_set(native_statement_cache_size=3)

    def run_many() -> tuple[int, list[int]]:
        results = []
        with connections[DB].cursor() as cursor:
            for n in range(10):
                cursor.execute(f"SELECT %s::int + {n}", [1])
                results.append(cursor.fetchone()[0])
        return _prepared_on_server(), results

    on_server, results = await run_native(run_many, using=DB)
    assert results == [1 + n for n in range(10)]
    # Three kept, plus at most one dropped statement asyncpg closes with its next prepare.
    assert 1 <= on_server <= 4


async def test_a_cached_statement_whose_result_type_changed_is_prepared_again():
    def setup_and_read() -> list[tuple]:
        with connections[DB].cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS asyncx_shape")
            cursor.execute("CREATE TABLE asyncx_shape (a int)")
            cursor.execute("INSERT INTO asyncx_shape VALUES (%s)", [1])
            cursor.execute("SELECT * FROM asyncx_shape WHERE a = %s", [1])
            first = cursor.fetchall()
            cursor.execute("ALTER TABLE asyncx_shape ADD COLUMN b text DEFAULT 'x'")
            cursor.execute("SELECT * FROM asyncx_shape WHERE a = %s", [1])
            second = cursor.fetchall()
            cursor.execute("DROP TABLE asyncx_shape")
            return [first, second]

    first, second = await run_native(setup_and_read, using=DB)
    assert first == [(1,)]
    assert second == [(1, "x")]


async def test_queries_run_without_asyncpg_private_execute(monkeypatch):
    await run_native(lambda: Tag.objects.using(DB).exists(), using=DB)  # connected

    original = asyncpg.Connection._Connection__execute
    callers: list[str] = []

    def private(*args, **kwargs):
        # asyncpg calls it itself (type introspection): only the engine's calls count.
        callers.append(sys._getframe(1).f_globals["__name__"])
        return original(*args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "_Connection__execute", private)

    def orm() -> tuple:
        Tag.objects.using(DB).bulk_create([Tag(name="a"), Tag(name="b")])
        tag = Tag.objects.using(DB).create(name="c")
        with connections[DB].cursor() as cursor:
            cursor.executemany("INSERT INTO nativeapp_tag (name) VALUES (%s)", [["d"], ["e"]])
            # A string where the server wants an int: retried as $1::text::int4.
            cursor.execute("SELECT name FROM nativeapp_tag WHERE id = %s", [str(tag.pk)])
            by_text = cursor.fetchone()[0]
        return (
            sorted(Tag.objects.using(DB).values_list("name", flat=True)),
            by_text,
            Tag.objects.using(DB).filter(name="c").update(name="C"),
        )

    names, by_text, updated = await run_native(orm, using=DB)
    assert names == ["a", "b", "c", "d", "e"]
    assert by_text == "c"
    assert updated == 1
    assert [name for name in callers if not name.startswith("asyncpg")] == []
