"""P5: idle WebSockets and event streams, churn on Redis, broadcast; plain Channels vs ours.

Side by side in one run (``python -m bench realtime``; ``python -m bench.realtime --help`` for
the scale), each target on a freshly started server pinned to CPU 0, the client
(``bench/realtime_client.py``, one event loop) on CPU 1, everything on loopback:

1. **Idle WebSockets**: N connections (10,000) to a consumer that joins a group, server RSS
   3 s after the last one opened: a raw ASGI app, plain Channels (Channels' consumer on
   Django's stock ASGI handler) and ours (``django_asyncx.consumers`` through our
   application), on uvicorn (``--ws websockets``, per-message deflate on and off) and daphne.
2. **Idle event streams**: N streams (10,000), RSS and OS threads: Django's
   ``StreamingHttpResponse`` of a sync and of an async generator, and ``EventStream``.
3. **Churn**: rounds of connect / disconnect (10 x 2,000) on the Redis layer: RSS after each
   round, members left in the group's sorted set in Redis, the loop's tasks (``/debug/counts``
   of ``bench/realtime_site.py``) and the process's fds against the baseline before round 1.
4. **Broadcast**: S subscribers (1,000) over two uvicorn processes sharing Redis; one sends a
   message to the group, K times (20): latency from send to receipt at every subscriber.

The runner raises its own ``RLIMIT_NOFILE`` to the hard limit (servers and client inherit it)
and scales N down, saying so, when the limit cannot hold it. The JSON result goes to
``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._procs import ROOT, BenchError, Server, check_cpus, free_port
from ._results import RESULTS_DIR, machine_info, write_result
from .realtime_client import ClientProcess, raise_fd_limit
from .realtime_report import report

NAME = "realtime"
DESCRIPTION = "P5: idle WebSockets and event streams, churn, broadcast; plain Channels vs ours"
SERVER_CPU, CLIENT_CPU = 0, 1
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
"""Redis for the layer: a database of its own (test suites flush theirs), keys under a prefix."""
SETTLE_S = 3.0
"""Seconds between the last connection opened (or closed) and the reading of RSS."""
FD_MARGIN = 200
"""File descriptors a process needs besides its connections."""

_UVICORN = ("-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1",
            "--no-access-log", "--log-level", "warning", "--ws", "websockets")  # fmt: skip
NO_DEFLATE = ("--ws-per-message-deflate", "false")
"""The setting the docs recommend for uvicorn: no per-connection zlib state."""


def uvicorn(app: str, *options: str) -> tuple[str, ...]:
    """uvicorn serving ``app``: loopback, one worker, no access log, websockets' protocol."""
    return (*_UVICORN, *options, app)


