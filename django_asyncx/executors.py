"""Named, bounded thread pools for blocking calls made from async code.

::

    from django_asyncx.executors import blocking, run_in_executor

    data = await run_in_executor(Path("report.csv").read_bytes)

    @blocking
    def resize(image: bytes) -> bytes: ...

    thumbnail = await resize(image)

Pools are declared in ``ASYNCX["EXECUTORS"]``; ``db`` (used by
:func:`django_asyncx.db.run_in_db`) and ``blocking`` (the default here) always exist. A pool
(a :class:`~django_asyncx.threadpool.BoundedExecutor`) is created on first use in a process
and shut down when the last event loop that used it ends (lifespan shutdown, or the end of
``asyncio.run()``); its threads close their Django database connections as they stop. The
next use after a shutdown creates it again.

Cancelling a caller never wedges a pool: a call still waiting in the queue is dropped, and the
caller gets ``CancelledError`` at once. A call already running on a thread cannot be stopped
(Python has no way to interrupt a thread): it runs to its end, holding its thread; its result
is discarded, and an exception it raises is logged by the ``django_asyncx.executors`` logger.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from functools import wraps
from inspect import CO_COROUTINE
from types import FunctionType, MethodType
from typing import Any, ParamSpec, TypeVar, cast, overload

from asgiref.sync import SyncToAsync, iscoroutinefunction

from .conf import asyncx_settings
from .exceptions import ConfigurationError
from .loops import LoopResource
from .options import ExecutorConfig
from .threadpool import BoundedExecutor, ExecutorStats, Lane

__all__ = [
    "BoundedExecutor",
    "ExecutorStats",
    "Lane",
    "aget_executor",
    "ashutdown_executors",
    "blocking",
    "call_in_executor",
    "executor_stats",
    "get_executor",
    "run_in_executor",
    "shutdown_executors",
]

logger = logging.getLogger("django_asyncx.executors")

P = ParamSpec("P")
R = TypeVar("R")

_DEFAULT_DB_WORKERS = 8
_SHUTDOWN_GRACE = 10.0

# ------------------------------------------------------------------------------- the registry

_executors: dict[str, BoundedExecutor] = {}
_registry_lock = threading.Lock()
_loops_using: set[asyncio.AbstractEventLoop] = set()


def _db_pool_size() -> int:
    """The smallest psycopg pool ``max_size`` among the databases, else 8."""
    from django.conf import settings

    sizes = []
    for entry in settings.DATABASES.values():
        pool = entry.get("OPTIONS", {}).get("pool")
        if pool is True:
            sizes.append(4)  # psycopg_pool's default min_size, which max_size defaults to
        elif isinstance(pool, dict):
            sizes.append(int(pool.get("max_size") or pool.get("min_size", 4)))
    return min(sizes) if sizes else _DEFAULT_DB_WORKERS


def _size(name: str, config: ExecutorConfig) -> int:
    if config.max_workers is not None:
        return config.max_workers
    if name == "db":
        return _db_pool_size()
    return min(32, (os.cpu_count() or 1) + 4)


def get_executor(name: str) -> BoundedExecutor:
    """The process's pool called ``name``, created on first use from ``ASYNCX["EXECUTORS"]``.

    Automatic sizes (``max_workers`` left out or ``None``): ``db`` gets the smallest psycopg
    pool ``max_size`` among ``DATABASES`` (``OPTIONS["pool"]``), else 8; any other pool gets
    ``min(32, cpu_count + 4)`` like ``ThreadPoolExecutor``.
    """
    executor = _executors.get(name)
    if executor is not None:
        return executor
    configs: dict[str, ExecutorConfig] = asyncx_settings.EXECUTORS
    if name not in configs:
        raise ConfigurationError(
            f"executor {name!r} is not configured; configured: {', '.join(sorted(configs))} "
            '(declare it in ASYNCX["EXECUTORS"])'
        )
    with _registry_lock:
        executor = _executors.get(name)
        if executor is None:
            config = configs[name]
            executor = _executors[name] = BoundedExecutor(
                name, _size(name, config), queue_warn_ms=config.queue_warn_ms
            )
    return executor


def executor_stats() -> dict[str, ExecutorStats]:
    """A snapshot of every pool created in this process, by name."""
    return {name: executor.stats() for name, executor in list(_executors.items())}


def shutdown_executors(*, grace: float | None = _SHUTDOWN_GRACE) -> None:
    """Shut every pool down and wait up to ``grace`` seconds for its threads.

    Threads finish the calls already queued and close their database connections. A thread
    still running after ``grace`` (a call that does not return) is logged and left behind.
    The next use of a pool creates it again.
    """
    with _registry_lock:
        executors = list(_executors.values())
        _executors.clear()
    for executor in executors:
        executor.stop()
    deadline = None if grace is None else time.monotonic() + grace
    for executor in executors:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        alive = executor.join(remaining)
        if alive:
            logger.warning(
                "executor %r: %d thread(s) still running a call %s s after shutdown: %s",
                executor.name,
                len(alive),
                grace,
                ", ".join(thread.name for thread in alive),
            )


async def ashutdown_executors(*, grace: float | None = _SHUTDOWN_GRACE) -> None:
    """:func:`shutdown_executors` without blocking the event loop."""
    done: Future[None] = Future()

    def join() -> None:
        try:
            shutdown_executors(grace=grace)
        finally:
            with contextlib.suppress(Exception):
                done.set_result(None)

    # A dedicated thread, not the loop's default executor, which may itself be shutting down.
    threading.Thread(target=join, name="asyncx-executors-shutdown", daemon=True).start()
    await asyncio.wrap_future(done)


def _track_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.get_running_loop()
    _loops_using.add(loop)
    return loop


async def _release_loop(loop: asyncio.AbstractEventLoop) -> None:
    _loops_using.discard(loop)
    # A loop closed without shutting down never releases: it must not keep the pools alive.
    for stale in [other for other in _loops_using if other.is_closed()]:
        _loops_using.discard(stale)
    if not _loops_using:
        await ashutdown_executors()


# One value per loop: its closing (lifespan shutdown or loop end) releases the loop, and the
# last loop to go shuts the pools down.
_loop_users: LoopResource[asyncio.AbstractEventLoop] = LoopResource(
    "django_asyncx.executors", create=_track_loop, close=_release_loop
)


async def aget_executor(name: str) -> BoundedExecutor:
    """:func:`get_executor`, tying the pools' life to the running event loop."""
    await _loop_users.aget()
    return get_executor(name)


