"""async with atomic() on SQLite, PostgreSQL and MariaDB: commit, rollback (exception,
cancellation, savepoint), Django's a-methods inside the block, on_commit, misuse."""

import asyncio
import inspect
import threading

import pytest
from django.db import connections
from django.db import transaction as django_transaction

from django_asyncx.db import aon_commit, atomic, run_in_db
from django_asyncx.exceptions import ConfigurationError, TransactionTaskError
from django_asyncx.executors import get_executor, shutdown_executors
from tests.support.db_aliases import on_databases
from tests.support.testapp.models import Entry


@pytest.fixture(autouse=True)
def fresh_pools():
    shutdown_executors()
    yield
    shutdown_executors()


async def pool_idle() -> bool:
    """Whether every ``db`` thread is free again (a released thread frees itself shortly)."""
    async with asyncio.timeout(10):
        while (stats := get_executor("db").stats()).busy or stats.queued:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
    return True


def labels(alias: str) -> list[str]:
    return sorted(Entry.objects.using(alias).values_list("label", flat=True))


async def alabels(alias: str) -> list[str]:
    return await run_in_db(labels, alias)


def add(alias: str, label: str) -> None:
    Entry.objects.using(alias).create(label=label)


@on_databases()
async def test_block_commits_and_its_calls_share_one_thread_inside_the_transaction(alias):
    async with atomic(alias):
        await run_in_db(add, alias, "a")
        state = await run_in_db(
            lambda: (threading.current_thread().name, connections[alias].in_atomic_block)
        )
        await Entry.objects.using(alias).acreate(label="b")
        django_state = await Entry.objects.using(alias).filter(label="a").aexists()
    assert state[0].startswith("asyncx-db-")
    assert state[1] is True
    assert django_state is True
    assert await alabels(alias) == ["a", "b"]
    assert await pool_idle()  # the block's thread went back to the pool


@on_databases()
async def test_exception_rolls_back_run_in_db_and_django_a_methods(alias):
    async def work() -> None:
        async with atomic(alias):
            await run_in_db(add, alias, "a")
            await Entry.objects.using(alias).acreate(label="b")
            entry = Entry(label="c")
            await entry.asave(using=alias)
            assert await Entry.objects.using(alias).acount() == 3
            1 / 0  # noqa: B018

    with pytest.raises(ZeroDivisionError):
        await work()
    assert await alabels(alias) == []


@on_databases()
async def test_cancellation_rolls_back_and_frees_the_thread(alias):
    inside = asyncio.Event()

    async def transfer() -> None:
        async with atomic(alias):
            await Entry.objects.using(alias).acreate(label="half-done")
            inside.set()
            await asyncio.Event().wait()  # cancelled here

    task = asyncio.create_task(transfer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await alabels(alias) == []
    assert await pool_idle()


@on_databases()
async def test_cancellation_while_a_query_runs_waits_for_it_then_rolls_back(alias):
    started, release = threading.Event(), threading.Event()

    def add_then_wait() -> None:
        add(alias, "x")
        started.set()
        release.wait(10)

    async def work() -> None:
        async with atomic(alias):
            await run_in_db(add_then_wait)

    task = asyncio.create_task(work())
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # the rollback waits for the running query
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await alabels(alias) == []


@on_databases()
async def test_nested_block_is_a_savepoint(alias):
    async def inner() -> None:
        async with atomic(alias):
            await Entry.objects.using(alias).acreate(label="inner")
            raise KeyError("undo inner only")

    async with atomic(alias):
        await run_in_db(add, alias, "outer")
        with pytest.raises(KeyError):
            await inner()
        async with atomic(alias):
            await run_in_db(add, alias, "kept")
    assert await alabels(alias) == ["kept", "outer"]


@on_databases("default")
async def test_bare_decorator_uses_the_default_database(alias):
    @atomic
    async def failing() -> None:
        await run_in_db(add, "default", "bare")
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        await failing()
    assert await run_in_db(labels, "default") == []


@on_databases()
async def test_called_decorator_commits_each_call_or_rolls_it_back(alias):
    @atomic(alias)
    async def create(label: str) -> None:
        await run_in_db(add, alias, label)
        if label == "bad":
            raise RuntimeError("no")

    await create("good")
    with pytest.raises(RuntimeError):
        await create("bad")
    assert await alabels(alias) == ["good"]
    assert create.__name__ == "create"


def test_signature_is_djangos():
    def shape(function: object) -> list[tuple[str, object, object]]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.kind, p.default) for p in parameters]

    assert shape(atomic) == shape(django_transaction.atomic)


@on_databases()
async def test_takes_djangos_arguments_by_keyword(alias):
    async with atomic(using=alias, savepoint=True, durable=True):
        await run_in_db(add, alias, "kept")
    # savepoint=False: the inner failure dooms the whole transaction, as in Django.
    async with atomic(using=alias):
        await run_in_db(add, alias, "doomed")
        with pytest.raises(KeyError):
            async with atomic(using=alias, savepoint=False):
                raise KeyError("no savepoint to roll back to")
    assert await alabels(alias) == ["kept"]

    @atomic(using=alias, savepoint=False)
    async def create(label: str) -> None:
        await run_in_db(add, alias, label)

    @atomic(alias, True, False)
    async def create_positionally(label: str) -> None:
        await run_in_db(add, alias, label)

    await create("keyword")
    await create_positionally("positional")
    assert await alabels(alias) == ["kept", "keyword", "positional"]


