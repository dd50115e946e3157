"""A bounded free list of ready native wrappers, one per (event loop, alias).

A wrapper that served a call goes back to the list with its asyncpg connection open, so the
next call starts with no connect, no reset query and a warm statement cache. It goes back
only when it is clean (no transaction, savepoint, hook or cursor left, connection alive);
anything else is terminated, which makes the server roll back and free the backend. At most
``native_max_size`` wrappers exist per loop; callers beyond that wait in FIFO order (up to
``native_acquire_timeout``). ``native_min_size`` connections are opened when the pool is
created (first use on a loop). Connections are not closed for being idle: they live until
they break, the settings they were made with change, or the loop ends.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Any

from django.core.signals import setting_changed
from django.db import connections

from django_asyncx.exceptions import PoolTimeoutError
from django_asyncx.loops import LoopResource
from django_asyncx.options import NativeOptions

from .wrapper import NativeDatabaseWrapper

__all__ = ["WrapperPool", "all_pools", "get_pool"]

_generation = 0


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # Time zone settings are fixed per connection: wrappers made before a change retire.
    global _generation
    if setting in ("TIME_ZONE", "USE_TZ", "DATABASES"):
        _generation += 1


setting_changed.connect(_on_setting_changed, dispatch_uid="django_asyncx.native.pool")


class WrapperPool:
    """The free list of one alias on one event loop.

    The alias's ``OPTIONS`` are parsed once, when the pool is created; each wrapper it makes
    reuses those :attr:`options`.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.options: NativeOptions = NativeOptions.for_alias(alias, connections.settings[alias])
        self.size = 0
        #: How many wrappers open ``native_iterator()`` streams hold (one per task).
        self.iterators = 0
        self._free: list[NativeDatabaseWrapper] = []
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    def __repr__(self) -> str:
        return f"<WrapperPool {self.alias!r} size={self.size} free={len(self._free)}>"

    @property
    def free(self) -> int:
        """How many ready wrappers wait in the list."""
        return len(self._free)

    @property
    def closed(self) -> bool:
        """Whether the pool was closed (its loop ended)."""
        return self._closed

    @property
    def waiting(self) -> int:
        """How many callers wait for a wrapper (all ``native_max_size`` are in use)."""
        return len(self._waiters)

    @property
    def connected(self) -> int:
        """How many free wrappers hold an open connection."""
        return sum(1 for w in self._free if w.connection is not None and not w.connection.closed)

    async def acquire(self) -> NativeDatabaseWrapper:
        """A wrapper for one call: a ready one, a new one, or the next one released."""
        while True:
            wrapper = self.take()
            if wrapper is not None:
                return wrapper
            await self._wait()

    def take(self) -> NativeDatabaseWrapper | None:
        """A ready wrapper or a new one, without waiting; ``None`` when all are in use.

        The common case of :meth:`acquire`, which callers on a hot path try first: it
        needs no coroutine.
        """
        if self._closed:
            raise RuntimeError(f"the native pool of {self.alias!r} is closed")
        while self._free:
            wrapper = self._free.pop()
            # Checked clean on release; here only whether it died or retired since.
            connection = wrapper.connection
            if wrapper.generation == _generation and (connection is None or not connection.closed):
                return wrapper
            self._discard(wrapper)
        if self.size < self.options.max_size:
            self.size += 1
            return NativeDatabaseWrapper(
                connections.settings[self.alias],
                self.alias,
                generation=_generation,
                native_options=self.options,
            )
        return None

    async def _wait(self) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            if self.options.acquire_timeout is None:
                await future
            else:
                async with asyncio.timeout(self.options.acquire_timeout):
                    await future
        except BaseException as exc:
            if future.done() and not future.cancelled():
                self._wake()  # woken, but leaving: pass the turn on
            future.cancel()
            if isinstance(exc, TimeoutError):
                raise PoolTimeoutError(
                    f"no native connection of {self.alias!r} became free within "
                    f'{self.options.acquire_timeout}s (DATABASES["{self.alias}"]["OPTIONS"]'
                    f'["native_max_size"] is {self.options.max_size}){self._held_by_iterators()}',
                    retry_after=max(1, math.ceil(self.options.acquire_timeout or 1)),
                ) from None
            raise
        finally:
            if future in self._waiters:
                self._waiters.remove(future)

    def _held_by_iterators(self) -> str:
        if not self.iterators:
            return ""
        return (
            f"; {self.iterators} of them held by open aiterator()/native_iterator() streams: "
            "close a stream left early (async with contextlib.aclosing(qs.aiterator()) as rows)"
        )

    def _wake(self) -> None:
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                return

    def release(self, wrapper: NativeDatabaseWrapper) -> None:
        """Take ``wrapper`` back: into the free list if clean, else terminated."""
        if self._closed or wrapper.generation != _generation or not wrapper.is_clean():
            self._discard(wrapper)
        else:
            self._free.append(wrapper)
        self._wake()

    def _discard(self, wrapper: NativeDatabaseWrapper) -> None:
        self.size -= 1
        connection = wrapper.connection
        wrapper.connection = None
        if connection is not None and not connection.closed:
            connection.raw.terminate()

    async def aclose(self) -> None:
        """Close the free wrappers' connections; wrappers in use close when released."""
        self._closed = True
        free, self._free = self._free, []
        for wrapper in free:
            self.size -= 1
            connection = wrapper.connection
            wrapper.connection = None
            if connection is not None and not connection.closed:
                try:
                    await asyncio.wait_for(connection.raw.close(), 2)
                except BaseException:
                    connection.raw.terminate()
                    raise
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)  # they see the pool closed


_resources: dict[str, LoopResource[WrapperPool]] = {}


async def _close_pool(pool: WrapperPool) -> None:
    await pool.aclose()


async def _create_pool(alias: str) -> WrapperPool:
    pool = WrapperPool(alias)
    if pool.options.min_size:
        wrappers = [await pool.acquire() for _ in range(pool.options.min_size)]
        try:
            for wrapper in wrappers:
                await wrapper.aensure_connection()
        except BaseException:
            await pool.aclose()
            for wrapper in wrappers:
                pool.release(wrapper)
            raise
        for wrapper in wrappers:
            pool.release(wrapper)
    return pool


async def get_pool(alias: str) -> WrapperPool:
    """The running loop's pool for ``alias`` (created on first use, closed with the loop)."""
    resource = _resources.get(alias)
    if resource is None:
        resource = _resources.setdefault(
            alias,
            LoopResource(
                f"django_asyncx.native[{alias}]",
                create=lambda: _create_pool(alias),
                close=_close_pool,
            ),
        )
    return await resource.aget()


def all_pools() -> list[WrapperPool]:
    """The pools of every alias on every loop, as they are now (metrics, the health view)."""
    return [pool for resource in list(_resources.values()) for pool in resource.values()]
