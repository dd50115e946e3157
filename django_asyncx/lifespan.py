"""Startup and shutdown hooks, and resources that live as long as their event loop.

Hooks::

    from django_asyncx.lifespan import on_shutdown, on_startup

    @on_startup
    async def warm_caches() -> None: ...

    @on_shutdown
    async def flush_metrics() -> None: ...

List the module in ``ASYNCX["LIFESPAN"]`` so it is imported at startup. An entry of that list
may also name a hook function directly, or an async generator function that yields once
(code before the ``yield`` runs at startup, code after it at shutdown; a mapping it yields is
merged into the ASGI lifespan ``state``).

Per-loop resources::

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

A loop closed with a bare ``loop.close()`` gives no such moment: its resources are dropped
unclosed at exit, with a warning that names them.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import logging
import sys
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, MutableMapping
from importlib import import_module
from types import ModuleType
from typing import Any, TypeVar, cast

from django.utils.module_loading import import_string

from .conf import asyncx_settings
from .exceptions import LifespanError

__all__ = [
    "Lifespan",
    "LoopResource",
    "aclose_loop_resources",
    "on_shutdown",
    "on_startup",
]

logger = logging.getLogger("django_asyncx.lifespan")

T = TypeVar("T")
Hook = Callable[[], Awaitable[object] | object]
HookT = TypeVar("HookT", bound=Hook)

# One ordered registry: ("startup" | "shutdown" | "context", function), in registration order.
_steps: list[tuple[str, Callable[..., Any]]] = []


def _register[HookT: Hook](kind: str, fn: HookT) -> HookT:
    if not callable(fn):
        raise TypeError(f"@on_{kind} decorates a function, got {fn!r}")
    if kind != "context" and inspect.isasyncgenfunction(fn):
        raise TypeError(
            f"@on_{kind} got the async generator function {_name(fn)}; list it in "
            'ASYNCX["LIFESPAN"] instead to run it around the whole lifespan'
        )
    if (kind, fn) not in _steps:
        _steps.append((kind, fn))
    return fn


def on_startup[HookT: Hook](fn: HookT) -> HookT:
    """Register ``fn`` (sync or async, no arguments) to run at startup, in registration order."""
    return _register("startup", fn)


def on_shutdown[HookT: Hook](fn: HookT) -> HookT:
    """Register ``fn`` (sync or async, no arguments) to run at shutdown.

    Shutdown hooks run in reverse registration order, after the requests have finished and
    before the per-loop resources are closed, so a hook can still use them.
    """
    return _register("shutdown", fn)


def _name(fn: object) -> str:
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None) or repr(fn)
    return f"{module}.{qualname}" if module else qualname


async def _call(fn: Callable[[], Any]) -> Any:
    result = fn()
    if inspect.isawaitable(result):
        result = await result
    return result


def _load_settings_entries() -> None:
    """Import every ``ASYNCX["LIFESPAN"]`` entry, registering what needs registering."""
    for index, path in enumerate(asyncx_settings.LIFESPAN):
        try:
            target: object = import_module(path)
        except ImportError:
            try:
                target = import_string(path)
            except ImportError as exc:
                raise LifespanError(
                    f'ASYNCX["LIFESPAN"][{index}] = {path!r} cannot be imported: {exc}'
                ) from exc
        if isinstance(target, ModuleType):
            continue  # importing it ran its decorators
        if inspect.isasyncgenfunction(target):
            _register("context", target)
        elif callable(target):
            if not any(fn is target for _, fn in _steps):
                _register("startup", cast(Hook, target))
        else:
            raise LifespanError(
                f'ASYNCX["LIFESPAN"][{index}] = {path!r} is a {type(target).__name__}; accepted: '
                "a module, a hook function, or an async generator function"
            )


class Lifespan:
    """Runs the registered hooks once: :meth:`startup`, then :meth:`shutdown`.

    The ASGI entry owns one and drives it from lifespan events, or lazily from the first
    request when the server sends none.
    """

    def __init__(self) -> None:
        self.started = False
        self._stack: contextlib.AsyncExitStack | None = None
        self._errors: list[str] = []
        self._lock = threading.Lock()
        self._lazy_start: asyncio.Future[None] | None = None

    async def startup(self, state: MutableMapping[str, Any] | None = None) -> None:
        """Run startup hooks and enter lifespan contexts, in registration order.

        On failure, everything already started is unwound (shutdown hooks registered so far,
        contexts entered, per-loop resources created) and :class:`LifespanError` is raised
        with the hook's name and the error.
        """
        _load_settings_entries()
        stack = contextlib.AsyncExitStack()
        self._errors = []
        try:
            for kind, fn in list(_steps):
                if kind == "shutdown":
                    stack.push_async_callback(self._run_shutdown_hook, fn)
                    continue
                try:
                    if kind == "startup":
                        await _call(fn)
                    else:
                        manager = contextlib.asynccontextmanager(fn)()
                        value = await stack.enter_async_context(manager)
                        if isinstance(value, dict) and state is not None:
                            state.update(value)
                except Exception as exc:
                    raise LifespanError(
                        f"startup hook {_name(fn)} failed: {type(exc).__name__}: {exc}"
                    ) from exc
        except BaseException:
            await self._unwind(stack)
            raise
        self._stack = stack
        self.started = True
        logger.debug("lifespan startup complete (%d steps)", len(_steps))

    async def shutdown(self) -> list[str]:
        """Run shutdown hooks in reverse order, then close this loop's resources.

        Every hook runs even when an earlier one fails. Returns the failures, one line each.
        """
        stack, self._stack = self._stack, None
        self.started = False
        self._lazy_start = None
        if stack is not None:
            await self._unwind(stack)
        errors, self._errors = self._errors, []
        return errors

    async def ensure_started(self) -> None:
        """Start lazily, once, for a server that sends no lifespan events (daphne).

        Shutdown then happens when the event loop closes (see the module docstring).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            starting = self._lazy_start
            if starting is None:
                starting = self._lazy_start = loop.create_future()
                owner = True
            else:
                owner = False
        if not owner:
            await asyncio.shield(starting)
            return
        try:
            await self.startup()
        except BaseException as exc:
            self._lazy_start = None  # the next request tries again
            starting.set_exception(exc)
            starting.exception()  # waiters re-raise it; nobody else needs to retrieve it
            raise
        state = _loop_state(loop)
        await state.start()
        state.before_close.append(self._shutdown_at_loop_close)
        starting.set_result(None)

    async def _shutdown_at_loop_close(self) -> None:
        for error in await self.shutdown():
            logger.error("%s", error)

    async def _run_shutdown_hook(self, fn: Callable[[], Any]) -> None:
        try:
            await _call(fn)
        except Exception as exc:
            message = f"shutdown hook {_name(fn)} failed: {type(exc).__name__}: {exc}"
            logger.exception("%s", message)
            self._errors.append(message)

    async def _unwind(self, stack: contextlib.AsyncExitStack) -> None:
        try:
            await stack.aclose()
        except Exception as exc:  # a lifespan context failed after its yield
            message = f"lifespan context failed at shutdown: {type(exc).__name__}: {exc}"
            logger.exception("%s", message)
            self._errors.append(message)
        await aclose_loop_resources()


