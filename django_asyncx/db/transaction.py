"""Async transactions: ``async with atomic():`` and ``@atomic`` on async functions.

::

    from django_asyncx.db import atomic

    async with atomic():
        account = await Account.objects.select_for_update().aget(pk=1)
        account.balance -= 10
        await account.asave()

The outermost block reserves one thread of the ``db`` executor and enters Django's
``transaction.atomic()`` on it. Until the block ends, the task's database calls run on that
thread and its connection, inside the transaction: :func:`~django_asyncx.db.run_in_db` calls
and Django's own a-methods (``aget``, ``acreate``, ``asave``, ``async for``...), because the
block enters asgiref's ``ThreadSensitiveContext(executor=...)`` with that thread. Nested
blocks are savepoints. An exception or a cancellation rolls back; ``on_commit`` callbacks run
after the commit (see :func:`aon_commit` for async ones).

For an alias on the native engine the block is the native path's (one asyncpg connection
bound to the task for the block, no thread; see
:func:`django_asyncx.db.backends.postgresql.native.native_atomic`), with the same rules.

Inside Django's ``TestCase`` the block is a savepoint on the test's connection instead, and
blocks of different tasks take turns (:class:`~django_asyncx.db.testing.RoutedAtomic`).

Tasks spawned inside the block share its transaction while it lasts; a database call they
make after it ended raises :class:`~django_asyncx.exceptions.TransactionTaskError` (Django's
a-methods raise asgiref's ``RuntimeError``) instead of running outside the transaction.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, overload

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, async_to_sync, iscoroutinefunction
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.db import transaction as django_transaction

from django_asyncx.exceptions import ConfigurationError
from django_asyncx.executors import Lane, aget_executor
from django_asyncx.types import ExcInfo

from .block import Block, committing, current_block, finish, foreign_task_error, task_block
from .bridge import NATIVE, _path, run_in_db
from .testing import RoutedAtomic, find_test_route, in_test_environment, run_on_test_connection

if TYPE_CHECKING:
    from .backends.postgresql.native import NativeAtomic

__all__ = ["AsyncAtomic", "aon_commit", "atomic"]


async def _on_block_thread[R](fn: Callable[..., R], *args: Any) -> R:
    return await SyncToAsync(partial(fn, *args), thread_sensitive=True)()


async def _acquire_lane() -> Lane:
    pool = await aget_executor("db")
    future = pool.acquire_lane()
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if not future.cancel():  # a thread already took the request: hand the lane back

            def release(done: concurrent.futures.Future[Lane]) -> None:
                if not done.cancelled() and done.exception() is None:
                    done.result().release()

            future.add_done_callback(release)
        raise


def _is_native(alias: str) -> bool:
    return _path(alias) == NATIVE


class AsyncAtomic:
    """``async with AsyncAtomic(using, savepoint=..., durable=...)``: see :func:`atomic`."""

    def __init__(
        self, using: str | None = None, *, savepoint: bool = True, durable: bool = False
    ) -> None:
        if using is not None and not isinstance(using, str):
            raise TypeError(f"atomic(using=...) takes a database alias or None, got {using!r}")
        self.using = using
        self.savepoint = savepoint
        self.durable = durable
        self._entered: list[tuple[Block, bool, list[Any], Any]] = []
        # Per level: the native or routed block it delegated to, or None (the thread path).
        self._delegates: list[NativeAtomic | RoutedAtomic | None] = []

    def _alias(self) -> str:
        alias = self.using or DEFAULT_DB_ALIAS
        if alias not in connections.settings:
            raise ConfigurationError(
                f"atomic(using={alias!r}): not a database alias; aliases: "
                f"{', '.join(connections.settings)}"
            )
        return alias

    async def __aenter__(self) -> AsyncAtomic:
        alias = self._alias()
        delegate: NativeAtomic | RoutedAtomic | None = None
        if in_test_environment() and (route := await find_test_route(alias)) is not None:
            delegate = RoutedAtomic(alias, route, savepoint=self.savepoint, durable=self.durable)
        elif _is_native(alias):
            from .backends.postgresql.native import NativeAtomic

            delegate = NativeAtomic(alias, self.savepoint, self.durable)
        if delegate is not None:
            await delegate.__aenter__()
            self._delegates.append(delegate)
            return self
        task = asyncio.current_task()
        block = current_block()
        outermost = block is None or block.exited or block.closing
        if block is not None and not outermost and block.levels[-1] is not task:
            raise foreign_task_error(alias)
        token = None
        if outermost:
            lane = await _acquire_lane()
            context = ThreadSensitiveContext(executor=lane)
            await context.__aenter__()  # type: ignore[no-untyped-call]
            block = Block(lane, context)
            token = task_block.set(block)
        assert block is not None
        django_atomic: list[Any] = []  # holds Django's Atomic once entered on the thread
        block.levels.append(task)
        try:
            await finish(_on_block_thread(self._enter, alias, outermost, django_atomic))
        except BaseException as exc:
            try:
                if django_atomic:  # entered, then cancelled: leave the transaction
                    await finish(_on_block_thread(self._exit, django_atomic, outermost, exc))
            finally:
                block.levels.pop()
                if outermost:
                    await self._close_block(block, token)
            raise
        self._entered.append((block, outermost, django_atomic, token))
        self._delegates.append(None)
        return self

    async def __aexit__(self, *exc_info: *ExcInfo) -> None:
        delegate = self._delegates.pop()
        if delegate is not None:
            await delegate.__aexit__(*exc_info)
            return
        block, outermost, django_atomic, token = self._entered.pop()
        if outermost:
            block.closing = True
        try:
            await finish(_on_block_thread(self._exit, django_atomic, outermost, exc_info[1]))
        finally:
            block.levels.pop()
            if outermost:
                await self._close_block(block, token)

    def _enter(self, alias: str, outermost: bool, holder: list[Any]) -> None:
        if outermost:
            close_old_connections()
        django_atomic = django_transaction.atomic(
            using=alias, savepoint=self.savepoint, durable=self.durable
        )
        django_atomic.__enter__()
        holder.append(django_atomic)

    def _exit(self, holder: list[Any], outermost: bool, exc: BaseException | None) -> None:
        token = committing.set(True)
        try:
            if exc is None:
                holder[0].__exit__(None, None, None)
            else:
                holder[0].__exit__(type(exc), exc, exc.__traceback__)
        finally:
            committing.reset(token)
            if outermost:
                close_old_connections()

    async def _close_block(self, block: Block, token: Any) -> None:
        block.exited = True
        if token is not None:
            task_block.reset(token)
        assert block.context is not None
        assert block.lane is not None
        await block.context.__aexit__(None, None, None)  # type: ignore[no-untyped-call]
        block.lane.release()

    def __call__[**P, R](
        self, func: Callable[P, Coroutine[Any, Any, R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        """Decorate an async function: each call runs in its own block."""
        if not iscoroutinefunction(func):
            raise TypeError(
                f"django_asyncx.db.atomic decorates async functions, got {func!r}; use "
                "django.db.transaction.atomic for sync ones"
            )

        @wraps(func)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            async with AsyncAtomic(self.using, savepoint=self.savepoint, durable=self.durable):
                return await func(*args, **kwargs)

        return inner


@overload
def atomic[**P, R](
    using: Callable[P, Coroutine[Any, Any, R]], savepoint: bool = True, durable: bool = False
) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def atomic(
    using: str | None = None, savepoint: bool = True, durable: bool = False
) -> AsyncAtomic: ...


def atomic(using: Any = None, savepoint: bool = True, durable: bool = False) -> Any:
    """An async transaction block on the database ``using``; also a decorator (bare or called).

    Django's signature and semantics (:func:`django.db.transaction.atomic`): ``async with
    atomic(using="replica", savepoint=False, durable=True):``, ``@atomic``, ``@atomic()``,
    ``@atomic("replica")`` and ``@atomic(using="replica")`` on an async function. Nested
    blocks are savepoints (unless ``savepoint=False``), ``durable=True`` raises
    ``RuntimeError`` when nested in another block. An exception or a cancellation inside the
    block rolls back and propagates. The block holds one ``db`` executor thread until it ends.
    """
    if callable(using):
        return AsyncAtomic(savepoint=savepoint, durable=durable)(using)
    return AsyncAtomic(using, savepoint=savepoint, durable=durable)


async def aon_commit(
    callback: Callable[[], Any], /, *, using: str | None = None, robust: bool = False
) -> None:
    """Run ``callback`` (sync or async) after the enclosing block commits.

    Like :func:`django.db.transaction.on_commit`, in registration order with the callbacks
    Django code registers; dropped on rollback; run at once outside a transaction. A sync
    callback runs on the block's thread; an async one on the event loop while that thread
    waits, so it may use the database too. With ``robust=True`` an exception is logged
    instead of raised.
    """
    if not callable(callback):
        raise TypeError(f"aon_commit() needs a callable, got {callback!r}")
    sync_callback: Callable[[], Any] = (
        async_to_sync(callback) if iscoroutinefunction(callback) else callback
    )
    alias = using or DEFAULT_DB_ALIAS
    if in_test_environment() and await find_test_route(alias) is not None:
        # Django's on_commit on the test's connection, as stock code in a TestCase registers
        # it: captureOnCommitCallbacks sees it.
        block = current_block()
        if block is not None:
            block.check_usable()
        await run_on_test_connection(
            django_transaction.on_commit, sync_callback, using=alias, robust=robust
        )
        return
    if _is_native(alias):
        # On the native path Django's hooks run in the greenlet, which can await: register
        # the callback with Django, on the task's native connection (its block's, if any).
        from .greenlet import await_only

        hook = (lambda: await_only(callback())) if iscoroutinefunction(callback) else callback
        # run_in_db's using= picks the path; on_commit needs its own using= too.
        register = partial(django_transaction.on_commit, hook, using=using, robust=robust)
        await run_in_db(register, using=using)
        return
    block = current_block()
    if block is None:
        if iscoroutinefunction(callback):
            await _run_now(callback, robust)
            return
        # run_in_db's using= picks the path; on_commit needs its own using= too.
        register = partial(django_transaction.on_commit, callback, using=using, robust=robust)
        await run_in_db(register, using=using)
        return
    block.check_usable()
    await _on_block_thread(django_transaction.on_commit, sync_callback, using, robust)


async def _run_now(callback: Callable[[], Awaitable[Any]], robust: bool) -> None:
    if not robust:
        await callback()
        return
    try:
        await callback()
    except Exception as exc:
        logging.getLogger("django.db.backends.base").exception(
            "Error calling %s in on_commit() (%s).",
            getattr(callback, "__qualname__", callback),
            exc,
        )
