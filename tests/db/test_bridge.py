"""run_in_db / database_sync_to_async on SQLite, PostgreSQL and MariaDB: parallelism and
connection hygiene, counted on the server."""

import asyncio
import contextvars
import threading
import time

import pytest
from django.db import connection, connections
from django.test import override_settings

from django_asyncx.db import database_sync_to_async, run_in_db
from django_asyncx.exceptions import ConfigurationError
from django_asyncx.executors import ashutdown_executors, get_executor, shutdown_executors
from tests.support.db_aliases import (
    on_databases,
    server_connections,
    settled_connections,
    stable_connections,
)
from tests.support.testapp.models import Author

tenant = contextvars.ContextVar("tenant", default="")


@pytest.fixture(autouse=True)
def fresh_pools():
    shutdown_executors()
    yield
    shutdown_executors()


@pytest.fixture
def conn_max_age(alias):
    """Set CONN_MAX_AGE for the pool threads' connections of ``alias``; restore after."""
    entry = connections.settings[alias]
    saved = entry["CONN_MAX_AGE"]

    def set_age(seconds: int) -> None:
        entry["CONN_MAX_AGE"] = seconds

    yield set_age
    entry["CONN_MAX_AGE"] = saved


def backend_id(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        if connections[alias].vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
        else:
            cursor.execute("SELECT CONNECTION_ID()")
        return int(cursor.fetchone()[0])


@on_databases()
async def test_orm_calls_run_on_pool_threads_and_see_the_callers_context(alias):
    tenant.set("acme")

    def create(name: str) -> tuple[int, str, str]:
        author = Author.objects.using(alias).create(name=name)
        return author.pk, threading.current_thread().name, tenant.get()

    pk, thread, seen = await run_in_db(create, "Ann", using=alias)
    assert thread.startswith("asyncx-db-")
    assert seen == "acme"
    got = await run_in_db(lambda: Author.objects.using(alias).get(pk=pk).name, using=alias)
    assert got == "Ann"


@on_databases()
async def test_decorator_bare_and_called(alias):
    @database_sync_to_async
    def count() -> int:
        return Author.objects.using(alias).count()

    @database_sync_to_async(using=alias)
    def create(name: str) -> Author:
        return Author.objects.using(alias).create(name=name)

    await create("a")
    await create(name="b")
    assert await count() == 2
    assert count.__name__ == "count"


def test_coroutine_functions_are_refused_at_decoration_time():
    async def load() -> None: ...

    with pytest.raises(TypeError, match="coroutine function 'test_coroutine"):
        database_sync_to_async(load)
    with pytest.raises(TypeError, match="coroutine function"):
        database_sync_to_async(using="default")(load)


async def test_run_in_db_refuses_a_coroutine_function_and_an_unknown_alias():
    async def load() -> None: ...

    with pytest.raises(TypeError, match="await it directly"):
        await run_in_db(load)
    with pytest.raises(ConfigurationError, match=r"using='nope' is not a database alias"):
        await run_in_db(print, using="nope")


@pytest.mark.django_db(transaction=True, databases=["postgres"])
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 8}}})
async def test_eight_sleeps_run_in_parallel_on_a_pool_of_eight():
    lock = threading.Lock()
    running = peak = 0
    pids = set()

    def sleep() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        with connections["postgres"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid(), pg_sleep(0.2)")
            pids.add(cursor.fetchone()[0])
        with lock:
            running -= 1

    await run_in_db(lambda: None)  # start-up cost out of the measurement
    started = time.monotonic()
    await asyncio.gather(*(run_in_db(sleep, using="postgres") for _ in range(8)))
    elapsed = time.monotonic() - started
    assert peak == 8
    assert len(pids) == 8  # eight server sessions, one per thread
    # Serial would take 8 x 0.2 s; the bound leaves room for a loaded machine.
    assert elapsed < 4 * 0.2


@on_databases("postgres", "mariadb")
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 4}}})
async def test_without_conn_max_age_no_connection_outlives_its_call(alias, conn_max_age):
    conn_max_age(0)
    baseline = stable_connections(alias)
    open_during = []

    def query() -> None:
        backend_id(alias)
        open_during.append(True)

    await asyncio.gather(*(run_in_db(query, using=alias) for _ in range(40)))
    assert len(open_during) == 40
    assert settled_connections(alias, baseline) == baseline