# --------------------------------------------------------------------------- per-loop resources


class _LoopState:
    """What one event loop owns: its resources, and a keeper that closes them with the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.values: dict[LoopResource[Any], asyncio.Future[Any]] = {}
        self.before_close: list[Callable[[], Awaitable[None]]] = []
        self.abandoned = False
        self.closing = False
        # The loop finalises unfinished async generators in shutdown_asyncgens(): the keeper
        # is one, started here so the loop tracks it, and its ``finally`` closes everything.
        self.keeper = self._keep()
        self._started = False

    async def start(self) -> None:
        if not self._started:
            self._started = True
            await anext(self.keeper)

    async def _keep(self) -> AsyncGenerator[None]:
        try:
            yield
        finally:
            self.closing = True
            try:
                if not self.abandoned:
                    # Still registered while it closes: the shutdown hooks in before_close
                    # (daphne's lazy lifespan) must find this loop's resources open.
                    await self._close_all()
            finally:
                with _states_lock:
                    if _states.get(self.loop) is self:
                        del _states[self.loop]

    async def _close_all(self) -> None:
        while self.before_close:
            callback = self.before_close.pop()
            try:
                await callback()
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
            await state.start()
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

    async def aclose(self) -> None:
        """Close this loop's value now, if there is one; the next :meth:`aget` makes another."""
        state = _states.get(asyncio.get_running_loop())
        future = state.values.pop(self, None) if state else None
        if future is not None and future.done():
            await self._close(future.result())

    async def _close(self, value: T) -> None:
        if self._close_fn is not None:
            await _call(lambda: self._close_fn(value))  # type: ignore[misc]


async def aclose_loop_resources() -> None:
    """Close every per-loop resource of the running loop, newest first.

    The lifespan shutdown calls this; call it yourself where you own the loop's end.
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
