"""The native path's entry points: run sync ORM code on asyncpg, in a greenlet on the loop.

::

    from django_asyncx.db.backends.postgresql.native import native_atomic, run_native

    book = await run_native(lambda: Book.objects.select_related("author").get(pk=1),
                            using="default")

    async with native_atomic(using="default"):
        await run_native(transfer, 10, using="default")   # same connection, same transaction

How a call runs: the alias's pool (:mod:`.pool`) hands out a ready
:class:`~.wrapper.NativeDatabaseWrapper`; its :meth:`~.wrapper.NativeDatabaseWrapper.run`
installs it as ``connections[alias]`` in the calling task's context only (Django keeps
connections in an ``asgiref.local.Local``, which is per task on a running loop) and runs the
function in a greenlet (:func:`~django_asyncx.db.greenlet.greenlet_spawn`). Every query
switches to the loop and awaits asyncpg; other tasks run meanwhile, each with its own
wrapper. Afterwards the task's previous ``connections[alias]`` is restored and the wrapper
goes back to the pool (or is terminated if the call left it dirty).

Inside ``async with native_atomic()`` the task is bound to one wrapper for the block; its
``run_native`` calls (and those of tasks it starts, one at a time) use that wrapper, inside
the transaction. As on the thread path, a nested block opened by another task, or a call
made by a task that outlived the block, raises
:class:`~django_asyncx.exceptions.TransactionTaskError`. Outside of these entry points, sync
ORM use on the loop still raises ``SynchronousOnlyOperation``.

Inside Django's ``TestCase`` these entry points run on the test's own (psycopg) connection,
in its transaction, instead (:mod:`django_asyncx.db.testing`); ``TransactionTestCase`` keeps
this path.

:func:`uses_native_path` is the one place that decides which aliases take this path.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar, Token
from functools import partial
from types import MappingProxyType
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend

from django_asyncx.db.block import foreign_task_error
from django_asyncx.db.queries import observers, run_observed
from django_asyncx.db.testing import (
    RoutedAtomic,
    add_lock_wait_note,
    find_test_route,
    in_test_environment,
    run_on_test_connection,
)
from django_asyncx.exceptions import ConfigurationError, TransactionTaskError
from django_asyncx.options import NATIVE_ENGINE
from django_asyncx.types import ExcInfo

from .base import DatabaseWrapper
from .pool import WrapperPool, get_pool
from .wrapper import NativeDatabaseWrapper

__all__ = [
    "NativeAtomic",
    "native_atomic",
    "native_iterator",
    "run_native",
    "uses_native_path",
]


@functools.cache
def _engine_is_native(engine: str) -> bool:
    try:
        backend = load_backend(engine)
    except Exception:
        return False
    return issubclass(backend.DatabaseWrapper, DatabaseWrapper)


def uses_native_path(alias: str | None = None) -> bool:
    """Whether async code for ``alias`` runs on the native engine (else on threads).

    True for an alias whose ENGINE is ``django_asyncx.db.backends.postgresql`` (or a
    subclass of its ``DatabaseWrapper``).
    """
    settings = connections.settings
    alias = alias or DEFAULT_DB_ALIAS
    if alias not in settings:
        return False
    return _engine_is_native(settings[alias]["ENGINE"])


class _TaskLock:
    """An asyncio lock that the task holding it may take again."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            return
        await self._lock.acquire()
        self._owner, self._depth = task, 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


