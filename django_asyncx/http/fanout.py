"""``gather`` with a concurrency limit, for fanning out calls.

Unlike :func:`asyncio.gather`, the first failure cancels the calls still running (and
waits for them to finish cancelling, so none outlives the caller), and the calls that never
started are closed, not left behind as "coroutine was never awaited".
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any, Literal, overload

__all__ = ["gather"]


@overload
async def gather[T](
    *calls: Awaitable[T], limit: int | None = None, return_exceptions: Literal[False] = False
) -> list[T]: ...


@overload
async def gather[T](
    *calls: Awaitable[T], limit: int | None = None, return_exceptions: Literal[True]
) -> list[T | BaseException]: ...


async def gather[T](
    *calls: Awaitable[T], limit: int | None = None, return_exceptions: bool = False
) -> list[T] | list[T | BaseException]:
    """Await ``calls`` concurrently, at most ``limit`` at once, and return results in order.

    The first error cancels the calls still running and is raised; with
    ``return_exceptions=True`` errors are returned in place of results instead.
    """
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        for call in calls:
            _close(call)
        raise ValueError(f"gather() got limit={limit!r}; accepted: None or an integer >= 1")
    semaphore = asyncio.Semaphore(limit) if limit else None

    async def run(call: Awaitable[T]) -> T:
        try:
            if semaphore is None:
                return await call
            async with semaphore:
                return await call
        finally:
            _close(call)  # a no-op once awaited; closes one cancelled before its turn

    tasks = [asyncio.ensure_future(run(call)) for call in calls]
    try:
        if return_exceptions:
            return list(await asyncio.gather(*tasks, return_exceptions=True))
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return [task.result() for task in tasks]
    finally:
        unfinished = [task for task in tasks if not task.done()]
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.gather(*unfinished, return_exceptions=True)


def _close(call: Any) -> None:
    if inspect.iscoroutine(call):
        call.close()
