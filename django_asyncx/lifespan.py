"""Startup and shutdown hooks: :func:`on_startup`, :func:`on_shutdown`, and :class:`Lifespan`.

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

The objects that belong to one event loop (an aiohttp session, an asyncpg pool) are
:class:`~django_asyncx.loops.LoopResource` values: the shutdown hooks run before they are
closed, so a hook can still use them. ``LoopResource`` and ``aclose_loop_resources`` are also
importable from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import import_module
from types import ModuleType
from typing import Any, TypeVar, cast

from django.utils.module_loading import import_string

from .conf import asyncx_settings
from .exceptions import LifespanError
from .loops import LoopResource, _call, _name, aclose_loop_resources, on_loop_close

__all__ = [
    "Lifespan",
    "LoopResource",
    "aclose_loop_resources",
    "on_shutdown",
    "on_startup",
]

logger = logging.getLogger("django_asyncx.lifespan")

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

        Shutdown then happens when the event loop closes (see :mod:`django_asyncx.loops`).
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
        on_loop_close(self._shutdown_at_loop_close)
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