def daphne(app: str) -> tuple[str, ...]:
    """daphne serving ``app`` on loopback, no access log."""
    return ("-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "--verbosity", "0", app)


@dataclass(frozen=True)
class Target:
    """A server command line (``{port}`` filled in) and the path the client opens."""

    key: str
    label: str
    argv: tuple[str, ...]
    path: str = "/ws/room/"
    redis: bool = True
    layer: str = "core"
    """channels-redis's layer: ``core`` (``RedisChannelLayer``) or ``pubsub``."""


PLAIN, OURS = "bench.realtime_site:plain", "bench.realtime_site:asyncx"
RAW = "bench.realtime_raw:application"
SANSIO = ("--ws", "websockets-sansio", *NO_DEFLATE)
"""What the docs recommend: websockets' sans-I/O protocol (no task per connection for pings
and closing), per-message deflate off."""
WS_TARGETS = (
    Target("raw", "raw ASGI app, uvicorn, deflate off", uvicorn(RAW, *NO_DEFLATE), redis=False),
    Target(
        "raw-sansio",
        "raw ASGI app, uvicorn sans-I/O, deflate off",
        uvicorn(RAW, *SANSIO),
        redis=False,
    ),
    Target("plain-deflate", "plain Channels, uvicorn, deflate on (default)", uvicorn(PLAIN)),
    Target("plain", "plain Channels, uvicorn, deflate off", uvicorn(PLAIN, *NO_DEFLATE)),
    Target(
        "plain-sansio", "plain Channels, uvicorn sans-I/O, deflate off", uvicorn(PLAIN, *SANSIO)
    ),
    Target("plain-daphne", "plain Channels, daphne", daphne(PLAIN)),
    Target("ours-deflate", "ours, uvicorn, deflate on", uvicorn(OURS)),
    Target("ours", "ours, uvicorn, deflate off", uvicorn(OURS, *NO_DEFLATE)),
    Target(
        "ours-sansio", "ours, uvicorn sans-I/O, deflate off (recommended)", uvicorn(OURS, *SANSIO)
    ),
    Target("ours-daphne", "ours, daphne", daphne(OURS)),
)
SSE_TARGETS = (
    Target(
        "django-sync",
        "Django StreamingHttpResponse, sync generator",
        uvicorn(PLAIN),
        "/sse/django-sync",
        redis=False,
    ),
    Target(
        "django-async",
        "Django StreamingHttpResponse, async generator",
        uvicorn(PLAIN),
        "/sse/django-async",
        redis=False,
    ),
    Target("ours", "ours, EventStream", uvicorn(OURS), "/sse/asyncx", redis=False),
)
# Churn and broadcast: the same server settings (the recommended ones) for both.
CHURN_TARGETS = (
    Target("plain", "plain Channels, uvicorn sans-I/O", uvicorn(PLAIN, *SANSIO)),
    Target("ours", "ours, uvicorn sans-I/O", uvicorn(OURS, *SANSIO)),
)
BROADCAST_TARGETS = (
    *CHURN_TARGETS,
    Target("ours-pubsub", "ours, uvicorn sans-I/O, channels-redis pub/sub layer",
           uvicorn(OURS, *SANSIO), layer="pubsub"),
)  # fmt: skip


@dataclass
class Scale:
    """How many: connections of the idle steps, churn rounds, broadcast subscribers."""

    connections: int = 10_000
    churn: int = 2_000
    rounds: int = 10
    subscribers: int = 1_000
    messages: int = 20
    notes: list[str] = field(default_factory=list)


# -- processes ---------------------------------------------------------------------------


@contextmanager
def serve(target: Target, prefix: str, cpu: int = SERVER_CPU) -> Iterator[tuple[Server, int]]:
    """Start ``target``'s server (Redis keys under ``prefix``), wait until it answers."""
    port = free_port()
    env = {"DJANGO_SETTINGS_MODULE": "bench.realtime_site", "BENCH_REDIS_PREFIX": prefix}
    if target.redis:
        env.update(REDIS_URL=REDIS_URL, BENCH_LAYER=target.layer)
    with Server([a.format(port=port) for a in target.argv], cpu=cpu, env=env) as server:
        server.wait_ready(f"http://127.0.0.1:{port}/ready")
        yield server, port


def _psutil(pid: int) -> Any:
    import psutil  # type: ignore[import-untyped]

    return psutil.Process(pid)


def snapshot(server: Server, port: int) -> dict[str, Any]:
    """RSS (MiB), OS threads, fds (and how many are Redis connections), the loop's tasks."""
    process = _psutil(server.pid)
    redis_port = int(REDIS_URL.rsplit(":", 1)[1].split("/")[0])
    redis = sum(1 for c in process.net_connections("tcp") if c.raddr and c.raddr.port == redis_port)
    stats = {
        "rss_mib": round(process.memory_info().rss / 2**20, 1),
        "threads": process.num_threads(),
        "fds": len(os.listdir(f"/proc/{server.pid}/fd")),
        "redis_fds": redis,
    }
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/debug/counts", timeout=30) as r:
            stats["tasks"] = json.load(r)["tasks"]
    except (OSError, ValueError):
        stats["tasks"] = None  # the raw app has no such endpoint
    return stats


def group_members(prefix: str) -> int:
    """Members of the group ``room`` left in Redis (channels-redis's sorted set)."""
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        return int(client.zcard(f"{prefix}:group:room"))


def forget_group(prefix: str) -> None:
    """Delete what the servers left in Redis under ``prefix`` (stale members included)."""
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)