@on_databases("postgres", "mariadb")
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 4}}})
async def test_with_conn_max_age_connections_are_reused_and_closed_at_shutdown(alias, conn_max_age):
    conn_max_age(60)
    baseline = stable_connections(alias)
    ids = await asyncio.gather(*(run_in_db(backend_id, alias, using=alias) for _ in range(60)))
    # At most one session per pool thread, however many calls.
    assert 1 <= len(set(ids)) <= 4
    assert server_connections(alias) - baseline == len(set(ids))
    await ashutdown_executors()
    assert settled_connections(alias, baseline) == baseline


@on_databases("postgres", "mariadb")
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 8}}})
async def test_many_concurrent_callers_hold_at_most_the_pool_size_of_connections(
    alias, conn_max_age
):
    conn_max_age(60)
    baseline = stable_connections(alias)
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, await asyncio.to_thread(server_connections, alias) - baseline)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    try:
        await asyncio.gather(*(run_in_db(backend_id, alias, using=alias) for _ in range(500)))
    finally:
        watcher.cancel()
    held = server_connections(alias) - baseline  # CONN_MAX_AGE keeps them open until shutdown
    assert 1 <= held <= 8
    assert peak <= 8
    assert get_executor("db").stats().threads <= 8
    await ashutdown_executors()
    assert settled_connections(alias, baseline) == baseline


@on_databases("postgres", "mariadb")
async def test_a_broken_connection_is_replaced_not_reused(alias, conn_max_age):
    conn_max_age(60)
    await run_in_db(backend_id, alias, using=alias)  # one pool thread, one session
    first = await run_in_db(backend_id, alias, using=alias)

    def kill_own_session() -> None:
        with connections[alias].cursor() as cursor:
            if connections[alias].vendor == "postgresql":
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            else:
                cursor.execute(f"KILL {backend_id(alias)}")

    with pytest.raises(Exception):  # noqa: B017, PT011 - driver-specific disconnect error
        await run_in_db(kill_own_session, using=alias)
    assert await run_in_db(backend_id, alias, using=alias) != first


async def test_the_loop_thread_never_opens_a_connection():
    await run_in_db(lambda: None)
    assert connection.connection is None


def end_session_from_outside(alias: str, session: int) -> None:
    """Kill one server session through another connection, as a restart or a proxy would."""
    entry = connections[alias].settings_dict
    if connections[alias].vendor == "postgresql":
        import psycopg

        with psycopg.connect(
            host=entry["HOST"], port=entry["PORT"] or None, user=entry["USER"], dbname="postgres"
        ) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", [session])
    else:
        import MySQLdb

        conn = MySQLdb.connect(
            host=entry["HOST"], port=int(entry["PORT"] or 3306), user=entry["USER"]
        )
        try:
            conn.cursor().execute(f"KILL {int(session)}")
        finally:
            conn.close()


@on_databases("postgres", "mariadb")
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 1}}})
async def test_health_checks_replace_a_connection_the_server_dropped(alias, conn_max_age):
    conn_max_age(60)
    entry = connections.settings[alias]
    saved, entry["CONN_HEALTH_CHECKS"] = entry["CONN_HEALTH_CHECKS"], True
    try:
        first = await run_in_db(backend_id, alias, using=alias)
        await asyncio.to_thread(end_session_from_outside, alias, first)
        # The pool thread's connection is dead; the check before the next query notices.
        second = await run_in_db(backend_id, alias, using=alias)
        assert second != first
        assert await run_in_db(backend_id, alias, using=alias) == second  # kept, reused
    finally:
        entry["CONN_HEALTH_CHECKS"] = saved


@pytest.mark.django_db(transaction=True, databases=["postgres"])
@override_settings(ASYNCX={"EXECUTORS": {"db": {"max_workers": 8}}})
async def test_psycopg_pool_bounds_connections_and_threads_give_them_back():
    entry = connections.settings["postgres"]
    options = entry.setdefault("OPTIONS", {})
    options["pool"] = {"min_size": 1, "max_size": 3, "timeout": 30}
    try:
        baseline = stable_connections("postgres")
        ids = await asyncio.gather(
            *(run_in_db(backend_id, "postgres", using="postgres") for _ in range(60))
        )
        # Eight threads share the pool's three connections: each call returned its own.
        assert len(set(ids)) <= 3
        assert server_connections("postgres") - baseline <= 3
    finally:
        await asyncio.to_thread(connections["postgres"].close_pool)
        del options["pool"]
    assert settled_connections("postgres", baseline) == baseline


@pytest.mark.django_db(transaction=True)
async def test_decorated_methods_work_as_in_channels_consumers():
    class Consumer:
        prefix = "user-"

        @database_sync_to_async
        def create(self, name: str) -> str:
            return Author.objects.create(name=self.prefix + name).name

    assert await Consumer().create("ann") == "user-ann"
