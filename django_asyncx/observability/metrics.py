"""django_asyncx's metrics through the OpenTelemetry metrics API, and the figures behind them.

The figures are the library's own state, read when asked (:func:`figures`): the thread
pools' :func:`~django_asyncx.executors.executor_stats`, the native engine's connection
pools, the loop watchdogs, the open SSE streams and WebSocket connections. With an
OpenTelemetry ``MeterProvider`` configured (the SDK, ``opentelemetry-instrument``), they are
reported as observable instruments, read at each collection, not kept up to date on the
hot paths; upstream calls and their retries are the only events recorded as they happen.

Nothing of OpenTelemetry is imported, and no instrument is made, until a meter provider is
configured: the library imports and runs without ``opentelemetry-api``. The instruments are
made when :func:`enable` first finds a configured provider; Django's app registry calls it
when it is ready, an upstream call or stream calls it if that found none, and a test or a
late configuration calls it with the provider::

    from django_asyncx.observability import metrics

    metrics.enable(meter_provider=provider)

The instruments' names, units and attributes are listed in ``docs/observability.md``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_asyncx.executors import ExecutorStats, executor_stats
from django_asyncx.watchdog import running_watchdogs

if TYPE_CHECKING:
    from yarl import URL

__all__ = [
    "ConnectionFigures",
    "Figures",
    "LoopFigures",
    "PoolFigures",
    "connection_closed",
    "connection_opened",
    "disable",
    "enable",
    "enabled",
    "executor_exhausted",
    "figures",
    "open_connection",
    "record_retry",
    "record_upstream_call",
]

_API = "opentelemetry.metrics"
_NATIVE_POOLS = "django_asyncx.db.backends.postgresql.pool"
# OpenTelemetry's advice for HTTP client durations (http.client.request.duration), in s.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


# ---------------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class PoolFigures:
    """The native engine's connections of one alias, over every event loop.

    ``exhausted``: on some loop, all ``native_max_size`` connections are in use and at least
    one caller waits for one.
    """

    alias: str
    max: int
    size: int
    in_use: int
    idle: int
    waiting: int
    exhausted: bool


@dataclass(frozen=True, slots=True)
class LoopFigures:
    """What the loop watchdogs saw, over every watched loop (times in seconds)."""

    watched: int
    threshold: float | None
    blocks: int
    blocked_time: float
    blocked_for: float | None
    """How long the block going on now has lasted, ``None`` when no loop is blocked."""
    last_block_ago: float | None
    """Seconds since the last block ended, ``None`` when none has."""


@dataclass(frozen=True, slots=True)
class ConnectionFigures:
    """Streams and connections open now."""

    sse: int
    websocket: int


@dataclass(frozen=True, slots=True)
class Figures:
    """One reading of everything :mod:`~django_asyncx.observability.metrics` reports."""

    executors: dict[str, ExecutorStats]
    native_pools: dict[str, PoolFigures]
    loops: LoopFigures
    connections: ConnectionFigures


def executor_exhausted(stats: ExecutorStats) -> bool:
    """Every thread of the pool is busy and at least one call waits for one."""
    return stats.busy >= stats.max_workers and stats.queued > 0


def _native_pools() -> dict[str, PoolFigures]:
    # The pool module is read only if the native engine loaded it: no engine, no pools, and
    # asyncpg stays unimported.
    module = sys.modules.get(_NATIVE_POOLS)
    if module is None:
        return {}
    found: dict[str, list[Any]] = {}
    for pool in module.all_pools():
        if not pool.closed:
            found.setdefault(pool.alias, []).append(pool)
    result = {}
    for alias, pools in sorted(found.items()):
        size = sum(p.size for p in pools)
        idle = sum(p.free for p in pools)
        result[alias] = PoolFigures(
            alias=alias,
            max=sum(p.options.max_size for p in pools),
            size=size,
            in_use=size - idle,
            idle=idle,
            waiting=sum(p.waiting for p in pools),
            exhausted=any(p.size - p.free >= p.options.max_size and p.waiting for p in pools),
        )
    return result


def _loops() -> LoopFigures:
    now = time.monotonic()
    watchdogs = running_watchdogs()
    blocked = [now - w.blocked_since for w in watchdogs if w.blocked_since is not None]
    ends = [w.last_block_end for w in watchdogs if w.last_block_end is not None]
    return LoopFigures(
        watched=len(watchdogs),
        threshold=min((w.threshold for w in watchdogs), default=None),
        blocks=sum(w.blocks for w in watchdogs),
        blocked_time=sum(w.blocked_time for w in watchdogs) + sum(blocked),
        blocked_for=max(blocked, default=None),
        last_block_ago=now - max(ends) if ends else None,
    )


def figures() -> Figures:
    """Read the figures now: cheap, no I/O, no thread hop; any thread may call it."""
    return Figures(
        executors=executor_stats(),
        native_pools=_native_pools(),
        loops=_loops(),
        connections=ConnectionFigures(sse=_open["sse"], websocket=_open["websocket"]),
    )


# -------------------------------------------------------------------------- open connections

_open = {"sse": 0, "websocket": 0}


def connection_opened(kind: str) -> None:
    """Count one more open connection of ``kind`` (``"sse"`` or ``"websocket"``)."""
    _open[kind] += 1
    if _instruments is None:
        _enable_if_configured()


def connection_closed(kind: str) -> None:
    """Count one open connection of ``kind`` fewer."""
    _open[kind] -= 1


@contextmanager
def open_connection(kind: str) -> Iterator[None]:
    """Count the connection of ``kind`` as open for the block."""
    connection_opened(kind)
    try:
        yield
    finally:
        connection_closed(kind)


# ------------------------------------------------------------------------------ instruments


class _Instruments:
    """The instruments made on one meter provider, and the callbacks that read the figures."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry.metrics import Observation

        from django_asyncx import __version__

        self.provider = provider
        self._observation = Observation
        meter = provider.get_meter("django_asyncx", __version__)
        self.call_duration = meter.create_histogram(
            "asyncx.http.client.call.duration", unit="s",
            description="Duration of upstream calls made with a django_asyncx client, "
            "retries and their waits included",
            explicit_bucket_boundaries_advisory=list(_DURATION_BUCKETS),
        )  # fmt: skip
        self.retries = meter.create_counter(
            "asyncx.http.client.retries", unit="{retry}",
            description="Upstream attempts retried by a django_asyncx client",
        )  # fmt: skip
        gauges = [
            ("asyncx.executor.threads", "{thread}", "Threads of a pool, busy or idle",
             self._executor_threads, "up_down"),
            ("asyncx.executor.threads.max", "{thread}", "The most threads a pool may start",
             self._executor_max, "up_down"),
            ("asyncx.executor.queue.size", "{call}", "Calls waiting for a thread of a pool",
             self._executor_queued, "up_down"),
            ("asyncx.executor.queue.wait_time", "s",
             "Time calls waited for a thread of a pool, in total", self._executor_wait, "counter"),
            ("asyncx.executor.calls", "{call}", "Calls a pool has run", self._executor_calls,
             "counter"),
            ("db.client.connection.count", "{connection}",
             "Native engine connections, used or idle", self._pool_count, "up_down"),
            ("db.client.connection.max", "{connection}",
             "The most native engine connections allowed", self._pool_max, "up_down"),
            ("db.client.connection.pending_requests", "{request}",
             "Callers waiting for a native engine connection", self._pool_waiting, "up_down"),
            ("asyncx.loop.blocks", "{block}", "Event-loop blocks the watchdog reported",
             self._loop_blocks, "counter"),
            ("asyncx.loop.block.time", "s", "Time the event loop was blocked, in total",
             self._loop_block_time, "counter"),
            ("asyncx.loop.blocked", "1", "1 while an event loop is blocked, else 0",
             self._loop_blocked, "gauge"),
            ("asyncx.sse.connections", "{connection}", "Server-sent event streams open",
             self._sse, "up_down"),
            ("asyncx.websocket.connections", "{connection}", "WebSocket connections open",
             self._websocket, "up_down"),
        ]  # fmt: skip
        create = {
            "up_down": meter.create_observable_up_down_counter,
            "counter": meter.create_observable_counter,
            "gauge": meter.create_observable_gauge,
        }
        self.observable = [
            create[kind](name, callbacks=[callback], unit=unit, description=description)
            for name, unit, description, callback, kind in gauges
        ]

    def _observe(self, pairs: Iterable[tuple[float, dict[str, Any]]]) -> list[Any]:
        return [self._observation(value, attributes) for value, attributes in pairs]

    def _per_executor(self, field: str, options: object) -> list[Any]:
        stats = executor_stats()
        return self._observe(
            (getattr(s, field), {"asyncx.executor.name": name}) for name, s in stats.items()
        )

    def _executor_threads(self, options: object) -> list[Any]:
        pairs = []
        for name, s in executor_stats().items():
            for state, value in (("busy", s.busy), ("idle", s.threads - s.busy)):
                pairs.append((value, {"asyncx.executor.name": name,
                                      "asyncx.executor.thread.state": state}))  # fmt: skip
        return self._observe(pairs)

    def _executor_max(self, options: object) -> list[Any]:
        return self._per_executor("max_workers", options)

    def _executor_queued(self, options: object) -> list[Any]:
        return self._per_executor("queued", options)

    def _executor_wait(self, options: object) -> list[Any]:
        return self._per_executor("queue_wait_total", options)

    def _executor_calls(self, options: object) -> list[Any]:
        return self._per_executor("completed", options)

    def _per_pool(self, field: str) -> list[Any]:
        pools = _native_pools()
        return self._observe(
            (getattr(p, field), {"db.client.connection.pool.name": alias})
            for alias, p in pools.items()
        )

    def _pool_count(self, options: object) -> list[Any]:
        pairs = []
        for alias, p in _native_pools().items():
            for state, value in (("used", p.in_use), ("idle", p.idle)):
                pairs.append((value, {"db.client.connection.pool.name": alias,
                                      "db.client.connection.state": state}))  # fmt: skip
        return self._observe(pairs)

    def _pool_max(self, options: object) -> list[Any]:
        return self._per_pool("max")

    def _pool_waiting(self, options: object) -> list[Any]:
        return self._per_pool("waiting")

    def _loop_blocks(self, options: object) -> list[Any]:
        return self._observe([(_loops().blocks, {})])

    def _loop_block_time(self, options: object) -> list[Any]:
        return self._observe([(_loops().blocked_time, {})])

    def _loop_blocked(self, options: object) -> list[Any]:
        return self._observe([(int(_loops().blocked_for is not None), {})])

    def _sse(self, options: object) -> list[Any]:
        return self._observe([(_open["sse"], {})])

    def _websocket(self, options: object) -> list[Any]:
        return self._observe([(_open["websocket"], {})])