def wait_quiet(server: Server, *, limit: float = 60.0) -> None:
    """Wait until the server has finished what the client left it (CPU under 5 % for 0.5 s)."""
    deadline = time.monotonic() + limit
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server.cpu_seconds()
        if now - before < 0.025:
            return
        before = now


def _prefix() -> str:
    return f"bench{uuid.uuid4().hex[:8]}"


# -- the four steps ----------------------------------------------------------------------


def idle(target: Target, kind: str, n: int, client: ClientProcess) -> dict[str, Any]:
    """Open ``n`` idle WebSockets (``kind`` ``ws``) or streams (``sse``); the server then."""
    with serve(target, _prefix()) as (server, port):
        before = snapshot(server, port)
        started = time.monotonic()
        opened = client.call(
            kind, url=f"{'ws' if kind == 'ws' else 'http'}://127.0.0.1:{port}{target.path}", n=n
        )
        open_s = time.monotonic() - started
        time.sleep(SETTLE_S)
        after = snapshot(server, port)
        client.call("close")
    print(
        f"  {kind} {target.label}: {opened['opened']:,} open, {after['rss_mib']:.0f} MiB, "
        f"{after['threads']} threads",
        flush=True,
    )
    return {
        "key": target.key,
        "label": target.label,
        **opened,
        "open_s": round(open_s, 1),
        "before": before,
        "after": after,
    }


def churn(target: Target, n: int, rounds: int, client: ClientProcess) -> dict[str, Any]:
    """``rounds`` of ``n`` connects then ``n`` disconnects; the server after each round."""
    prefix = _prefix()
    with serve(target, prefix) as (server, port):
        baseline = snapshot(server, port)
        points = []
        for _ in range(rounds):
            opened = client.call("ws", url=f"ws://127.0.0.1:{port}{target.path}", n=n)
            client.call("close")
            wait_quiet(server)
            time.sleep(SETTLE_S)
            point = {**snapshot(server, port), "members": group_members(prefix)}
            points.append({**point, "opened": opened["opened"], "failed": opened["failed"]})
            print(
                f"  churn {target.label}: {point['rss_mib']:.0f} MiB, "
                f"{point['members']:,} members, {opened['failed']} failed",
                flush=True,
            )
    forget_group(prefix)
    first, last = points[0], points[-1]
    return {
        "key": target.key,
        "label": target.label,
        "baseline": baseline,
        "rounds": points,
        "rss_growth": last["rss_mib"] / first["rss_mib"] - 1,
        "stale_members": last["members"],
        "tasks_over_baseline": (last["tasks"] or 0) - (baseline["tasks"] or 0),
        "fds_over_baseline": (last["fds"] - last["redis_fds"])
        - (baseline["fds"] - baseline["redis_fds"]),
    }


