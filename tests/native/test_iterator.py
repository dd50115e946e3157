"""``native_iterator()`` (and ``aiterator()`` on the native path) never strands a connection:
the last chunk gives it back, and the open streams of one task share one connection."""

import asyncio
import contextlib
import gc

import pytest
from asgiref.sync import sync_to_async

from django_asyncx.db.backends.postgresql.native import native_iterator, run_native
from django_asyncx.db.backends.postgresql.pool import get_pool
from django_asyncx.exceptions import PoolTimeoutError
from tests.support.db_aliases import server_connections
from tests.support.nativeapp.models import Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


async def tags(count: int) -> None:
    await Tag.objects.using(DB).abulk_create(Tag(name=f"t{i:03}") for i in range(count))


def names(count: int) -> list[str]:
    return [f"t{i:03}" for i in range(count)]


async def test_the_last_chunk_gives_the_connection_back_before_its_rows_are_yielded():
    await tags(30)
    pool = await get_pool(DB)
    held = []
    for _ in range(pool.options.max_size + 2):
        rows = native_iterator(Tag.objects.using(DB).all(), chunk_size=100)
        async for _tag in rows:
            break
        held.append(rows)  # kept alive: nothing but the stream itself can give it back
        assert pool.free == pool.size
    assert pool.iterators == 0
    stream = native_iterator(Tag.objects.using(DB).all(), chunk_size=10)
    assert [tag.name async for tag in stream] == names(30)  # 10 + 10 + 10 + an empty chunk
    assert pool.free == pool.size


async def test_held_streams_of_one_task_share_one_connection(native_options_set):
    native_options_set(native_max_size=2)
    await tags(50)
    pool = await get_pool(DB)
    before = await sync_to_async(server_connections)(DB)
    held = []
    for _ in range(6):  # more streams than the pool has connections
        rows = native_iterator(Tag.objects.using(DB).all(), chunk_size=10)
        async for _tag in rows:
            break
        held.append(rows)
    assert pool.iterators == 1
    assert await run_native(lambda: Tag.objects.using(DB).count(), using=DB) == 50
    assert pool.size == 2  # one for the six streams, one for the count
    assert await sync_to_async(server_connections)(DB) - before <= 2
    for rows in held:
        await rows.aclose()
    assert pool.iterators == 0
    assert pool.free == pool.size


async def test_interleaved_streams_of_one_task_each_read_their_own_cursor():
    await tags(25)
    pool = await get_pool(DB)
    queries = [Tag.objects.using(DB).order_by("id"), Tag.objects.using(DB).order_by("-id")]
    streams = [native_iterator(query, chunk_size=4) for query in queries]
    seen: list[list[str]] = [[], []]
    for _ in range(25):
        for index, stream in enumerate(streams):
            seen[index].append((await anext(stream)).name)
    assert pool.size == 1
    assert seen == [names(25), names(25)[::-1]]
    for stream in streams:
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
    assert pool.iterators == 0
    assert pool.free == pool.size == 1


async def test_streams_of_other_tasks_get_their_own_connection():
    await tags(40)

    async def read(order: str) -> list[str]:
        stream = native_iterator(Tag.objects.using(DB).order_by(order), chunk_size=3)
        return [tag.name async for tag in stream]

    forward, backward = await asyncio.gather(read("id"), read("-id"))
    assert forward == names(40)
    assert backward == names(40)[::-1]
    pool = await get_pool(DB)
    assert pool.iterators == 0
    assert pool.free == pool.size


async def test_a_dropped_stream_is_closed_without_disturbing_its_task_s_other_streams():
    await tags(30)
    pool = await get_pool(DB)
    kept = native_iterator(Tag.objects.using(DB).order_by("id"), chunk_size=5)
    dropped = native_iterator(Tag.objects.using(DB).order_by("id"), chunk_size=5)
    assert (await anext(kept)).name == "t000"
    assert (await anext(dropped)).name == "t000"
    del dropped
    gc.collect()  # asyncio's finalizer closes it in a task of its own
    rest = [tag.name async for tag in kept]
    assert rest == names(30)[1:]
    async with asyncio.timeout(10):
        while pool.iterators:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert pool.free == pool.size


async def test_aclosing_returns_the_connection_of_a_stream_left_early():
    await tags(30)
    pool = await get_pool(DB)
    async with contextlib.aclosing(Tag.objects.using(DB).aiterator(chunk_size=10)) as rows:
        async for _tag in rows:
            break
        assert pool.iterators == 1
    assert pool.iterators == 0
    assert pool.free == pool.size


async def test_pool_timeout_says_how_many_connections_open_streams_hold(native_options_set):
    native_options_set(native_max_size=1, native_acquire_timeout=0.2)
    await tags(30)
    rows = native_iterator(Tag.objects.using(DB).all(), chunk_size=10)
    async for _tag in rows:
        break

    async def count() -> int:  # another task: it cannot use this task's stream connection
        return await run_native(lambda: Tag.objects.using(DB).count(), using=DB)

    with pytest.raises(PoolTimeoutError, match="1 of them held by open aiterator"):
        await asyncio.create_task(count())
    await rows.aclose()
    assert await asyncio.create_task(count()) == 30
