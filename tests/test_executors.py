"""Named bounded pools: bounds, context, cancellation, stats, settings, shutdown."""

import asyncio
import contextvars
import logging
import threading

import pytest
from django.test import override_settings

from django_asyncx import executors
from django_asyncx.conf import ExecutorConfig, validate
from django_asyncx.exceptions import ConfigurationError
from django_asyncx.executors import (
    blocking,
    executor_stats,
    get_executor,
    run_in_executor,
    shutdown_executors,
)

request_id = contextvars.ContextVar("request_id", default=None)


def pool_threads() -> list[str]:
    names = ("asyncx-blocking-", "asyncx-db-")
    return [t.name for t in threading.enumerate() if t.name.startswith(names)]


async def queued(count: int) -> None:
    """Return once ``count`` calls wait in the blocking pool's queue."""
    async with asyncio.timeout(10):
        while get_executor("blocking").stats().queued < count:  # noqa: ASYNC110
            await asyncio.sleep(0.005)


@pytest.fixture(autouse=True)
def fresh_pools():
    shutdown_executors()
    yield
    shutdown_executors()


async def test_call_runs_on_a_named_pool_thread_with_the_callers_context():
    request_id.set("r-42")
    name, seen = await run_in_executor(lambda: (threading.current_thread().name, request_id.get()))
    assert name == "asyncx-blocking-1"
    assert seen == "r-42"


async def test_arguments_are_passed_through():
    assert await run_in_executor(divmod, 17, 5) == (3, 2)
    assert await run_in_executor(int, "ff", base=16) == 255


@override_settings(ASYNCX={"EXECUTORS": {"blocking": {"max_workers": 2}}})
async def test_pool_never_runs_more_calls_at_once_than_its_bound():
    lock = threading.Lock()
    running = peak = 0
    both_in = threading.Barrier(2, timeout=10)

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        both_in.wait()  # only passes if two calls really run at once
        with lock:
            running -= 1

    await asyncio.gather(*(run_in_executor(work) for _ in range(8)))
    assert peak == 2
    stats = get_executor("blocking").stats()
    assert (stats.threads, stats.completed, stats.busy, stats.queued) == (2, 8, 0, 0)


async def test_blocking_decorator_bare_and_called():
    @blocking
    def add(a: int, b: int) -> int:
        return a + b

    @blocking(executor="db")
    def where() -> str:
        return threading.current_thread().name

    assert await add(2, b=3) == 5
    assert add.__name__ == "add"
    assert (await where()).startswith("asyncx-db-")


def test_coroutine_functions_are_refused_at_decoration_time():
    async def fetch() -> None: ...

    with pytest.raises(TypeError, match=r"coroutine function.*fetch"):
        blocking(fetch)
    with pytest.raises(TypeError, match="coroutine function"):
        blocking(executor="blocking")(fetch)


async def test_run_in_executor_refuses_a_coroutine_function():
    async def fetch() -> None: ...

    with pytest.raises(TypeError, match="await it directly"):
        await run_in_executor(fetch)


async def test_unknown_executor_is_named_with_the_configured_ones():
    with pytest.raises(ConfigurationError, match=r"'reports' is not configured; configured: "):
        await run_in_executor(print, executor="reports")


@override_settings(ASYNCX={"EXECUTORS": {"blocking": {"max_workers": 1}}})
async def test_cancelled_queued_call_never_runs_and_does_not_wedge_the_pool():
    release = threading.Event()
    ran = []
    first = asyncio.create_task(run_in_executor(release.wait, 10))
    second = asyncio.create_task(run_in_executor(ran.append, "second"))
    await queued(1)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    assert await first is True
    assert await run_in_executor(lambda: "still serving") == "still serving"
    assert ran == []
    stats = get_executor("blocking").stats()
    assert stats.cancelled == 1
    assert stats.busy == 0


@override_settings(ASYNCX={"EXECUTORS": {"blocking": {"max_workers": 1}}})
async def test_cancelled_running_call_finishes_on_its_thread_and_its_error_is_logged(caplog):
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)
        raise ValueError("late failure")

    task = asyncio.create_task(run_in_executor(slow))
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with caplog.at_level(logging.ERROR, logger="django_asyncx.executors"):
        release.set()
        # The pool is one thread: this runs after the abandoned call has finished.
        assert await run_in_executor(lambda: 1) == 1
    assert any("raised after its caller was cancelled" in r.message for r in caplog.records)
    assert get_executor("blocking").stats().completed == 2


