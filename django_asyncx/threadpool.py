"""``BoundedExecutor``: a thread pool with a bound, lanes and statistics.

The pool behind :mod:`django_asyncx.executors` (which names, sizes and shares them), usable on
its own as a :class:`concurrent.futures.Executor`::

    pool = BoundedExecutor("reports", 4)
    report = pool.submit(build_report, month).result()

    lane = pool.acquire_lane().result()  # one thread, reserved for this caller
    lane.submit(open_file).result()
    lane.submit(write_rows, rows).result()  # same thread as open_file
    lane.release()

Threads start on demand, up to ``max_workers``, and close their Django database connections
as they stop. A call that waited longer than ``queue_warn_ms`` for a thread is logged by the
``django_asyncx.executors`` logger.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar, cast

__all__ = ["BoundedExecutor", "ExecutorStats", "Lane"]

# The executors' logger: logging configurations name it for these warnings.
logger = logging.getLogger("django_asyncx.executors")

R = TypeVar("R")

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
