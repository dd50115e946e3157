"""Resources that live as long as their event loop, and callbacks run when it ends.

::

    sessions = LoopResource("myapp.http", create=aiohttp.ClientSession, close=lambda s: s.close())
    session = await sessions.aget()

An object such as an aiohttp session or an asyncpg pool belongs to the event loop that made
it. :class:`LoopResource` creates one per running loop on first use and closes it at the
latest possible safe moment, whichever comes first:

* lifespan shutdown, when the server sends lifespan events (uvicorn, hypercorn, granian);
* the loop's ``shutdown_asyncgens()``, which ``asyncio.run()`` and ``asyncio.Runner`` call
  before they close the loop (tests, management commands, scripts);
* the Twisted reactor's shutdown, for daphne, which sends no lifespan events;
* interpreter exit, for a loop that is still open then.

At that moment the callbacks given to :func:`on_loop_close` run first, while the resources
are still open, then the resources are closed. A loop closed with a bare ``loop.close()``
gives no such moment: its resources are dropped unclosed at exit, with a warning that names
them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import logging
import sys
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar, cast

__all__ = ["LoopResource", "aclose_loop_resources", "on_loop_close"]

# Per-loop resources were part of the lifespan module: logging configurations name its logger.
logger = logging.getLogger("django_asyncx.lifespan")

T = TypeVar("T")
Callback = Callable[[], Awaitable[object] | object]


def _name(fn: object) -> str:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}" if module else qualname


async def _call(fn: Callable[[], Any]) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return result


class _LoopState:
    """What one event loop owns: its resources, and a keeper that closes them with the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.values: dict[LoopResource[Any], asyncio.Future[Any]] = {}
        self.callbacks: list[Callback] = []
        self.abandoned = False
        self.closing = False
        # The loop finalises unfinished async generators in shutdown_asyncgens(): the keeper
        # is one, started here so the loop tracks it, and its ``finally`` closes everything.
        self.keeper = self._keep()
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            # Runs the keeper to its ``yield`` (it awaits nothing before it), as ``await
            # anext()`` would, but from sync code too: the loop starts tracking it here.
            with contextlib.suppress(StopIteration):
                self.keeper.asend(None).send(None)

    async def _keep(self) -> AsyncGenerator[None]:
        try:
            yield
        finally:
            self.closing = True
            try:
                if not self.abandoned:
                    # Still registered while it closes: the on_loop_close callbacks (daphne's
                    # lazy lifespan shutdown) must find this loop's resources open.
                    await self._close_all()
            finally:
                with _states_lock:
                    if _states.get(self.loop) is self:
                        del _states[self.loop]

    async def _close_all(self) -> None:
        while self.callbacks:
            callback = self.callbacks.pop()
            try:
                await _call(callback)
            except Exception:
                logger.exception("closing %s failed", _name(callback))
        for resource, future in reversed(list(self.values.items())):
            if not future.done():
                logger.warning("per-loop resource %r was still being created", resource.name)
                continue
            try:
                await resource._close(future.result())
            except Exception:
                logger.exception("closing per-loop resource %r failed", resource.name)
        self.values.clear()


_states: dict[asyncio.AbstractEventLoop, _LoopState] = {}
_states_lock = threading.Lock()


def _loop_state(loop: asyncio.AbstractEventLoop) -> _LoopState:
    state = _states.get(loop)
    if state is None:
        with _states_lock:
            state = _states.get(loop)
            if state is None:
                state = _states[loop] = _LoopState(loop)
                _watch_twisted_reactor(loop)
    return state