@override_settings(ASYNCX={"EXECUTORS": {"blocking": {"max_workers": 1, "queue_warn_ms": 10}}})
async def test_long_queue_wait_is_reported_in_stats_and_logged(caplog):
    gate = threading.Event()
    with caplog.at_level(logging.WARNING, logger="django_asyncx.executors"):
        first = asyncio.create_task(run_in_executor(gate.wait, 10))
        second = asyncio.create_task(run_in_executor(lambda: None))
        await queued(1)
        await asyncio.sleep(0.02)
        gate.set()
        await asyncio.gather(first, second)
    stats = executor_stats()["blocking"]
    assert stats.queue_wait_max >= 0.02
    assert stats.run_time_max >= 0.02
    [record] = [r for r in caplog.records if "waited" in r.message]
    assert "'blocking'" in record.message
    assert 'ASYNCX["EXECUTORS"]["blocking"]["max_workers"]' in record.message


async def test_threads_stop_at_shutdown_and_the_pool_comes_back_on_next_use():
    await asyncio.gather(*(run_in_executor(lambda: None) for _ in range(3)))
    assert pool_threads()
    await executors.ashutdown_executors()
    assert pool_threads() == []
    assert executor_stats() == {}
    assert await run_in_executor(lambda: 7) == 7


def test_pools_shut_down_when_the_last_loop_using_them_ends():
    async def use() -> None:
        await run_in_executor(lambda: None)

    asyncio.run(use())
    assert pool_threads() == []
    assert executor_stats() == {}


def test_executor_settings_are_validated_with_the_nested_key():
    with pytest.raises(ConfigurationError, match=r'\["db"\]\["max_workers"\] is 0'):
        validate({"EXECUTORS": {"db": {"max_workers": 0}}})
    with pytest.raises(ConfigurationError, match=r'\["io"\] has unknown key \'workers\''):
        validate({"EXECUTORS": {"io": {"workers": 2}}})
    with pytest.raises(ConfigurationError, match=r'\["io"\]\["queue_warn_ms"\] is \'x\''):
        validate({"EXECUTORS": {"io": {"queue_warn_ms": "x"}}})
    with pytest.raises(ConfigurationError, match=r'ASYNCX\["EXECUTORS"\] is \[\]'):
        validate({"EXECUTORS": []})
    values = validate({"EXECUTORS": {"io": {"max_workers": 3, "queue_warn_ms": None}}})
    assert values["EXECUTORS"] == {
        "db": ExecutorConfig(),
        "blocking": ExecutorConfig(),
        "io": ExecutorConfig(max_workers=3, queue_warn_ms=None),
    }


@override_settings(ASYNCX={"EXECUTORS": {"io": {"max_workers": 3}}})
def test_sizes_come_from_settings_and_the_db_pool():
    assert get_executor("io").max_workers == 3
    assert get_executor("db").max_workers == 8  # no psycopg pool configured


def test_db_pool_is_sized_to_the_smallest_psycopg_pool(monkeypatch):
    from django.conf import settings

    options = settings.DATABASES["postgres"].setdefault("OPTIONS", {})
    monkeypatch.setitem(options, "pool", {"min_size": 2, "max_size": 5})
    assert get_executor("db").max_workers == 5
    shutdown_executors()
    monkeypatch.setitem(options, "pool", True)  # psycopg_pool's default size
    assert get_executor("db").max_workers == 4


@override_settings(ASYNCX={"EXECUTORS": {"blocking": {"max_workers": 4}}})
async def test_many_calls_with_cancellations_leave_the_pool_consistent():
    ran = []
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            ran.append(i)
        return i

    await run_in_executor(int)  # the pool exists: each task below submits in its first step
    tasks = [asyncio.create_task(run_in_executor(work, i)) for i in range(2000)]
    await asyncio.sleep(0)
    for task in tasks[1::3]:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    finished = [o for o in outcomes if isinstance(o, int)]
    cancelled = [o for o in outcomes if isinstance(o, asyncio.CancelledError)]
    assert len(finished) + len(cancelled) == 2000
    assert set(finished) <= set(ran)  # every result came from a call that ran
    stats = get_executor("blocking").stats()
    assert stats.completed + stats.cancelled == 2001  # each call ran or was dropped, once
    assert stats.completed == len(ran) + 1
    assert (stats.busy, stats.queued) == (0, 0)
    assert stats.threads == 4