_instruments: _Instruments | None = None
_lock = threading.Lock()


def _configured_provider() -> Any:
    """The global meter provider if one was configured, else ``None``; imports nothing."""
    api = sys.modules.get(_API)
    if api is None:  # nobody imported the metrics API: nothing can be configured
        return None
    provider = api.get_meter_provider()
    # Until a provider is set, the API hands out its own (a proxy, or the no-op one): it
    # records nothing, so nothing is made for it.
    if type(provider).__module__.startswith(_API):
        return None
    return provider


def enable(*, meter_provider: Any = None) -> bool:
    """Make the instruments on ``meter_provider`` (default: the configured global one).

    Returns whether they exist now. Without a configured provider this does nothing (and
    imports nothing); called again with another provider, it moves the instruments there.
    """
    global _instruments
    provider = meter_provider if meter_provider is not None else _configured_provider()
    if provider is None:
        return _instruments is not None
    with _lock:
        if _instruments is None or _instruments.provider is not provider:
            _instruments = _Instruments(provider)
    return True


def _enable_if_configured() -> _Instruments | None:
    if _configured_provider() is not None:
        enable()
    return _instruments


def disable() -> None:
    """Stop recording: the instruments are dropped (their provider keeps what it collected)."""
    global _instruments
    with _lock:
        _instruments = None


