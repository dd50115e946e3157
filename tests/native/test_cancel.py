"""Cancellation and faults on the native path: the server stops the query, the connection
comes back clean or is dropped, and nothing leaks (counted in pg_stat_activity)."""

import asyncio
import random

import asyncpg
import pytest
from django.db import OperationalError, connections

from django_asyncx.db.backends.postgresql.native import native_atomic, run_native
from django_asyncx.db.backends.postgresql.pool import get_pool
from tests.support.nativeapp.models import Author, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"
POLLS = 200  # x 25 ms: a bound far above what cancellation needs, far below pg_sleep(60)


def run(fn, *args):
    return run_native(fn, *args, using=DB)


@pytest.fixture
async def monitor():
    """A plain asyncpg connection that watches pg_stat_activity."""
    params = connections[DB].settings_dict
    conn = await asyncpg.connect(
        database=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=int(params["PORT"]) if params["PORT"] else None,
    )
    try:
        yield conn
    finally:
        await conn.close()


async def activity(monitor, pid):
    return await monitor.fetchrow(
        "SELECT state, query, backend_xid FROM pg_stat_activity WHERE pid = $1", pid
    )


async def wait_for(predicate):
    for _ in range(POLLS):
        if await predicate():
            return True
        await asyncio.sleep(0.025)
    return False


def backend_pid():
    connections[DB].ensure_connection()
    return connections[DB].connection.info.backend_pid


async def server_connections(monitor):
    """Backends connected to the test database, other than the monitor."""
    return await monitor.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )


async def start_sleeper(monitor, *, in_transaction=False):
    pids = []

    def sleeper():
        pids.append(backend_pid())
        if in_transaction:
            Author.objects.using(DB).create(name="doomed")
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60)")

    async def body():
        if in_transaction:
            async with native_atomic(using=DB):
                await run(sleeper)
        else:
            await run(sleeper)

    task = asyncio.create_task(body())

    async def sleeping():
        if not pids:
            return False
        row = await activity(monitor, pids[0])
        return row is not None and row["state"] == "active" and "pg_sleep" in row["query"]

    assert await wait_for(sleeping)
    return task, pids[0]


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "atomic"])
async def test_cancelling_a_task_cancels_its_query_on_the_server(monitor, in_transaction):
    task, pid = await start_sleeper(monitor, in_transaction=in_transaction)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def idle():
        row = await activity(monitor, pid)
        return row is not None and row["state"] == "idle"

    # The backend is idle (not running pg_sleep, not idle in transaction) ...
    assert await wait_for(idle)
    row = await activity(monitor, pid)
    assert row["backend_xid"] is None
    # ... the connection went back to the pool, and serves the next call, clean.
    pool = await get_pool(DB)
    assert pool.free == pool.size == 1
    assert await run(backend_pid) == pid
    assert await run(lambda: connections[DB].connection.in_transaction()) is False
    assert await run(lambda: Author.objects.using(DB).count()) == 0  # "doomed" rolled back


async def test_a_timeout_cancels_the_query_too(monitor):
    pids = []

    def sleeper():
        pids.append(backend_pid())
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT pg_sleep(60)")

    async def sleeping():
        row = await activity(monitor, pids[0]) if pids else None
        return row is not None and row["state"] == "active"

    async def watch():
        assert await wait_for(sleeping)

    watcher = asyncio.create_task(watch())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1):
            await run(sleeper)
    await watcher

    async def idle():
        return (await activity(monitor, pids[0]))["state"] == "idle"

    assert await wait_for(idle)


async def test_random_cancellations_leak_nothing_and_give_no_wrong_result(monitor):
    """Many tasks, each writing two rows in a transaction and reading its own data back,
    cancelled at random moments: every finished task saw exactly its own data, every task
    left 0 or 2 rows, and the server has no more backends than the pool holds."""
    rng = random.Random(4)
    baseline = await server_connections(monitor)  # the test runner's psycopg connection
    tasks_total = 1000
    finished = []

    def work(index):
        from django.db import transaction

        with transaction.atomic(using=DB):
            Author.objects.using(DB).create(name=f"a{index}")
            Tag.objects.using(DB).create(name=f"t{index}")
            with connections[DB].cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [rng.random() * 0.004])
        return (
            Author.objects.using(DB).get(name=f"a{index}").name,
            Tag.objects.using(DB).filter(name=f"t{index}").count(),
        )

    async def one(index):
        result = await run(work, index)
        assert result == (f"a{index}", 1)
        finished.append(index)

    async def cancel_later(task):
        await asyncio.sleep(rng.random() * 0.01)
        task.cancel()

    tasks = [asyncio.create_task(one(index)) for index in range(tasks_total)]
    cancellers = [asyncio.create_task(cancel_later(task)) for task in tasks[::2]]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*cancellers)
    errors = [
        r
        for r in results
        if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
    ]
    assert errors == []
    cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
    assert cancelled > 0  # both outcomes happened
    assert finished

    pool = await get_pool(DB)
    assert pool.free == pool.size <= pool.options.max_size

    async def settled():
        return await server_connections(monitor) == baseline + pool.connected

    assert await wait_for(settled), (
        await server_connections(monitor),
        pool.connected,
        pool.size,
        await monitor.fetch(
            "SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database()"
        ),
    )
    in_transaction = await monitor.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%'"
    )
    assert in_transaction == 0
    authors = set(await run(lambda: list(Author.objects.using(DB).values_list("name", flat=True))))
    tags = set(await run(lambda: list(Tag.objects.using(DB).values_list("name", flat=True))))
    assert {f"a{i}" for i in finished} <= authors
    assert {name[1:] for name in authors} == {name[1:] for name in tags}  # 0 or 2 rows each


async def test_a_connection_killed_while_idle_is_never_handed_out_again(monitor):
    pid = await run(backend_pid)
    pool = await get_pool(DB)
    assert await monitor.fetchval("SELECT pg_terminate_backend($1)", pid)

    async def noticed():
        await asyncio.sleep(0)
        return all(w.connection is None or w.connection.closed for w in pool._free)

    assert await wait_for(noticed)
    assert await run(backend_pid) != pid
    assert pool.size == 1


async def test_a_connection_killed_mid_query_fails_that_call_only(monitor):
    task, pid = await start_sleeper(monitor)
    assert await monitor.fetchval("SELECT pg_terminate_backend($1)", pid)
    with pytest.raises(OperationalError):
        await task
    pool = await get_pool(DB)
    assert pool.size == 0  # the broken wrapper was dropped, not returned
    assert await run(lambda: Author.objects.using(DB).count()) == 0
    assert pool.size == pool.free == 1
