"""Await many things at once, with a bound, leaving nothing behind: :func:`gather`.

::

    from django_asyncx.concurrency import gather

    profile, orders = await gather(http.get("profile"), http.get("orders"))
    balances = await gather(*(run_in_db(balance, owner) for owner in owners), limit=4)

Unlike :func:`asyncio.gather`, the first failure cancels the awaitables still running and
waits for them to finish cancelling (none outlives the caller), and those that never started
are closed (a coroutine) or cancelled (a future), not left behind as "coroutine was never
awaited". :func:`discard` does the same for awaitables a caller will not await at all.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Iterable
from contextlib import nullcontext
from typing import Literal, overload

__all__ = ["discard", "gather"]


@overload
async def gather[T](
    *aws: Awaitable[T], limit: int | None = None, return_exceptions: Literal[False] = False
) -> list[T]: ...


@overload
async def gather[T](
    *aws: Awaitable[T], limit: int | None = None, return_exceptions: Literal[True]
) -> list[T | BaseException]: ...


@overload
async def gather[T](
    *aws: Awaitable[T], limit: int | None = None, return_exceptions: bool
) -> list[T] | list[T | BaseException]: ...


async def gather[T](
    *aws: Awaitable[T], limit: int | None = None, return_exceptions: bool = False
) -> list[T] | list[T | BaseException]:
    """Await ``aws`` concurrently, at most ``limit`` at a time; return the results in order.

    Without ``limit`` all start at once; with it, the next starts as one finishes. The first
    error cancels those still running (those waiting for their turn never start) and is
    raised once all have stopped; with ``return_exceptions=True`` errors are returned in
    place of results instead, and every awaitable runs. Cancelling the caller cancels them
    all. A ``limit`` other than ``None`` or a positive int is a ``ValueError``, an argument
    that is not awaitable a ``TypeError``, both raised before anything starts.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        discard(aws)
        raise ValueError(f"gather(limit=...) takes None or a positive int, got {limit!r}")
    given: tuple[object, ...] = aws  # checked at run time: callers are not all typed
    for index, item in enumerate(given):
        if not inspect.isawaitable(item):
            discard(aws)
            raise TypeError(f"gather() argument {index} is not awaitable: {item!r}")
    semaphore = None if limit is None else asyncio.Semaphore(limit)
    failed = False

    async def run(aw: Awaitable[T]) -> T:
        nonlocal failed
        queued = semaphore is not None and semaphore.locked()
        try:
            async with semaphore or nullcontext():
                if queued and failed:  # an error stopped the fan-out while this one waited
                    raise asyncio.CancelledError
                try:
                    return await aw
                except Exception:
                    # Set before the turn is given back, so no waiting awaitable starts.
                    failed = not return_exceptions
                    raise
        finally:
            discard((aw,))  # a no-op once awaited; closes one that never got its turn

    tasks = [asyncio.ensure_future(run(aw)) for aw in aws]
    try:
        if return_exceptions:
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return [task.result() for task in tasks]
    finally:
        unfinished = [task for task in tasks if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            # Wait for them to stop; this also retrieves every outcome.
            await asyncio.gather(*unfinished, return_exceptions=True)


def discard(aws: Iterable[object], /) -> None:
    """Close the coroutines and cancel the futures of ``aws``: they will never be awaited.

    For code that fails before it awaits what it was given, so that the caller's coroutines
    do not warn "never awaited". Other values are left alone.
    """
    for item in aws:
        if inspect.iscoroutine(item):
            item.close()
        elif isinstance(item, asyncio.Future):
            item.cancel()
