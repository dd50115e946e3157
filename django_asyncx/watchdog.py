"""The event-loop block detector: find the sync call that froze the server.

With ``ASYNCX["LOOP_BLOCK_WARN_MS"]`` set (100 by default when ``DEBUG`` is on), a watchdog
thread per event loop checks that the loop answers; when it has not answered for that long,
the ``django_asyncx.watchdog`` logger warns with the request being served and the stack of
the loop thread at that moment, which is the blocking code::

    event loop blocked for more than 100 ms (request: GET /reports/); blocking code:
      File "/app/reports/views.py", line 12, in report
        time.sleep(0.3)

The request handler (:class:`django_asyncx.handler.ASGIHandler`) starts the watchdog with the
first request on each loop; call :func:`ensure_loop_watchdog` to watch a loop you run
yourself. One warning is logged per block, however long it lasts. The watchdog stops when its
loop ends.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import traceback
from contextvars import ContextVar

from django.conf import settings

from .conf import AUTO, asyncx_settings
from .loops import LoopResource

__all__ = [
    "LoopWatchdog",
    "current_request",
    "ensure_loop_watchdog",
    "running_watchdogs",
    "threshold_ms",
]

logger = logging.getLogger("django_asyncx.watchdog")

current_request: ContextVar[str | None] = ContextVar("django_asyncx.request", default=None)
"""``"METHOD /path"`` of the request the current task serves (set by the request handler)."""

_DEBUG_DEFAULT_MS = 100.0
_STACK_FRAMES = 25


def threshold_ms() -> float | None:
    """The configured threshold in milliseconds, or ``None`` when the detector is off."""
    value: float | None = asyncx_settings.LOOP_BLOCK_WARN_MS
    if value is AUTO:
        return _DEBUG_DEFAULT_MS if settings.DEBUG else None
    return value


class LoopWatchdog:
    """A thread that warns when ``loop`` does not run a callback within ``threshold`` seconds."""

    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float) -> None:
        self.loop = loop
        self.threshold = threshold
        self.blocks = 0  # how many blocks were reported
        #: When the block going on now began (``time.monotonic()``), else ``None``.
        self.blocked_since: float | None = None
        #: Seconds the reported blocks lasted, in total, and when the last one ended.
        self.blocked_time = 0.0
        self.last_block_end: float | None = None
        self._answered_at = 0.0
        self._loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._answered = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="asyncx-loop-watchdog", daemon=True
        )

    def start(self) -> None:
        """Start watching (call it from the loop's thread)."""
        self._loop_thread = threading.get_ident()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the thread."""
        self._stop.set()
        self._answered.set()  # wake the thread if it waits for the loop (maybe the caller)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def _watch(self) -> None:
        interval = self.threshold / 4
        while not self._stop.wait(interval):
            answered = self._answered = threading.Event()
            if self._stop.is_set():
                return
            sent = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(self._answer, answered)
            except RuntimeError:
                return  # the loop is closed
            if answered.wait(self.threshold) or self._stop.is_set():
                continue
            self.blocks += 1
            self.blocked_since = sent
            self._report(sent)
            while not answered.wait(interval):  # one warning per block
                if self._stop.is_set():
                    return
            # The loop's own time of answer: the block's end, not when this thread woke.
            self.blocked_time += self._answered_at - sent
            self.last_block_end = self._answered_at
            self.blocked_since = None
            logger.info("event loop unblocked after %.0f ms", (self._answered_at - sent) * 1000)

    def _answer(self, answered: threading.Event) -> None:
        self._answered_at = time.monotonic()
        answered.set()

    def _report(self, since: float) -> None:
        frame = sys._current_frames().get(self._loop_thread)
        stack = (
            "".join(traceback.format_stack(frame, limit=_STACK_FRAMES))
            if frame is not None
            else "  (stack unavailable)\n"
        )
        request = None
        try:
            task = asyncio.current_task(self.loop)
        except RuntimeError:
            task = None
        if task is not None:
            request = task.get_context().get(current_request)
        logger.warning(
            "event loop blocked for more than %.0f ms (request: %s); blocking code:\n%s",
            (time.monotonic() - since) * 1000,
            request or "none",
            stack.rstrip("\n"),
        )


def _start() -> LoopWatchdog | None:
    threshold = threshold_ms()
    if threshold is None:
        return None
    watchdog = LoopWatchdog(asyncio.get_running_loop(), threshold / 1000)
    watchdog.start()
    return watchdog


def _stop(watchdog: LoopWatchdog | None) -> None:
    if watchdog is not None:
        watchdog.stop()


_watchdogs: LoopResource[LoopWatchdog | None] = LoopResource(
    "django_asyncx.loop_watchdog", create=_start, close=_stop
)


def running_watchdogs() -> list[LoopWatchdog]:
    """The watchdogs of the loops being watched now, whatever thread asks."""
    return [watchdog for watchdog in _watchdogs.values() if watchdog is not None]


async def ensure_loop_watchdog() -> LoopWatchdog | None:
    """Start the running loop's watchdog if the detector is on; return it (or ``None``)."""
    return await _watchdogs.aget()
