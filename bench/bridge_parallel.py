"""P3: N concurrent ``SELECT pg_sleep(0.05)`` through the bridge vs Django's a-methods.

``python -m bench.bridge_parallel [--runs N]`` prints two tables and writes a JSON file into
``bench/results/``:

* wall time of N = 8, 32, 128 concurrent 50 ms queries (median and min-max of the runs):
  ``run_in_db`` with a ``db`` pool of 8 and of 32; Django's a-method style
  (``sync_to_async(thread_sensitive=True)`` calls gathered in one request context); and
  ``asyncio.gather`` of a Django a-method (``afirst()`` on a queryset that sleeps); with the
  ideal ``ceil(N / pool) x 50 ms`` and the speed-up over the a-methods;
* per-call overhead of ``Model.objects.get(pk=...)``: a plain sync call, ``run_in_db``, and
  Django's ``aget``, in microseconds per call (sequential calls, ``CONN_MAX_AGE = 60``).

It runs against the PostgreSQL server the tests use (``DATABASE_URL`` or 127.0.0.1:5432) in
a throwaway database it creates and drops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NAME = "bridge_parallel"
DESCRIPTION = "P3: N concurrent pg_sleep(0.05) via run_in_db (pool 8, 32) vs Django a-methods"

SLEEP = 0.05
COUNTS = (8, 32, 128)
POOLS = (8, 32)
OVERHEAD_CALLS = 2000
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCH_DB = "asyncx_bench_bridge"


def _setup() -> None:
    import django
    from django.conf import settings

    from django_asyncx.testing import services

    entry = services.database_settings(services.postgres_url(), CONN_MAX_AGE=60)
    settings.configure(
        DEBUG=False,
        DATABASES={
            "default": {**entry, "NAME": BENCH_DB},
            "admin": {**entry, "NAME": entry["NAME"] or "postgres"},
        },
        INSTALLED_APPS=["django.contrib.contenttypes"],
        USE_TZ=True,
    )
    django.setup()


def _create_database() -> None:
    from django.core.management import call_command
    from django.db import connections

    with connections["admin"].cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    connections["admin"].close()
    call_command("migrate", "contenttypes", verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_or_create(app_label="bench", model="row")
    connections["default"].close()


def _drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with connections["admin"].cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    connections.close_all()


def _server_connections() -> int:
    from django.db import connections

    with connections["admin"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [BENCH_DB])
        return int(cursor.fetchone()[0])


def _sleep_query() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [SLEEP])


def _sleeping_queryset() -> Any:
    from django.contrib.contenttypes.models import ContentType
    from django.db.models.expressions import RawSQL

    return ContentType.objects.annotate(slept=RawSQL("SELECT pg_sleep(%s)", (SLEEP,)))


def _mode(key: str, pool: int | None) -> Callable[[int], Awaitable[None]]:
    """One way of running N sleeps concurrently, as an async function of N."""
    from asgiref.sync import ThreadSensitiveContext, sync_to_async

    from django_asyncx.db import run_in_db

    if key == "bridge":

        async def bridge(n: int) -> None:
            await asyncio.gather(*(run_in_db(_sleep_query) for _ in range(n)))

        return bridge
    if key == "sync_to_async":

        async def one_request(n: int) -> None:
            async with ThreadSensitiveContext():  # what Django's ASGI handler does per request
                await asyncio.gather(
                    *(sync_to_async(_sleep_query, thread_sensitive=True)() for _ in range(n))
                )

        return one_request

    async def a_methods(n: int) -> None:
        async with ThreadSensitiveContext():
            await asyncio.gather(*(_sleeping_queryset().afirst() for _ in range(n)))

    return a_methods


def _measure(key: str, pool: int | None, n: int, runs: int) -> dict[str, Any]:
    from django.test import override_settings

    from django_asyncx.executors import ashutdown_executors

    run = _mode(key, pool)

    async def main() -> dict[str, Any]:
        await run(min(n, pool or 8))  # warm-up: threads and connections up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await run(n)
            times.append(time.perf_counter() - started)
        connections = await asyncio.to_thread(_server_connections)
        threads = threading.active_count()
        await ashutdown_executors()
        return {"seconds": times, "server_connections": connections, "threads": threads}

    executors = {"db": {"max_workers": pool or 1, "queue_warn_ms": None}}
    with override_settings(ASYNCX={"EXECUTORS": executors}):
        result = asyncio.run(main())
    _close_stray_connections()
    return result


def _close_stray_connections() -> None:
    # Django's thread-sensitive threads keep their connection (CONN_MAX_AGE=60) after their
    # request context ends; end them so each measurement starts from none.
    from django.db import connections

    connections["default"].close()  # this thread's own, if any
    with connections["admin"].cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()",
            [BENCH_DB],
        )


def _overhead(runs: int) -> dict[str, list[float]]:
    from django.contrib.contenttypes.models import ContentType

    from django_asyncx.db import run_in_db

    pk = ContentType.objects.get(app_label="bench").pk
    get = ContentType.objects.get
    results: dict[str, list[float]] = {"sync": [], "run_in_db": [], "aget": []}

    def sync_loop() -> float:
        from django.db import connections

        for _ in range(200):
            get(pk=pk)
        started = time.perf_counter()
        for _ in range(OVERHEAD_CALLS):
            get(pk=pk)
        elapsed = time.perf_counter() - started
        connections.close_all()
        return elapsed

    async def bridge_loop() -> float:
        for _ in range(200):
            await run_in_db(get, pk=pk)
        started = time.perf_counter()
        for _ in range(OVERHEAD_CALLS):
            await run_in_db(get, pk=pk)
        return time.perf_counter() - started

    async def aget_loop() -> float:
        from asgiref.sync import ThreadSensitiveContext

        async with ThreadSensitiveContext():
            for _ in range(200):
                await ContentType.objects.aget(pk=pk)
            started = time.perf_counter()
            for _ in range(OVERHEAD_CALLS):
                await ContentType.objects.aget(pk=pk)
            return time.perf_counter() - started

    for _ in range(runs):
        # A thread of its own: a sync call on the loop's thread would be refused by Django.
        box: list[float] = []
        thread = threading.Thread(target=lambda out: out.append(sync_loop()), args=(box,))
        thread.start()
        thread.join()
        results["sync"].append(box[0] / OVERHEAD_CALLS * 1e6)
        results["run_in_db"].append(asyncio.run(bridge_loop()) / OVERHEAD_CALLS * 1e6)
        results["aget"].append(asyncio.run(aget_loop()) / OVERHEAD_CALLS * 1e6)
        _close_stray_connections()
    return results


def _spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    low, high = min(values) * scale, max(values) * scale
    median = statistics.median(values) * scale
    return f"{median:,.{digits}f} ({low:,.{digits}f}-{high:,.{digits}f})"


def run(options: Any = None) -> dict[str, Any]:
    """Measure, print the tables, write the JSON result; return the result document."""
    runs = getattr(options, "runs", 5)
    results_dir = Path(getattr(options, "results_dir", RESULTS_DIR))
    _setup()
    _create_database()
    try:
        parallel: dict[str, dict[str, Any]] = {}
        for n in COUNTS:
            row: dict[str, Any] = {}
            for pool in POOLS:
                row[f"bridge_pool_{pool}"] = _measure("bridge", pool, n, runs)
            row["sync_to_async"] = _measure("sync_to_async", None, n, runs)
            row["a_methods"] = _measure("a_methods", None, n, runs)
            parallel[str(n)] = row
        overhead = _overhead(runs)
    finally:
        _drop_database()
    document = {
        "benchmark": NAME,
        "description": DESCRIPTION,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "method": {
            "sleep_s": SLEEP,
            "runs": runs,
            "overhead_calls": OVERHEAD_CALLS,
            "conn_max_age": 60,
        },
        "parallel": parallel,
        "overhead_us_per_call": overhead,
    }
    _print(document)
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{NAME}-{stamp}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nresult: {path}")
    return document


def _machine() -> dict[str, Any]:
    import os
    import platform
    from importlib import metadata

    return {
        "nproc": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "asgiref": metadata.version("asgiref"),
    }


def _print(document: dict[str, Any]) -> None:
    runs = document["method"]["runs"]
    print(
        f"P3 bridge parallelism: N concurrent SELECT pg_sleep({SLEEP}), wall ms, "
        f"median (min-max) of {runs} runs"
    )
    header = (
        "N",
        "bridge pool 8",
        "bridge pool 32",
        "sync_to_async 1 request",
        "gather a-methods",
        "ideal pool 8",
        "ideal pool 32",
        "a-methods / pool 8",
        "a-methods / pool 32",
        "conns pool 8/32/a-m",
    )
    rows = []
    for n, row in document["parallel"].items():
        median = {k: statistics.median(v["seconds"]) for k, v in row.items()}
        rows.append(
            (
                n,
                _spread(row["bridge_pool_8"]["seconds"], 1000),
                _spread(row["bridge_pool_32"]["seconds"], 1000),
                _spread(row["sync_to_async"]["seconds"], 1000),
                _spread(row["a_methods"]["seconds"], 1000),
                f"{math.ceil(int(n) / 8) * SLEEP * 1000:,.0f}",
                f"{math.ceil(int(n) / 32) * SLEEP * 1000:,.0f}",
                f"{median['a_methods'] / median['bridge_pool_8']:.1f}x",
                f"{median['a_methods'] / median['bridge_pool_32']:.1f}x",
                f"{row['bridge_pool_8']['server_connections']}/"
                f"{row['bridge_pool_32']['server_connections']}/"
                f"{row['a_methods']['server_connections']}",
            )
        )
    _table(header, rows)
    over = document["overhead_us_per_call"]
    print(
        f"\nper-call overhead, ContentType.objects.get(pk=...), {OVERHEAD_CALLS} sequential "
        f"calls, us/call median (min-max) of {runs} runs"
    )
    sync = statistics.median(over["sync"])
    _table(
        (
            "sync call",
            "run_in_db",
            "Django aget",
            "run_in_db / sync",
            "aget / sync",
            "run_in_db / aget",
        ),
        [
            (
                _spread(over["sync"], digits=0),
                _spread(over["run_in_db"], digits=0),
                _spread(over["aget"], digits=0),
                f"{statistics.median(over['run_in_db']) / sync:.2f}x",
                f"{statistics.median(over['aget']) / sync:.2f}x",
                f"{statistics.median(over['run_in_db']) / statistics.median(over['aget']):.2f}x",
            )
        ],
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    line = " | ".join(f"{h:<{w}}" for h, w in zip(header, widths, strict=True))
    print(line)
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.bridge_parallel [--runs N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bridge_parallel", description=DESCRIPTION
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per cell (default: 5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    run(argparse.Namespace(runs=args.runs, results_dir=RESULTS_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
