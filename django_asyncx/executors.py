"""Named, bounded thread pools for blocking calls made from async code.

::

    from django_asyncx.executors import blocking, run_in_executor

    data = await run_in_executor(Path("report.csv").read_bytes)

    @blocking
    def resize(image: bytes) -> bytes: ...

    thumbnail = await resize(image)

Pools are declared in ``ASYNCX["EXECUTORS"]``; ``db`` (used by
:func:`django_asyncx.db.run_in_db`) and ``blocking`` (the default here) always exist. A pool
is created on first use in a process and shut down when the last event loop that used it
ends (lifespan shutdown, or the end of ``asyncio.run()``); its threads close their Django
database connections as they stop. The next use after a shutdown creates it again.

Cancelling a caller never wedges a pool: a call still waiting in the queue is dropped, and the
caller gets ``CancelledError`` at once. A call already running on a thread cannot be stopped
(Python has no way to interrupt a thread): it runs to its end, holding its thread; its result
is discarded, and an exception it raises is logged by the ``django_asyncx.executors`` logger.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar, cast, overload

from asgiref.sync import SyncToAsync, iscoroutinefunction

from .conf import ExecutorConfig, asyncx_settings
from .exceptions import ConfigurationError
from .loops import LoopResource

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
_WARN_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class ExecutorStats:
    """A snapshot of one pool: sizes now, and totals since it was created.

    ``queued`` calls wait for a thread; ``busy`` threads run a call or are pinned to a
    transaction; times are in seconds.
    """

    name: str
    max_workers: int
    threads: int
    busy: int
    queued: int
    completed: int
    cancelled: int
    queue_wait_total: float
    queue_wait_max: float
    run_time_total: float
    run_time_max: float


class _Item:
    __slots__ = ("args", "enqueued", "fn", "future", "kwargs", "pin")

    def __init__(
        self, fn: Callable[..., Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.future: Future[Any] = Future()
        self.enqueued = time.monotonic()
        self.pin = fn is None


_STOP = object()
_RELEASE = object()


class _Worker:
    __slots__ = ("inbox", "pinned", "stopped", "thread", "wakeup")

    def __init__(self, lock: threading.Lock) -> None:
        self.inbox: collections.deque[Any] = collections.deque()
        self.pinned = False
        self.stopped = False
        self.thread: threading.Thread | None = None
        # One condition per thread over the pool's lock: a delivery wakes its thread only.
        self.wakeup = threading.Condition(lock)


class Lane(Executor):
    """One thread of a :class:`BoundedExecutor`, reserved for one caller until released.

    ``async with atomic()`` holds a lane for its block, so every call in the block (its own
    and Django's ``aget``/``asave``...) runs on one thread and one connection.
    """

    def __init__(self, pool: BoundedExecutor, worker: _Worker) -> None:
        self._pool = pool
        self._worker = worker
        self._released = False

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        """Run ``fn(*args, **kwargs)`` on this lane's thread, after the calls before it."""
        if self._released:
            raise RuntimeError(f"lane of executor {self._pool.name!r} was released")
        item = _Item(fn, args, kwargs)
        self._pool._deliver(self._worker, item)
        return item.future

    def release(self) -> None:
        """Give the thread back to the pool once the calls already submitted have run."""
        if not self._released:
            self._released = True
            self._pool._deliver(self._worker, _RELEASE)


class BoundedExecutor(Executor):
    """A thread pool with at most ``max_workers`` threads, started on demand.

    Calls run in submission order. :meth:`stats` reports queue length, queue wait and run
    time; a call that waited longer than ``queue_warn_ms`` logs a warning (at most one a
    second). Threads close their Django database connections when they stop.
    """

    def __init__(self, name: str, max_workers: int, *, queue_warn_ms: float | None = 100.0):
        if max_workers < 1:
            raise ValueError(f"executor {name!r}: max_workers must be >= 1, got {max_workers}")
        self.name = name
        self.max_workers = max_workers
        self.queue_warn = None if queue_warn_ms is None else queue_warn_ms / 1000
        self._lock = threading.Lock()
        self._queue: collections.deque[_Item] = collections.deque()
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._shutdown = False
        self._busy = 0
        self._completed = 0
        self._cancelled = 0
        self._wait_total = self._wait_max = self._run_total = self._run_max = 0.0
        self._slow_waits = 0
        self._warned_at = 0.0

    def __repr__(self) -> str:
        return f"<BoundedExecutor {self.name!r} max_workers={self.max_workers}>"

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        """Queue ``fn(*args, **kwargs)``; a free thread (or a new one, up to the bound) runs it."""
        item = _Item(fn, args, kwargs)
        self._enqueue(item)
        return item.future

    def acquire_lane(self) -> Future[Lane]:
        """Reserve a thread; the future resolves to a :class:`Lane` when one is free.

        Cancelling the future while it waits gives up the place in the queue; a lane
        obtained and not wanted must be released.
        """
        item = _Item(None, (), {})
        self._enqueue(item)
        return item.future

    def stats(self) -> ExecutorStats:
        """The current sizes and the totals since creation."""
        with self._lock:
            return ExecutorStats(
                name=self.name,
                max_workers=self.max_workers,
                threads=len(self._workers),
                busy=self._busy,
                queued=len(self._queue),
                completed=self._completed,
                cancelled=self._cancelled,
                queue_wait_total=self._wait_total,
                queue_wait_max=self._wait_max,
                run_time_total=self._run_total,
                run_time_max=self._run_max,
            )

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking calls and stop the threads once their current call returns.

        Calls still queued fail with ``RuntimeError`` (or are cancelled, with
        ``cancel_futures``).
        """
        self.stop(cancel_futures=cancel_futures)
        if wait:
            self.join()

    def stop(self, *, cancel_futures: bool = False) -> None:
        """Like :meth:`shutdown` without waiting for the threads."""
        with self._lock:
            self._shutdown = True
            queued = list(self._queue)
            self._queue.clear()
            workers = list(self._workers)
        if cancel_futures:
            for item in queued:
                item.future.cancel()
        _fail(queued, self.name)
        for worker in workers:
            self._deliver(worker, _STOP)

    def join(self, timeout: float | None = None) -> list[threading.Thread]:
        """Wait for the threads to stop; return those still running after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        alive = []
        for worker in list(self._workers):
            thread = worker.thread
            if thread is None or thread is threading.current_thread():
                continue
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
            if thread.is_alive():
                alive.append(thread)
        return alive

    # ----------------------------------------------------------------------------- internals

    def _enqueue(self, item: _Item) -> None:
        with self._lock:
            if self._shutdown:
                raise RuntimeError(f"executor {self.name!r} is shut down")
            if self._idle and not self._queue:
                worker = self._idle.pop()
            elif len(self._workers) < self.max_workers:
                worker = _Worker(self._lock)
                self._workers.append(worker)
                worker.thread = threading.Thread(
                    target=self._work,
                    args=(worker,),
                    name=f"asyncx-{self.name}-{len(self._workers)}",
                    daemon=True,
                )
                worker.inbox.append(item)
                self._busy += 1
                worker.thread.start()
                return
            else:
                self._queue.append(item)
                return
            self._busy += 1
            worker.inbox.append(item)
            worker.wakeup.notify()

    def _deliver(self, worker: _Worker, item: object) -> None:
        with self._lock:
            if not worker.stopped:
                worker.inbox.append(item)
                worker.wakeup.notify()
                return
        if isinstance(item, _Item):  # its thread is gone: fail the call rather than hang
            _fail([item], self.name)

    def _work(self, worker: _Worker) -> None:
        try:
            while True:
                with self._lock:
                    while not worker.inbox:
                        worker.wakeup.wait()
                    item = worker.inbox.popleft()
                if item is _STOP:
                    return
                if item is _RELEASE:
                    worker.pinned = False
                    with self._lock:
                        self._hand_on(worker)
                else:
                    self._run(worker, item)
        finally:
            _close_thread_connections(self.name)
            with self._lock:
                worker.stopped = True
                left = [item for item in worker.inbox if isinstance(item, _Item)]
                worker.inbox.clear()
            _fail(left, self.name)

    def _hand_on(self, worker: _Worker) -> None:
        """Give the free ``worker`` the oldest queued item, or mark it idle (lock held)."""
        if self._queue and not self._shutdown:
            worker.inbox.append(self._queue.popleft())
        else:
            self._busy -= 1
            self._idle.append(worker)

    def _run(self, worker: _Worker, item: _Item) -> None:
        future = item.future
        if not future.set_running_or_notify_cancel():
            with self._lock:
                self._cancelled += 1
                if not worker.pinned:
                    self._hand_on(worker)
            return
        started = time.monotonic()
        waited = started - item.enqueued
        outcome: tuple[bool, Any]
        if item.pin:
            worker.pinned = True
            outcome = (True, Lane(self, worker))
        else:
            try:
                outcome = (True, item.fn(*item.args, **item.kwargs))  # type: ignore[misc]
            except BaseException as exc:
                outcome = (False, exc)
                del exc  # no reference cycle through the traceback
        ran = time.monotonic() - started
        # Count, and hand the thread on, before resolving the future: the caller then sees
        # its call in stats() and the thread free.
        with self._lock:
            if not worker.pinned:
                self._hand_on(worker)
            self._completed += 1
            self._wait_total += waited
            self._wait_max = max(self._wait_max, waited)
            self._run_total += ran
            self._run_max = max(self._run_max, ran)
            slow = self.queue_warn is not None and waited > self.queue_warn
            if slow:
                self._slow_waits += 1
            report = slow and started - self._warned_at >= _WARN_INTERVAL
            if report:
                self._warned_at, slow_waits, self._slow_waits = started, self._slow_waits, 0
                queued, busy = len(self._queue), self._busy
        if report:
            logger.warning(
                "executor %r: a call waited %.0f ms for a thread (threshold %.0f ms; %d slow "
                "waits since the last report; %d/%d threads busy, %d queued); raise ASYNCX"
                '["EXECUTORS"]["%s"]["max_workers"] or lower the concurrency',
                self.name,
                waited * 1000,
                cast(float, self.queue_warn) * 1000,
                slow_waits,
                busy,
                self.max_workers,
                queued,
                self.name,
            )

        if outcome[0]:
            future.set_result(outcome[1])
        else:
            future.set_exception(cast(BaseException, outcome[1]))
        del item, future, outcome


def _fail(items: list[_Item], name: str) -> None:
    for item in items:
        if item.future.set_running_or_notify_cancel():
            item.future.set_exception(RuntimeError(f"executor {name!r} was shut down"))


def _close_thread_connections(name: str) -> None:
    from django.db import connections

    try:
        connections.close_all()
    except Exception:
        logger.exception("executor %r: closing a thread's database connections failed", name)


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
