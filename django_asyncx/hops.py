"""Count thread hops: the calls that leave the event loop for a worker thread.

A hop is one trip of a sync function to a thread and back: every ``sync_to_async`` call
(Django's middleware adapters, its signal dispatch, ``response.close()``), and every other
``loop.run_in_executor`` call (``asyncio.to_thread``, executors). Counting them is how the
tests and ``manage.py asyncx_audit`` prove a request path is hop-free::

    from django_asyncx.hops import count_hops
    from django_asyncx.testing.client import arequest

    with count_hops() as hops:
        response = await arequest(application, "GET", "/hello/")
    assert hops.count == 0, hops.by_owner()

Counting instruments asgiref's ``SyncToAsync.__call__`` and asyncio's
``BaseEventLoop.run_in_executor`` while at least one counter is open, and records a hop only
in the context (task tree) that opened the counter, so concurrent tests do not see each
other's hops. Event loops that do not derive from asyncio's (uvloop) are counted through
``sync_to_async`` only.

A connection served by a real server or a test communicator (a Channels consumer's
``connect``, each ``receive``, its ``disconnect``) runs in the server's tasks, outside the
test's context: :class:`CountingApplication` wraps the ASGI application and counts inside
each connection::

    counted = CountingApplication(application)
    # serve `counted` (uvicorn.Server in this loop, channels' WebsocketCommunicator), connect
    [connection] = counted.counters
    assert connection.count == 0, connection.by_owner()   # connect: no hop
    connection.clear()                                     # then count one message

The in-process client :func:`~django_asyncx.testing.client.arequest` (and its
:class:`~django_asyncx.testing.client.AsgiResult`) is importable from here too.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import types
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import SyncToAsync

from .testing.client import AsgiResult, arequest
from .types import ASGIApplication, Receive, Scope, Send

__all__ = [
    "AsgiResult",
    "CountingApplication",
    "Hop",
    "HopCounter",
    "arequest",
    "count_hops",
    "describe",
]


@dataclass(frozen=True, slots=True)
class Hop:
    """One thread hop: ``via`` is ``"sync_to_async"`` or ``"executor"``.

    ``name`` is the qualified name of the function run in the thread; ``owner`` is the class
    (for a method or a callable object, such as a middleware) or the module it belongs to.
    """

    via: str
    name: str
    owner: str


@dataclass(slots=True)
class HopCounter:
    """The hops recorded while a :func:`count_hops` block was open, in order."""

    hops: list[Hop] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many hops were recorded."""
        return len(self.hops)

    def by_owner(self) -> dict[str, int]:
        """Hops per owner (class or module), for messages and the audit."""
        return dict(Counter(hop.owner for hop in self.hops))

    def clear(self) -> None:
        """Forget the hops recorded so far (to count one request after a warm-up)."""
        self.hops.clear()


_current: contextvars.ContextVar[HopCounter | None] = contextvars.ContextVar(
    "django_asyncx_hop_counter", default=None
)
# Set while SyncToAsync.__call__ runs, so its own run_in_executor is not counted twice.
_inside_sync_to_async: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "django_asyncx_inside_sync_to_async", default=False
)
_lock = threading.Lock()
_installed = 0
_originals: dict[str, Any] = {}


def describe(func: object) -> tuple[str, str]:
    """Return ``(name, owner)`` for a callable, looking through partials and wrappers.

    Only reads attributes that cannot run code: it is called on the loop for every hop, with
    callables such as a QuerySet's bound method (whose ``repr`` would query) or a lazy object.
    """
    # type() rather than isinstance(): a lazy object answers isinstance() by evaluating itself.
    for _ in range(20):
        if issubclass(type(func), functools.partial | SyncToAsync):
            func = func.func  # type: ignore[attr-defined]
            continue
        inner = _own_attribute(func, "__wrapped__")
        if inner is None:
            break
        func = inner
    kind = type(func)
    target: Any = func
    if issubclass(kind, types.MethodType | types.BuiltinMethodType) and not issubclass(
        type(target.__self__), types.ModuleType
    ):
        cls = type(target.__self__)
        return target.__qualname__, f"{cls.__module__}.{cls.__qualname__}"
    if issubclass(kind, types.FunctionType | types.BuiltinFunctionType):
        qualname, module = target.__qualname__, str(target.__module__)
        owner_path = qualname.rsplit(".", 1)[0] if "." in qualname else ""
        if owner_path and "<locals>" not in owner_path:
            return qualname, f"{module}.{owner_path}"
        return qualname, module
    # A callable object, such as a middleware instance adapted by Django's handler.
    cls = type(func)
    return f"{cls.__qualname__}.__call__", f"{cls.__module__}.{cls.__qualname__}"


def _own_attribute(obj: object, name: str) -> Any:
    try:
        return vars(obj).get(name)
    except TypeError:  # no __dict__
        return None


def _record(via: str, func: object) -> None:
    counter = _current.get()
    if counter is not None:
        name, owner = describe(func)
        counter.hops.append(Hop(via, name, owner))


def _install() -> None:
    global _installed
    with _lock:
        _installed += 1
        if _installed > 1:
            return
        sync_call: Any = SyncToAsync.__call__
        executor_call: Any = asyncio.base_events.BaseEventLoop.run_in_executor
        _originals["sync_call"] = sync_call
        _originals["executor_call"] = executor_call

        @functools.wraps(sync_call)
        async def counted_sync_call(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
            if _current.get() is None:
                return await sync_call(self, *args, **kwargs)
            _record("sync_to_async", self.func)
            token = _inside_sync_to_async.set(True)
            try:
                return await sync_call(self, *args, **kwargs)
            finally:
                _inside_sync_to_async.reset(token)

        @functools.wraps(executor_call)
        def counted_executor_call(
            self: asyncio.AbstractEventLoop, executor: Any, func: Callable[..., Any], *args: Any
        ) -> asyncio.Future[Any]:
            if not _inside_sync_to_async.get():
                _record("executor", func)
            return executor_call(self, executor, func, *args)  # type: ignore[no-any-return]

        SyncToAsync.__call__ = counted_sync_call  # type: ignore[method-assign]
        asyncio.base_events.BaseEventLoop.run_in_executor = counted_executor_call  # type: ignore[method-assign,assignment]


def _uninstall() -> None:
    global _installed
    with _lock:
        _installed -= 1
        if _installed:
            return
        SyncToAsync.__call__ = _originals.pop("sync_call")  # type: ignore[method-assign]
        asyncio.base_events.BaseEventLoop.run_in_executor = _originals.pop("executor_call")  # type: ignore[method-assign]


@contextmanager
def count_hops() -> Iterator[HopCounter]:
    """Count the thread hops made in this context (and tasks started from it) while open."""
    counter = HopCounter()
    _install()
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)
        _uninstall()


class CountingApplication:
    """An ASGI application counting the thread hops of each connection it serves.

    Each ``http`` or ``websocket`` scope served by ``app`` gets a :class:`HopCounter`,
    appended to :attr:`counters` when the connection starts and counting until it ends
    (``lifespan`` scopes are passed through uncounted). A test reads a counter while the
    connection is open, and :meth:`HopCounter.clear` it between the steps it measures.
    """

    def __init__(self, app: ASGIApplication) -> None:
        self.app = app
        self.counters: list[HopCounter] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        with count_hops() as hops:
            self.counters.append(hops)
            await self.app(scope, receive, send)
