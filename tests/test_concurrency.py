"""gather: order, bounds, the first error stops the rest, nothing left behind; discard.

Each behaviour is checked through ``gather`` and through its deprecated aliases
(``django_asyncx.db.agather``, ``django_asyncx.http.gather``), which must warn and still
give the same result. ``Client.gather`` is checked against an upstream in test_http_client.
"""

import asyncio
import re

import pytest

from django_asyncx import http
from django_asyncx.concurrency import discard, gather
from django_asyncx.db import agather


def deprecated(alias):
    async def call(*aws, **kwargs):
        with pytest.deprecated_call(match=r"use django_asyncx\.concurrency\.gather\(\)"):
            return await alias(*aws, **kwargs)

    return call


every_gather = pytest.mark.parametrize(
    "gather_",
    [gather, deprecated(agather), deprecated(http.gather)],
    ids=["gather", "db.agather", "http.gather"],
)
with_return_exceptions = pytest.mark.parametrize(
    "gather_", [gather, deprecated(http.gather)], ids=["gather", "http.gather"]
)


@every_gather
async def test_results_come_in_order_and_at_most_limit_run_at_once(gather_):
    running = peak = 0

    async def job(i: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (10 - i))
        running -= 1
        return i * i

    assert await gather_(*(job(i) for i in range(10)), limit=3) == [i * i for i in range(10)]
    assert peak == 3
    assert await gather_() == []


@every_gather
async def test_without_a_limit_every_awaitable_starts_at_once(gather_):
    started = []
    gate = asyncio.Event()

    async def job(i: int) -> int:
        started.append(i)
        await gate.wait()
        return i

    task = asyncio.ensure_future(gather_(*(job(i) for i in range(5))))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert started == [0, 1, 2, 3, 4]
    gate.set()
    assert await task == [0, 1, 2, 3, 4]


@every_gather
async def test_the_first_error_cancels_the_running_and_never_starts_the_waiting(gather_):
    cancelled = []
    started = []

    async def slow(i: int) -> None:
        started.append(i)
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise

    async def fail() -> None:
        await asyncio.sleep(0)
        raise KeyError("boom")

    # Coroutines never started would warn "never awaited" (an error in this suite).
    with pytest.raises(KeyError, match="boom"):
        await gather_(slow(0), fail(), slow(2), slow(3), limit=3)
    assert started == [0, 2]
    assert sorted(cancelled) == [0, 2]


@every_gather
async def test_an_error_without_a_limit_cancels_the_others(gather_):
    cancelled = []

    async def fail() -> None:
        raise ValueError("at once")

    async def other() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    with pytest.raises(ValueError, match="at once"):
        await gather_(fail(), other())
    assert cancelled == [True]


@with_return_exceptions
async def test_return_exceptions_puts_errors_in_place_and_runs_every_awaitable(gather_):
    async def job(i: int) -> int:
        await asyncio.sleep(0)
        if i % 2:
            raise ValueError(i)
        return i

    results = await gather_(*(job(i) for i in range(6)), limit=2, return_exceptions=True)
    assert [r if isinstance(r, int) else type(r) for r in results] == [
        0,
        ValueError,
        2,
        ValueError,
        4,
        ValueError,
    ]


@every_gather
async def test_a_cancelled_caller_leaves_no_task_behind(gather_):
    before = len(asyncio.all_tasks())

    async def forever() -> None:
        await asyncio.sleep(10)

    outer = asyncio.create_task(gather_(forever(), forever(), forever(), limit=2))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert len(asyncio.all_tasks()) == before


@every_gather
@pytest.mark.parametrize("limit", [0, -1, True, 1.5, "2"])
async def test_a_bad_limit_is_refused_and_the_awaitables_are_discarded(gather_, limit):
    async def job() -> None: ...

    future = asyncio.get_running_loop().create_future()
    accepted = r"gather\(limit=\.\.\.\) takes None or a positive int, got "
    with pytest.raises(ValueError, match=accepted + re.escape(repr(limit))):
        await gather_(job(), future, limit=limit)
    assert future.cancelled()


@every_gather
async def test_an_argument_that_is_not_awaitable_is_refused_before_anything_starts(gather_):
    started = []

    async def job() -> None:
        started.append(True)

    with pytest.raises(TypeError, match="argument 1 is not awaitable: 5"):
        await gather_(job(), 5)
    assert started == []


async def test_discard_closes_coroutines_and_cancels_futures():
    async def job() -> None: ...

    coroutine = job()
    future = asyncio.get_running_loop().create_future()
    done = asyncio.get_running_loop().create_future()
    done.set_result(1)
    discard([coroutine, future, done, "not awaitable"])
    assert coroutine.cr_frame is None  # closed: no "never awaited" warning
    assert future.cancelled()
    assert done.result() == 1
