"""Run sync code in a greenlet on the event-loop thread, awaiting from inside it.

This is the technique of SQLAlchemy's asyncio extension: :func:`greenlet_spawn` starts a
sync function in a child greenlet of the running task; when that function calls
:func:`await_only` with an awaitable, the greenlet switches back to the task, which awaits
it on the loop and switches back in with the result (or throws the exception in). The sync
code never blocks the loop and needs no thread::

    task (greenlet_spawn)             child greenlet (sync fn)
    ─────────────────────             ────────────────────────
    switch(fn) ───────────────────▶   ... await_only(coro)
    await coro   ◀─────────────────── (switch to the task)
    switch(result) ───────────────▶   ... returns value
    return value ◀───────────────────

The native engine needs no code at each switch: it installs each task's own
``DatabaseWrapper`` in that task's ``connections`` storage for the length of the call.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import greenlet

from django_asyncx.exceptions import MissingGreenletError

__all__ = ["AsyncioGreenlet", "await_only", "greenlet_spawn", "in_greenlet"]

# Finished greenlets wait for their next call here, per thread (a greenlet belongs to the
# thread that made it): making one costs several times more than switching into it.
_IDLE_MAX = 64
_local = threading.local()


class _Outcome:
    """What a greenlet hands back when its function returned or raised."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value = value
        self.error = error


class AsyncioGreenlet(greenlet.greenlet):  # type: ignore[misc]
    """The greenlet :func:`greenlet_spawn` runs a sync function in.

    It shares the contextvars context of the task that spawned it, so context variables set
    on either side are seen on the other, as with a plain function call. After a call it
    waits, holding no reference to the call or its context, to serve the next one.
    """

    def __init__(self, driver: greenlet.greenlet) -> None:
        super().__init__(self._serve, driver)
        self.driver = driver

    def _serve(self, fn: Callable[..., Any] | None, args: Any, kwargs: Any) -> None:
        while True:
            try:
                outcome = _Outcome(fn(*args, **kwargs), None)  # type: ignore[misc]
            except greenlet.GreenletExit:
                raise  # dropped mid-call: end this greenlet
            except BaseException as exc:
                outcome = _Outcome(None, exc)
            fn = args = kwargs = None
            fn, args, kwargs = self.driver.switch(outcome)


def _take(driver: greenlet.greenlet) -> AsyncioGreenlet:
    idle: list[AsyncioGreenlet] | None = getattr(_local, "idle", None)
    if idle is None:
        idle = _local.idle = []
    while idle:
        child = idle.pop()
        if not child.dead:
            if child.driver is not driver:
                child.parent = child.driver = driver
            return child
    return AsyncioGreenlet(driver)


def _give_back(child: AsyncioGreenlet) -> None:
    child.gr_context = None
    idle: list[AsyncioGreenlet] = _local.idle
    if len(idle) < _IDLE_MAX:
        idle.append(child)


def in_greenlet() -> bool:
    """Whether the caller runs inside :func:`greenlet_spawn` (so :func:`await_only` works)."""
    return isinstance(greenlet.getcurrent(), AsyncioGreenlet)


def await_only[T](awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` from sync code running inside :func:`greenlet_spawn`.

    Raises :class:`~django_asyncx.exceptions.MissingGreenletError` anywhere else.
    """
    current = greenlet.getcurrent()
    if not isinstance(current, AsyncioGreenlet):
        if inspect.iscoroutine(awaitable):
            awaitable.close()  # never awaited: silence the warning, the error says it all
        raise MissingGreenletError(
            "await_only() was called outside greenlet_spawn(); run the sync code with "
            "django_asyncx.db.backends.postgresql.native.run_native() (or run_in_db())"
        )
    return current.driver.switch(awaitable)  # type: ignore[no-any-return]


async def greenlet_spawn[T](fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a greenlet on this task; return its result.

    Exceptions raised by ``fn`` propagate. An exception raised while awaiting on its behalf
    (cancellation included) is thrown into ``fn`` at the :func:`await_only` call, so its
    ``finally``/``__exit__`` code runs (and may await) before the exception reaches the
    caller.
    """
    driver = greenlet.getcurrent()
    child = _take(driver)
    child.gr_context = driver.gr_context
    result: Any = child.switch(fn, args, kwargs)
    while type(result) is not _Outcome:
        try:
            value = await result
        except BaseException as exc:
            result = child.throw(type(exc), exc, exc.__traceback__)
        else:
            result = child.switch(value)
    _give_back(child)
    # The idle greenlet still holds the outcome it switched with: empty it.
    error, value = result.error, result.value
    result.error = result.value = None
    if error is not None:
        raise error
    return value  # type: ignore[no-any-return]