class _Binding:
    """One wrapper bound to a transaction block, shared (one call at a time) by the task
    that opened it and the tasks that task starts."""

    def __init__(self, alias: str, wrapper: NativeDatabaseWrapper, pool: WrapperPool) -> None:
        self.alias = alias
        self.wrapper = wrapper
        self.pool = pool
        self.lock = _TaskLock()
        self.active = True
        self.levels: list[asyncio.Task[Any] | None] = []

    def check_usable(self) -> None:
        if not self.active:
            raise TransactionTaskError(
                f"this task was spawned inside an `async with atomic(using={self.alias!r})` "
                "block that has ended; its database call would run outside that transaction. "
                "Await the task inside the block, or start it outside the block."
            )

    async def run[T](self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.check_usable()
        await self.lock.acquire()
        try:
            return await self.wrapper.run(fn, *args, **kwargs)
        finally:
            self.lock.release()


_NO_BINDINGS: Mapping[str, _Binding] = MappingProxyType({})
_bindings: ContextVar[Mapping[str, _Binding]] = ContextVar(
    "django_asyncx.native.bindings", default=_NO_BINDINGS
)


def _check_alias(alias: str) -> None:
    if not uses_native_path(alias):
        engine = connections.settings[alias]["ENGINE"] if alias in connections.settings else None
        raise ConfigurationError(
            f"database alias {alias!r} does not use the native engine (ENGINE is {engine!r}); "
            f'accepted: an alias with ENGINE "{NATIVE_ENGINE}"'
        )


async def run_native[T](
    fn: Callable[..., T], /, *args: Any, using: str | None = None, **kwargs: Any
) -> T:
    """Run the sync function ``fn(*args, **kwargs)`` on the native path of ``using``.

    The ORM calls inside ``fn`` run on asyncpg without a thread; ``fn`` sees its own
    ``connections[using]`` (other aliases are not available inside it). Inside
    ``async with native_atomic(using=...)`` the call joins that block's transaction.
    Cancelling the caller cancels the running query on the server; the connection is then
    rolled back by Django's ``atomic`` (or terminated, if left dirty).
    """
    alias = using or DEFAULT_DB_ALIAS
    binding = _bindings.get().get(alias)
    if binding is None and in_test_environment() and await find_test_route(alias) is not None:
        # Inside a TestCase: on the test's (psycopg) connection, in the test's transaction.
        return await run_on_test_connection(fn, *args, **kwargs)
    if watching := observers.get():  # acapture_queries() of the caller (tests)
        fn = partial(run_observed, watching, alias, fn)
    if binding is not None:
        return await binding.run(fn, *args, **kwargs)
    pool = _ready_pool(alias) or await _pool(alias)
    wrapper = pool.take() or await pool.acquire()
    try:
        return await wrapper.run(fn, *args, **kwargs)
    except Exception as exc:
        add_lock_wait_note(exc, "a connection of the native pool")
        raise
    finally:
        pool.release(wrapper)


def _ready_pool(alias: str) -> WrapperPool | None:
    # A pool exists only for an alias that passed the check, and only until the loop ends.
    last = _last_pool.get(alias)
    if last is not None and last[0] is asyncio.get_running_loop() and not last[1].closed:
        return last[1]
    return None


async def _pool(alias: str) -> WrapperPool:
    ready = _ready_pool(alias)
    if ready is not None:
        return ready
    _check_alias(alias)
    pool = await get_pool(alias)
    _last_pool[alias] = (asyncio.get_running_loop(), pool)
    return pool


_last_pool: dict[str, tuple[asyncio.AbstractEventLoop, WrapperPool]] = {}


class _IteratorShare:
    """The pooled wrapper that the open :func:`native_iterator` streams of one task share.

    Each stream declares its own server-side cursor on it (cursor names are per-connection
    slots), so a task holding N streams holds one connection, as a thread does with Django's
    stock ``iterator()``. The wrapper goes back to the pool when the last stream leaves.
    """

    def __init__(
        self, key: tuple[asyncio.Task[Any] | None, str], pool: WrapperPool, wrapper: Any
    ) -> None:
        self.key = key
        self.pool = pool
        self.wrapper: NativeDatabaseWrapper = wrapper
        self.users = 0
        # A stream dropped without aclose() is closed by asyncio's finalizer in another task.
        self.lock = asyncio.Lock()

    async def run(self, fn: Callable[[], Any]) -> Any:
        async with self.lock:
            return await self.wrapper.run(fn)

    def leave(self) -> None:
        self.users -= 1
        if self.users == 0:
            del _iterator_shares[self.key]
            self.pool.iterators -= 1
            self.pool.release(self.wrapper)


_iterator_shares: dict[tuple[asyncio.Task[Any] | None, str], _IteratorShare] = {}


async def _join_share(alias: str) -> _IteratorShare:
    key = (asyncio.current_task(), alias)
    share = _iterator_shares.get(key)
    if share is None:  # the task waits here alone: no other stream of it can start meanwhile
        pool = await _pool(alias)
        share = _iterator_shares[key] = _IteratorShare(key, pool, await pool.acquire())
        pool.iterators += 1
    share.users += 1
    return share


async def native_iterator(
    queryset: Any, *, chunk_size: int = 2000, using: str | None = None
) -> AsyncIterator[Any]:
    """Stream ``queryset`` on the native path: ``async for obj in native_iterator(qs):``.

    Runs ``queryset.iterator(chunk_size)`` (a server-side cursor), ``chunk_size`` rows in
    memory at a time. The open streams of one task share one pooled connection; the last
    chunk (shorter than ``chunk_size``) gives it back before its rows are yielded. A stream
    left early holds it until the stream is closed, so close it rather than wait for the
    garbage collector: ``async with contextlib.aclosing(native_iterator(qs)) as rows:``.
    """
    alias = using or str(queryset.db)
    binding = _bindings.get().get(alias)
    routed = binding is None and in_test_environment() and await find_test_route(alias) is not None
    share = await _join_share(alias) if binding is None and not routed else None
    run: Callable[[Callable[[], Any]], Awaitable[Any]]
    if binding is not None:
        run = binding.run
    elif routed:  # inside a TestCase: the test's connection
        run = run_on_test_connection
    else:
        run = cast(_IteratorShare, share).run
    rows: Iterator[Any] | None = None
    try:
        stream: Iterator[Any] = await run(lambda: iter(queryset.iterator(chunk_size=chunk_size)))
        rows = stream
        while True:
            chunk: list[Any] = await run(lambda: list(itertools.islice(stream, chunk_size)))
            if len(chunk) < chunk_size:
                # The stream ended, so Django closed its cursor: give the connection back
                # before yielding, or a caller that breaks out would keep it.
                rows = None
                if share is not None:
                    share.leave()
                    share = None
                for item in chunk:
                    yield item
                return
            for item in chunk:
                yield item
    finally:
        try:
            close = getattr(rows, "close", None)
            if close is not None:
                await run(close)
        finally:
            if share is not None:
                share.leave()


class NativeAtomic:
    """``async with native_atomic(using=...)``: Django's ``atomic()`` on one native connection.

    Use :func:`native_atomic` to make one.
    """

    def __init__(self, using: str | None, savepoint: bool, durable: bool) -> None:
        self.using = using
        self.savepoint = savepoint
        self.durable = durable
        self._binding: _Binding | None = None
        self._token: Token[Mapping[str, _Binding]] | None = None
        self._atomic: transaction.Atomic | None = None
        self._routed: RoutedAtomic | None = None

    def __call__[**P, T](self, func: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        """Decorate an async function: each call runs inside a fresh block."""
        if not iscoroutinefunction(func):
            raise TypeError(
                f"native_atomic() decorates async functions; {func!r} is not one "
                "(decorate sync code with django.db.transaction.atomic)"
            )

        @functools.wraps(func)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> T:
            async with NativeAtomic(self.using, self.savepoint, self.durable):
                return await func(*args, **kwargs)

        return markcoroutinefunction(inner)

    async def __aenter__(self) -> None:
        alias = self.using or DEFAULT_DB_ALIAS
        task = asyncio.current_task()
        bindings = _bindings.get()
        binding = bindings.get(alias)
        if binding is None and in_test_environment():
            route = await find_test_route(alias)
            if route is not None:  # inside a TestCase: a savepoint on the test's connection
                routed = RoutedAtomic(alias, route, savepoint=self.savepoint, durable=self.durable)
                await routed.__aenter__()
                self._routed = routed
                return
        if binding is None or not binding.active:
            pool = await _pool(alias)
            wrapper = await pool.acquire()
            binding = _Binding(alias, wrapper, pool)
            self._token = _bindings.set({**bindings, alias: binding})
        elif binding.levels and binding.levels[-1] is not task:
            raise foreign_task_error(alias)
        self._binding = binding
        binding.levels.append(task)
        self._atomic = transaction.atomic(
            using=alias, savepoint=self.savepoint, durable=self.durable
        )
        try:
            await binding.run(self._atomic.__enter__)
        except BaseException:
            self._finish()
            raise

    async def __aexit__(self, *exc_info: *ExcInfo) -> None:
        if self._routed is not None:
            routed, self._routed = self._routed, None
            await routed.__aexit__(*exc_info)
            return
        assert self._binding is not None
        assert self._atomic is not None
        try:
            await self._binding.run(self._atomic.__exit__, *exc_info)
        finally:
            self._finish()

    def _finish(self) -> None:
        binding = self._binding
        assert binding is not None
        binding.levels.pop()
        if self._token is not None:
            binding.active = False
            _bindings.reset(self._token)
            self._token = None
            binding.pool.release(binding.wrapper)


def native_atomic(
    using: str | None = None, *, savepoint: bool = True, durable: bool = False
) -> NativeAtomic:
    """A transaction block on the native path: ``async with native_atomic(using=...):``.

    The calling task (and the tasks it starts inside the block, one call at a time) keeps
    one connection for the block; ``run_native`` calls inside it join the transaction.
    Nested blocks must be opened by the task holding the enclosing one.
    Leaving the block with an exception, cancellation included, rolls it back. Nested
    blocks make savepoints, as ``transaction.atomic`` does. Also a decorator for async
    functions.
    """
    return NativeAtomic(using, savepoint, durable)