class LoopResource[T]:
    """A value created lazily once per running event loop and closed with that loop.

    ``create`` (sync or async, no arguments) makes the value; ``close`` (sync or async, one
    argument), if given, releases it. Concurrent first calls share one creation; a failed
    creation is not cached, so the next call tries again. Resources on a loop are closed in
    the reverse order of their creation.
    """

    def __init__(
        self,
        name: str,
        create: Callable[[], Awaitable[T] | T],
        *,
        close: Callable[[T], Awaitable[object] | object] | None = None,
    ) -> None:
        if not callable(create):
            raise TypeError(f"LoopResource({name!r}) needs a callable create=, got {create!r}")
        if close is not None and not callable(close):
            raise TypeError(f"LoopResource({name!r}) needs a callable close=, got {close!r}")
        self.name = name
        self._create = create
        self._close_fn = close

    def __repr__(self) -> str:
        return f"<LoopResource {self.name!r}>"

    async def aget(self) -> T:
        """Return this loop's value, creating it on first use."""
        loop = asyncio.get_running_loop()
        state = _states.get(loop) or _loop_state(loop)
        # A future in ``values`` is either pending (being created) or holds the value:
        # failed and cancelled creations are removed at once.
        future = state.values.get(self)
        if future is not None and future.done():
            return cast(T, future.result())
        while future is not None:
            await asyncio.wait((future,))  # unlike ``await future``, leaves it uncancelled
            if not future.cancelled():
                return cast(T, future.result())  # the value, or the creator's error
            future = state.values.get(self)  # its creator was cancelled: maybe create it here
        future = state.values[self] = loop.create_future()
        try:
            state.start()
            value = cast(T, await _call(self._create))
        except asyncio.CancelledError:
            del state.values[self]
            future.cancel()
            raise
        except BaseException as exc:
            del state.values[self]
            future.set_exception(exc)
            future.exception()  # marked retrieved: concurrent callers re-raise it
            raise
        future.set_result(value)
        return value

    def peek(self) -> T | None:
        """This loop's value if it was created, else ``None``; never creates."""
        state = _states.get(asyncio.get_running_loop())
        future = state.values.get(self) if state else None
        return cast(T, future.result()) if future is not None and future.done() else None

    def values(self) -> list[T]:
        """The value of every loop that has one now; never creates (any thread may call it).

        For figures read from outside the loops (metrics, a health view).
        """
        with _states_lock:
            states = list(_states.values())
        found = []
        for state in states:
            future = state.values.get(self)
            if future is not None and future.done() and not future.cancelled():
                with contextlib.suppress(Exception):  # a failed creation, being removed
                    found.append(cast(T, future.result()))
        return found

    async def aclose(self) -> None:
        """Close this loop's value now, if there is one; the next :meth:`aget` makes another."""
        state = _states.get(asyncio.get_running_loop())
        future = state.values.pop(self, None) if state else None
        if future is not None and future.done():
            await self._close(future.result())

    async def _close(self, value: T) -> None:
        if self._close_fn is not None:
            await _call(lambda: self._close_fn(value))  # type: ignore[misc]


def on_loop_close(callback: Callback, /) -> None:
    """Run ``callback`` when the running loop's resources are closed, before any of them is.

    ``callback`` (sync or async, no arguments) runs once, at the first of the moments listed
    in the module docs, while the loop's resources are still open (so it can use them,
    as a shutdown hook does). Callbacks run newest first; one that raises is logged and the
    others still run. Call it from code running on the loop.
    """
    if not callable(callback):
        raise TypeError(f"on_loop_close() takes a callable, got {callback!r}")
    state = _loop_state(asyncio.get_running_loop())
    state.start()
    state.callbacks.append(callback)


async def aclose_loop_resources() -> None:
    """Run the running loop's :func:`on_loop_close` callbacks, then close its resources.

    Resources close newest first. The lifespan shutdown calls this; call it yourself where
    you own the loop's end.
    """
    state = _states.get(asyncio.get_running_loop())
    if state is not None:
        await _aclose_state(state)


async def _aclose_state(state: _LoopState) -> None:
    if state.closing:
        return  # called from a shutdown hook run by the closing keeper itself
    if state._started:
        await state.keeper.aclose()  # its ``finally`` closes and unregisters
    else:
        with _states_lock:
            _states.pop(state.loop, None)


# --------------------------------------------------------------------------- loops with no end


def _watch_twisted_reactor(loop: asyncio.AbstractEventLoop) -> None:
    """Under daphne, close the loop's resources when the Twisted reactor shuts down."""
    reactor_module = sys.modules.get("twisted.internet.reactor")
    if reactor_module is None or getattr(reactor_module, "_asyncioEventloop", None) is not loop:
        return
    from twisted.internet.defer import Deferred

    def before_shutdown() -> Deferred[None]:
        return Deferred.fromFuture(loop.create_task(aclose_loop_resources()))

    reactor_module.addSystemEventTrigger("before", "shutdown", before_shutdown)


@atexit.register
def _close_at_exit() -> None:
    with _states_lock:
        states = list(_states.values())
    for state in states:
        loop = state.loop
        if loop.is_running():
            continue  # another thread's loop, still serving: it is not ours to stop
        if not loop.is_closed():
            loop.run_until_complete(_aclose_state(state))
            continue
        names = [resource.name for resource in state.values]
        if names:
            logger.warning(
                "event loop was closed without shutdown_asyncgens(); per-loop resources %s "
                "were not closed (run the loop with asyncio.run() or asyncio.Runner)",
                ", ".join(names),
            )
        # Finish the keeper by hand so its finaliser never touches the closed loop.
        state.abandoned = True
        closing = state.keeper.aclose()
        with contextlib.suppress(StopIteration):
            closing.send(None)
        closing.close()