@on_databases("default")
async def test_decorator_called_with_keywords_only_uses_the_default_database(alias):
    @atomic(savepoint=False, durable=True)
    async def create() -> None:
        await run_in_db(add, "default", "durable")

    async with atomic():
        with pytest.raises(RuntimeError, match="durable atomic block cannot be nested"):
            await create()
    await create()
    assert await run_in_db(labels, "default") == ["durable"]


@on_databases()
async def test_on_commit_callbacks_run_after_commit_in_registration_order(alias):
    order: list[str] = []

    async def notify() -> None:
        order.append(f"async sees {await Entry.objects.using(alias).acount()} rows")

    async with atomic(alias):
        await run_in_db(add, alias, "a")
        await run_in_db(django_transaction.on_commit, lambda: order.append("sync 1"), alias)
        await aon_commit(notify, using=alias)
        await aon_commit(lambda: order.append("sync 2"), using=alias)
        assert order == []
    assert order == ["sync 1", "async sees 1 rows", "sync 2"]


@on_databases()
async def test_on_commit_callbacks_are_dropped_on_rollback(alias):
    order: list[str] = []

    async def notify() -> None:
        order.append("async")

    async def register_then_fail(message: str) -> None:
        async with atomic(alias):
            await aon_commit(notify, using=alias)
            raise ValueError(message)

    async with atomic(alias):
        with pytest.raises(ValueError, match="inner"):
            await register_then_fail("inner")
        await aon_commit(lambda: order.append("outer"), using=alias)
    assert order == ["outer"]
    with pytest.raises(ValueError, match="all"):
        await register_then_fail("all")
    assert order == ["outer"]


@pytest.mark.django_db(transaction=True)
async def test_on_commit_outside_a_block_runs_at_once():
    order: list[str] = []

    async def notify() -> None:
        order.append("async")

    await aon_commit(notify)
    await aon_commit(lambda: order.append("sync"))
    assert order == ["async", "sync"]


@on_databases()
async def test_durable_block_inside_another_block_is_refused(alias):
    async with atomic(alias):
        with pytest.raises(RuntimeError, match="durable atomic block cannot be nested"):
            async with atomic(alias, durable=True):
                pass
    async with atomic(alias, durable=True):
        await run_in_db(add, alias, "durable")
    assert await alabels(alias) == ["durable"]


@on_databases()
async def test_task_outliving_its_block_gets_a_clear_error(alias):
    release = asyncio.Event()

    async def late() -> None:
        await release.wait()
        await run_in_db(add, alias, "late")

    async def late_django() -> None:
        await release.wait()
        await Entry.objects.using(alias).acreate(label="late")

    async with atomic(alias):
        tasks = [asyncio.create_task(late()), asyncio.create_task(late_django())]
    release.set()
    with pytest.raises(TransactionTaskError, match="has ended"):
        await tasks[0]
    with pytest.raises(RuntimeError, match="ThreadSensitiveContext has exited"):
        await tasks[1]
    assert await alabels(alias) == []


@on_databases()
async def test_tasks_awaited_inside_the_block_share_its_transaction(alias):
    async def work() -> None:
        async with atomic(alias):
            await asyncio.gather(*(run_in_db(add, alias, str(i)) for i in range(5)))
            await asyncio.gather(
                *(Entry.objects.using(alias).acreate(label=f"d{i}") for i in range(5))
            )
            assert await Entry.objects.using(alias).acount() == 10
            raise LookupError

    with pytest.raises(LookupError):
        await work()
    assert await alabels(alias) == []


@on_databases()
async def test_nested_block_from_another_task_is_refused(alias):
    async def savepoint() -> None:
        async with atomic(alias):
            pass

    async with atomic(alias):
        with pytest.raises(TransactionTaskError, match="other than the one holding"):
            await asyncio.create_task(savepoint())


async def test_bad_arguments():
    with pytest.raises(ConfigurationError, match=r"atomic\(using='nope'\): not a database alias"):
        async with atomic("nope"):
            pass
    with pytest.raises(TypeError, match="decorates async functions"):
        atomic(lambda: None)
    with pytest.raises(TypeError, match="database alias or None"):
        atomic(3)  # type: ignore[call-overload]


@pytest.mark.django_db(transaction=True)
async def test_waiting_for_a_thread_can_be_cancelled_without_leaking_it(settings):
    settings.ASYNCX = {"EXECUTORS": {"db": {"max_workers": 1}}}
    inside, leave = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with atomic():
            inside.set()
            await leave.wait()

    holder = asyncio.create_task(hold())
    await inside.wait()
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0.05)
    assert get_executor("db").stats().queued == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    leave.set()
    await holder
    async with atomic():  # the only thread is free again
        pass
    assert await pool_idle()
    assert get_executor("db").stats().threads == 1


@pytest.mark.django_db(transaction=True)
async def test_pools_shut_down_under_an_open_block_fail_its_calls_instead_of_hanging():
    async def write_across_a_shutdown() -> None:
        async with atomic():
            await run_in_db(add, "default", "x")
            await asyncio.to_thread(shutdown_executors)
            await run_in_db(add, "default", "y")

    with pytest.raises(RuntimeError, match="was shut down"):
        await write_across_a_shutdown()
    assert await run_in_db(labels, "default") == []


@pytest.mark.django_db(transaction=True, databases=["postgres"])
async def test_on_commit_outside_a_block_uses_the_named_database():
    order: list[str] = []
    # Only "postgres" may be used in this test: a callback registered on "default" would fail.
    await aon_commit(lambda: order.append("ran"), using="postgres")
    assert order == ["ran"]
