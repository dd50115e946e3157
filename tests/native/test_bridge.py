"""The bridge's entry points take the native path for aliases on the native engine."""

import asyncio
import functools
import threading

import pytest
from django.db import connections

from django_asyncx.db import atomic, database_sync_to_async, run_in_db
from django_asyncx.db.bridge import NATIVE, THREAD, _path
from django_asyncx.exceptions import TransactionTaskError
from tests.support.nativeapp.models import Author

pytestmark = pytest.mark.django_db(transaction=True, databases=["native", "postgres", "default"])

DB = "native"


def where():
    return type(connections[DB]).__name__, threading.get_ident()


def test_the_path_is_decided_per_alias_by_engine():
    assert _path("native") == NATIVE
    assert _path("postgres") == THREAD
    assert _path("default") == THREAD
    assert _path(None) == THREAD


async def test_run_in_db_runs_native_aliases_on_the_loop_thread():
    wrapper, thread = await run_in_db(where, using=DB)
    assert wrapper == "NativeDatabaseWrapper"
    assert thread == threading.get_ident()
    # Other aliases keep the thread path (psycopg in a pool thread).
    other = await run_in_db(
        lambda: (type(connections["postgres"]).__name__, threading.get_ident()), using="postgres"
    )
    assert other[0] == "DatabaseWrapper"
    assert other[1] != threading.get_ident()


async def test_database_sync_to_async_takes_the_native_path():
    @database_sync_to_async(using=DB)
    def create(name):
        return Author.objects.using(DB).create(name=name).name, where()[0]

    assert await create("Ann") == ("Ann", "NativeDatabaseWrapper")


async def test_atomic_on_a_native_alias_binds_one_connection_and_rolls_back():
    def pid():
        connections[DB].ensure_connection()
        return connections[DB].connection.info.backend_pid

    seen = []

    async def fail():
        async with atomic(DB):
            seen.append(await run_in_db(pid, using=DB))
            await run_in_db(lambda: Author.objects.using(DB).create(name="gone"), using=DB)
            seen.append(await run_in_db(pid, using=DB))
            seen.append(await run_in_db(lambda: connections[DB].in_atomic_block, using=DB))
            raise KeyError

    with pytest.raises(KeyError):
        await fail()
    assert seen[0] == seen[1]
    assert seen[2] is True
    assert await run_in_db(lambda: Author.objects.using(DB).count(), using=DB) == 0

    @atomic(DB)
    async def kept():
        await run_in_db(lambda: Author.objects.using(DB).create(name="kept"), using=DB)

    await kept()
    assert await run_in_db(lambda: Author.objects.using(DB).count(), using=DB) == 1


async def test_tasks_inside_a_native_block_follow_the_bridge_rules():
    started = asyncio.Event()
    release = asyncio.Event()

    async def outlives():
        started.set()
        await release.wait()
        return await run_in_db(lambda: Author.objects.using(DB).count(), using=DB)

    async def nested_elsewhere():
        async with atomic(DB):
            pass

    async with atomic(DB):
        # A task spawned in the block shares its transaction while the block lasts.
        await run_in_db(lambda: Author.objects.using(DB).create(name="in block"), using=DB)
        shared = asyncio.create_task(run_in_db(lambda: Author.objects.using(DB).count(), using=DB))
        assert await shared == 1
        with pytest.raises(TransactionTaskError):
            await asyncio.create_task(nested_elsewhere())
        late = asyncio.create_task(outlives())
        await started.wait()
    release.set()
    with pytest.raises(TransactionTaskError):
        await late


async def test_aon_commit_on_a_native_block_waits_for_the_commit():
    from django_asyncx.db import aon_commit

    ran = []

    async def notify(name):
        await asyncio.sleep(0)
        # An async hook may use the database too.
        ran.append((name, await Author.objects.using(DB).acount()))

    async with atomic(DB):
        await Author.objects.using(DB).acreate(name="Ann")
        await aon_commit(functools.partial(notify, "kept"), using=DB)
        await aon_commit(lambda: ran.append(("sync", None)), using=DB)
        assert ran == []
    assert ran == [("kept", 1), ("sync", None)]

    async def rolled_back():
        async with atomic(DB):
            await aon_commit(functools.partial(notify, "dropped"), using=DB)
            raise ValueError("roll back")

    with pytest.raises(ValueError, match="roll back"):
        await rolled_back()
    await aon_commit(functools.partial(notify, "now"), using=DB)  # no transaction: at once
    assert ran[2:] == [("now", 1)]
    assert len(ran) == 3