atexit.register(shutdown_executors, grace=5.0)


def _forget_after_fork() -> None:
    _executors.clear()  # the threads did not survive the fork
    _loops_using.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


# ------------------------------------------------------------------------------ the async API


def _require_sync(fn: object, who: str) -> None:
    if not callable(fn):
        raise TypeError(f"{who}() needs a sync callable, got {fn!r}")
    func: Any = fn
    if isinstance(func, MethodType):
        func = func.__func__
    # The common case, a plain function, lambda or bound method: without attributes it
    # carries no coroutine marker, so its code's flag is the whole answer (as inspect reads
    # it), and its type's __call__ is never a coroutine function.
    if (
        isinstance(func, FunctionType)
        and not func.__dict__
        and not func.__code__.co_flags & CO_COROUTINE
    ):
        return
    if iscoroutinefunction(fn) or iscoroutinefunction(type(fn).__call__):
        raise TypeError(
            f"{who}() runs sync code in a thread, got the coroutine function "
            f"{getattr(fn, '__qualname__', fn)!r}; await it directly instead"
        )


async def call_in_executor[R](
    executor: Executor, fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> R:
    """Run ``fn`` on ``executor`` through asgiref, logging the error of an abandoned call.

    asgiref copies the context variables into the call and lets ``async_to_sync`` inside it
    reach back to this loop.
    """
    abandoned = False

    def call() -> R:
        try:
            return fn(*args, **kwargs)
        except Exception:
            if abandoned:
                logger.exception(
                    "%s raised after its caller was cancelled",
                    getattr(fn, "__qualname__", fn),
                )
            raise

    # asgiref types ``executor`` as ThreadPoolExecutor but only calls its submit().
    runner = SyncToAsync(call, thread_sensitive=False, executor=cast(ThreadPoolExecutor, executor))
    try:
        return await runner()
    except asyncio.CancelledError:
        abandoned = True
        raise


async def run_in_executor[R](
    fn: Callable[..., R], /, *args: Any, executor: str = "blocking", **kwargs: Any
) -> R:
    """Run the blocking ``fn(*args, **kwargs)`` on the pool called ``executor``; await it.

    Context variables propagate into the call. ``executor`` is taken by this function: pass
    a function that needs an ``executor`` argument through :func:`functools.partial`. Use
    :func:`django_asyncx.db.run_in_db` for ORM code (it manages connections).
    """
    _require_sync(fn, "run_in_executor")
    pool = await aget_executor(executor)
    return await call_in_executor(pool, fn, args, kwargs)


@overload
def blocking[**P, R](fn: Callable[P, R], /) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def blocking(
    *, executor: str = "blocking"
) -> Callable[[Callable[P, R]], Callable[P, Coroutine[Any, Any, R]]]: ...


def blocking[**P, R](fn: Callable[P, R] | None = None, /, *, executor: str = "blocking") -> Any:
    """Turn a blocking function into an async one that runs on a pool.

    Bare (``@blocking``) or called (``@blocking(executor="reports")``). Applying it to a
    coroutine function is a ``TypeError``.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
        _require_sync(func, "blocking")

        @wraps(func)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            pool = await aget_executor(executor)
            return await call_in_executor(pool, func, args, kwargs)

        return inner

    if fn is None:
        return decorate
    return decorate(fn)