def broadcast(
    target: Target, subscribers: int, messages: int, client: ClientProcess
) -> dict[str, Any]:
    """``subscribers`` split over two servers of ``target``; ``messages`` sent to the group."""
    prefix = _prefix()
    with serve(target, prefix) as (_, port_a), serve(target, prefix) as (_, port_b):
        failed = 0
        for port, n in ((port_a, subscribers - subscribers // 2), (port_b, subscribers // 2)):
            failed += _open_all(client, f"ws://127.0.0.1:{port}{target.path}", n)
        time.sleep(SETTLE_S)
        result = client.call("broadcast", count=messages)
        client.call("close")
    forget_group(prefix)
    latencies = sorted(result["latencies_ms"])
    print(f"  broadcast {target.label}: {len(latencies):,} received", flush=True)
    return {
        "key": target.key,
        "label": target.label,
        "samples": len(latencies),
        "missing": result["missing"],
        "handshakes_failed": failed,
        "p50_ms": _quantile(latencies, 0.50),
        "p99_ms": _quantile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else None,
    }


def _open_all(client: ClientProcess, url: str, n: int, attempts: int = 5) -> int:
    """Open ``n`` WebSockets, opening again those whose handshake failed; the failures."""
    failed = 0
    for _ in range(attempts):
        answer = client.call("ws", url=url, n=n)
        n = int(answer["failed"])
        failed += n
        if not n:
            return failed
    raise BenchError(f"{n} of the subscribers at {url} failed {attempts} times: {answer['error']}")


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


# -- the run -----------------------------------------------------------------------------


def fit(scale: Scale) -> Scale:
    """Raise the fd limit; scale the connections down (noted) when it cannot hold them."""
    limit = raise_fd_limit()
    most = limit - FD_MARGIN
    for name in ("connections", "churn", "subscribers"):
        if getattr(scale, name) > most:
            scale.notes.append(
                f"{name} {getattr(scale, name):,} > fd limit {limit:,} - "
                f"{FD_MARGIN}: scaled down to {most:,}"
            )
            setattr(scale, name, most)
    return scale


def measure(scale: Scale, *, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every step at ``scale`` (``only``: some of websockets, streams, churn, broadcast)."""
    check_cpus(SERVER_CPU, CLIENT_CPU)
    client = ClientProcess(CLIENT_CPU)
    steps = only or ("websockets", "streams", "churn", "broadcast")
    document: dict[str, Any] = {"websockets": [], "streams": [], "churn": [], "broadcast": []}
    document["errors"] = []
    plan: dict[str, list[tuple[Any, Target, tuple[Any, ...]]]] = {
        "websockets": [(idle, t, ("ws", scale.connections)) for t in WS_TARGETS],
        "streams": [(idle, t, ("sse", scale.connections)) for t in SSE_TARGETS],
        "churn": [(churn, t, (scale.churn, scale.rounds)) for t in CHURN_TARGETS],
        "broadcast": [
            (broadcast, t, (scale.subscribers, scale.messages)) for t in BROADCAST_TARGETS
        ],
    }
    try:
        for step in steps:
            for function, target, args in plan[step]:
                try:
                    document[step].append(function(target, *args, client))
                except BenchError as exc:  # one target failed: the others still count
                    print(f"  {step} {target.label}: failed: {exc}", flush=True)
                    document["errors"].append(f"{step} {target.label}: {exc}")
    finally:
        client.stop()
    return document


def run(
    options: Any = None, scale: Scale | None = None, only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Measure, print the tables, write the JSON result; ``options`` as the runner's."""
    scale = fit(scale or Scale())
    date = dt.datetime.now(dt.UTC)
    machine = machine_info(["uvicorn", "daphne", "channels", "channels-redis", "websockets"])
    print(f"{NAME}: {DESCRIPTION}", flush=True)
    document = {
        "benchmark": NAME,
        "description": DESCRIPTION,
        "date": date.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": machine,
        "scale": {k: v for k, v in vars(scale).items() if k != "notes"},
        "notes": scale.notes,
        "settle_s": SETTLE_S,
        **measure(scale, only=only),
    }
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    document["notes"].append(
        f"load average at start {machine['load_average_start']}, "
        f"at end {machine['load_average_end']} (2 cores, shared)"
    )
    print(report(document))
    results_dir = getattr(options, "results_dir", RESULTS_DIR)
    path = write_result(document, results_dir)
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.realtime [--connections N] [--churn N] [--rounds R] ...``."""
    defaults = Scale()
    parser = argparse.ArgumentParser(prog="python -m bench.realtime", description=DESCRIPTION)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--churn", type=int, default=defaults.churn)
    parser.add_argument("--rounds", type=int, default=defaults.rounds)
    parser.add_argument("--subscribers", type=int, default=defaults.subscribers)
    parser.add_argument("--messages", type=int, default=defaults.messages)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=("websockets", "streams", "churn", "broadcast"),
    )
    args = parser.parse_args(argv)
    scale = Scale(args.connections, args.churn, args.rounds, args.subscribers, args.messages)
    run(None, scale, tuple(args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
