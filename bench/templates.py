"""Templates: a 100-row table (one foreign key per row) rendered four ways; streaming TTFB.

Throughput (wrk, as every HTTP benchmark here): Django's ``render()`` in a sync view under
gunicorn; an async view doing ``await sync_to_async(render)(...)`` under stock
``django.core.asgi``; ``await arender(...)`` under ``django_asyncx.asgi`` on the thread path
(stock PostgreSQL backend); and ``arender`` on the native engine
(``django_asyncx.db.backends.postgresql``) when it is installed. Each on uvicorn or gunicorn,
one process on one core, PostgreSQL on loopback, ``CONN_MAX_AGE=60`` everywhere.

Time to first byte: a page whose body waits for a 200 ms slow section, served by
django_asyncx, streamed with ``astream_template`` (the head before a ``{% flush %}``) and
buffered with ``arender``; sequential requests, the time until the first body byte and until
the last, median and min-max.

Run with ``python -m bench.templates`` (``--runs``, ``--duration``, ``--ttfb-requests``).
The database (``BENCH_DATABASE_URL``, default ``asyncx_bench_templates`` on the local
PostgreSQL) is created, migrated and seeded with 100 authors and 100 books when missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import statistics
import sys
import time
from typing import Any

from . import project
from ._harness import Options, Target, gunicorn, run_http_benchmark, uvicorn
from ._postgres import django_admin, ensure_database
from ._procs import ROOT, BenchError, Server, free_port, terminate_on_sigterm
from ._results import write_result

NAME = "templates"
DESCRIPTION = "100-row table with one FK per row: render, sync_to_async(render), arender"

NATIVE_ENGINE = "django_asyncx.db.backends.postgresql"
_PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "example_project")])
_ENV = (*project.environ("templates"), ("PYTHONPATH", _PYTHONPATH))
_QUIET = ("--no-access-log", "--log-level", "warning")


def targets(*, native: bool) -> tuple[Target, ...]:
    """The ways of serving the table; the native one only when its engine is installed."""
    found = [
        Target(
            key="wsgi-render",
            label="render(), sync view, WSGI gunicorn",
            short="sync render",
            argv=gunicorn(project.WSGI),
            path="/table-sync",
            server="gunicorn",
            env=_ENV,
        ),
        Target(
            key="stock-sync-to-async",
            label="sync_to_async(render), stock ASGI",
            short="stock async",
            argv=uvicorn(project.ASGI_DJANGO),
            path="/table-stock-async",
            server="uvicorn",
            env=_ENV,
        ),
        Target(
            key="arender-thread",
            label="arender(), thread path, django_asyncx",
            short="arender",
            argv=uvicorn(project.ASGI_ASYNCX),
            path="/table-arender",
            server="uvicorn",
            env=_ENV,
        ),
    ]
    if native:
        found.append(
            Target(
                key="arender-native",
                label="arender(), native engine, django_asyncx",
                short="arender native",
                argv=uvicorn(project.ASGI_ASYNCX),
                path="/table-arender",
                server="uvicorn",
                env=(*_ENV, ("BENCH_DB_ENGINE", NATIVE_ENGINE)),
            )
        )
    return tuple(found)


def native_available() -> bool:
    """Whether the native PostgreSQL engine is part of this checkout."""
    try:
        return importlib.util.find_spec(NATIVE_ENGINE) is not None
    except ModuleNotFoundError:
        return False


def _manage(*args: str) -> str:
    return django_admin(_ENV, *args)


def prepare_database() -> None:
    """Create the benchmark database if missing, migrate it, seed 100 books once."""
    ensure_database(os.environ.get("BENCH_DATABASE_URL", project.TEMPLATES_DATABASE_URL))
    _manage("migrate", "--no-input", "-v", "0")
    _manage("seed_demo", "--authors", "100", "--books-per-author", "1", "--if-empty")


def _first_and_last_byte(port: int, path: str) -> tuple[float, float]:
    """Seconds from sending ``GET path`` to the first body byte and to the end of the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        start = time.perf_counter()
        sock.sendall(request.encode())
        data = b""
        first = None
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            # With chunked transfer the first body byte is the first chunk's size line.
            if first is None and data.partition(b"\r\n\r\n")[2]:
                first = time.perf_counter() - start
        last = time.perf_counter() - start
    if not data.startswith(b"HTTP/1.1 200"):
        raise BenchError(f"GET {path} answered {data[:200]!r}")
    if first is None:
        raise BenchError(f"GET {path}: no body received")
    return first, last


