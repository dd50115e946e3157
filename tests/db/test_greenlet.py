"""greenlet_spawn/await_only: sync code awaiting on the loop from a reused greenlet."""

import asyncio
import contextvars
import gc
import weakref

import greenlet
import pytest

from django_asyncx.db.greenlet import await_only, greenlet_spawn, in_greenlet
from django_asyncx.exceptions import MissingGreenletError

value = contextvars.ContextVar("value", default=None)


def _current() -> int:
    await_only(asyncio.sleep(0))
    return id(greenlet.getcurrent())


async def test_sequential_calls_are_served_by_one_greenlet():
    seen = {await greenlet_spawn(_current) for _ in range(20)}
    assert len(seen) == 1


async def test_concurrent_calls_get_a_greenlet_each():
    seen = await asyncio.gather(*(greenlet_spawn(_current) for _ in range(5)))
    assert len(set(seen)) == 5


async def test_context_variables_are_shared_with_the_calling_task_both_ways():
    value.set("task")

    def body() -> str | None:
        seen = value.get()
        value.set("greenlet")
        return seen

    assert await greenlet_spawn(body) == "task"
    assert value.get() == "greenlet"


async def test_results_exceptions_and_awaited_values_come_back():
    def body(a: int, *, b: int) -> int:
        return a + b + await_only(asyncio.sleep(0, result=10))

    assert await greenlet_spawn(body, 1, b=2) == 13

    def fails() -> None:
        await_only(asyncio.sleep(0))
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await greenlet_spawn(fails)
    # The greenlet that raised serves the next call.
    assert await greenlet_spawn(body, 0, b=0) == 10


async def test_cancellation_is_thrown_in_and_cleanup_may_await():
    events: list[str] = []

    def body() -> None:
        try:
            await_only(asyncio.sleep(10))
        finally:
            await_only(asyncio.sleep(0))
            events.append("cleaned up")

    task = asyncio.ensure_future(greenlet_spawn(body))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert events == ["cleaned up"]
    assert await greenlet_spawn(lambda: in_greenlet()) is True


async def test_an_idle_greenlet_keeps_neither_the_call_nor_its_result_alive():
    class Payload:
        pass

    argument = Payload()
    seen = weakref.ref(argument)
    result = await greenlet_spawn(lambda given: (given, Payload()), argument)
    returned = weakref.ref(result[1])
    del argument, result
    gc.collect()
    assert seen() is None
    assert returned() is None


def test_await_only_outside_a_greenlet_is_an_error_and_closes_the_coroutine():
    coroutine = asyncio.sleep(0)
    with pytest.raises(MissingGreenletError, match="outside greenlet_spawn"):
        await_only(coroutine)
    assert coroutine.cr_frame is None  # closed: no "never awaited" warning