def enabled() -> bool:
    """Whether the instruments exist (a meter provider was found or given)."""
    return _instruments is not None


# ----------------------------------------------------------------------- events, as they come


def _server(url: URL) -> dict[str, Any]:
    attributes: dict[str, Any] = {"server.address": url.host or ""}
    if url.port is not None:
        attributes["server.port"] = url.port
    return attributes


def record_upstream_call(
    client: str, method: str, url: URL, status: int | None, duration: float
) -> None:
    """Record one finished upstream call of the client named ``client`` (seconds).

    ``status`` is the last response's, ``None`` when none came; the error type is then the
    exception being raised.
    """
    instruments = _instruments or _enable_if_configured()
    if instruments is None:
        return
    attributes = {"asyncx.http.client.name": client, "http.request.method": method,
                  **_server(url)}  # fmt: skip
    if status is not None:
        attributes["http.response.status_code"] = status
        if status >= 400:
            attributes["error.type"] = str(status)
    else:
        error = sys.exception()
        attributes["error.type"] = type(error).__qualname__ if error else "_OTHER"
    instruments.call_duration.record(duration, attributes)


def record_retry(client: str, method: str, url: URL, error: BaseException) -> None:
    """Record that an attempt of ``client`` is retried after ``error``."""
    instruments = _instruments or _enable_if_configured()
    if instruments is None:
        return
    status = getattr(error, "status", None)
    instruments.retries.add(1, {
        "asyncx.http.client.name": client, "http.request.method": method, **_server(url),
        "error.type": str(status) if status is not None else type(error).__qualname__,
    })  # fmt: skip