def measure_ttfb(requests: int, options: Options) -> dict[str, Any]:
    """Time to first and last byte of the streamed and the buffered page, one server."""
    port = free_port()
    argv = ["-m", "uvicorn", project.ASGI_ASYNCX,
            "--host", "127.0.0.1", "--port", str(port), *_QUIET]  # fmt: skip
    figures: dict[str, Any] = {}
    with Server(argv, cpu=options.server_cpu, env=dict(_ENV)) as server:
        server.wait_ready(f"http://127.0.0.1:{port}/streamed")
        for path in ("/streamed", "/buffered"):
            for _ in range(3):  # warm-up
                _first_and_last_byte(port, path)
            samples = [_first_and_last_byte(port, path) for _ in range(requests)]
            firsts = [s[0] * 1e3 for s in samples]
            lasts = [s[1] * 1e3 for s in samples]
            figures[path.strip("/")] = {
                "requests": requests,
                "first_byte_ms": {
                    "median": statistics.median(firsts),
                    "min": min(firsts),
                    "max": max(firsts),
                },
                "last_byte_ms": {
                    "median": statistics.median(lasts),
                    "min": min(lasts),
                    "max": max(lasts),
                },
            }
    return figures


def format_ttfb(figures: dict[str, Any]) -> str:
    """The TTFB table as text."""

    def cell(d: dict[str, float]) -> str:
        return f"{d['median']:.1f} ({d['min']:.1f}-{d['max']:.1f})"

    rows = [["page (200 ms slow section)", "first body byte ms", "last byte ms"]]
    for name, label in (("streamed", "astream_template"), ("buffered", "arender")):
        f = figures[name]
        rows.append([label, cell(f["first_byte_ms"]), cell(f["last_byte_ms"])])
    ratio = (
        figures["buffered"]["first_byte_ms"]["median"]
        / figures["streamed"]["first_byte_ms"]["median"]
    )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"first byte: streamed {ratio:.1f}x sooner than buffered (median)")
    return "\n".join(lines)


def run(options: Options, *, ttfb_requests: int = 30) -> dict[str, Any]:
    """Prepare the database, measure throughput and TTFB, print both, write the JSON."""
    prepare_database()
    native = native_available()
    if not native:
        print(f"native engine {NATIVE_ENGINE} not installed: its row is skipped", flush=True)
    document = run_http_benchmark(
        NAME, DESCRIPTION, targets(native=native),
        baselines=("wsgi-render", "stock-sync-to-async"), options=options,
    )  # fmt: skip
    print()
    print("time to first byte, django_asyncx on uvicorn, sequential requests:", flush=True)
    figures = measure_ttfb(ttfb_requests, options)
    document["ttfb"] = figures
    print(format_ttfb(figures))
    path = write_result(document, options.results_dir)
    print(f"\nresults (with ttfb): {path.relative_to(ROOT)}")
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.templates [--runs N] [--duration S] [--ttfb-requests N]``."""
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench.templates", description=DESCRIPTION)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--duration", type=int, default=defaults.duration)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    parser.add_argument("--ttfb-requests", type=int, default=30)
    args = parser.parse_args(argv)
    for name in ("runs", "duration", "ttfb_requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    options = Options(runs=args.runs, duration=args.duration, warmup=args.warmup)
    try:
        with terminate_on_sigterm():
            run(options, ttfb_requests=args.ttfb_requests)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
