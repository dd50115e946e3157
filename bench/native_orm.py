"""P2: the ORM on the native asyncpg engine against sync Django, Django's a-methods, the
thread bridge and raw asyncpg.

    python -m bench.native_orm [--n 2000] [--repeats 5] [--concurrency 50] [--loop auto]

Operations: get(pk), a 100-row filter, select_related, prefetch_related, create, and a
10-query "dashboard" unit of work; each run sequentially and with 50 concurrent tasks.
Paths (same PostgreSQL server and database, measured side by side in one process):

* ``sync``: the plain sync ORM (psycopg), no event loop;
* ``stock``: Django's a-methods (``aget``...; ``sync_to_async`` of the sync ORM);
* ``bridge``: ``run_in_db`` on a psycopg alias (django_asyncx's thread path);
* ``native``: ``run_in_db`` on the native engine (one greenlet per call, asyncpg, no thread);
* ``native-a``: Django's a-methods on the native engine (``ASYNCX["NATIVE_AMETHODS"]``);
* ``asyncpg``: hand-written SQL on an asyncpg pool (the floor);
* ``async-backend``: django-async-backend (psycopg's async connection, an ORM generated from
  Django's source; get(pk) only), installed on demand (:mod:`bench._async_backend`).

The async paths run on uvloop when it is installed (as uvicorn does), else on asyncio's own
loop (``--loop`` picks). Prints us/op (median of the repeats, with min-max), the ratio to
``stock`` and to ``asyncpg``, the threads that ran the queries and the server connections that
served them, then the targets as ratios with met/missed, and writes
``bench/results/native_orm-<time>.json``. Targets: native get(pk) >= 1.0x the sync ORM,
>= 2x stock and >= 1.0x django-async-backend sequentially; with 50 concurrent tasks >= 3x
stock and >= 1.0x django-async-backend.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from . import _async_backend

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "asyncx_bench_native"
NAME = "native_orm"
DESCRIPTION = "P2: ORM on the native engine vs sync, a-methods, bridge, raw asyncpg"
PATHS = ("sync", "stock", "bridge", "native", "native-a", "asyncpg", "async-backend")
TARGETS = (
    # (operation, mode, baseline path, at least this many times faster)
    ("get", "seq", "sync", 1.0),
    ("get", "seq", "stock", 2.0),
    ("get", "seq", "async-backend", 1.0),
    ("get", "c50", "stock", 3.0),
    ("get", "c50", "async-backend", 1.0),
)
OPS = ("get", "filter100", "select_related", "prefetch", "create", "dashboard")


def _server() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from django_asyncx.testing import services

    entry = services.database_settings(services.postgres_url())
    entry["NAME"] = DB_NAME
    return entry


def setup_django(async_backend: bool = False) -> dict[str, Any]:
    """Configure Django with a psycopg alias and a native alias on one bench database (and
    django-async-backend's alias when ``async_backend``)."""
    import django
    from django.conf import settings

    server = _server()
    import psycopg

    admin = psycopg.connect(
        dbname="postgres",
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        host=server["HOST"] or None,
        port=server["PORT"] or None,
        autocommit=True,
    )
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    databases = {
        # Persistent, so the thread bridge does not reconnect per call.
        "default": {**server, "ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": None},
        "native": {**server, "ENGINE": "django_asyncx.db.backends.postgresql"},
    }
    apps = ["django.contrib.contenttypes", "django_asyncx", "bench.native_orm_app"]
    if async_backend:
        databases[_async_backend.ALIAS] = _async_backend.database(server)
        apps.append("django_async_backend")
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        SECRET_KEY="bench",
        INSTALLED_APPS=apps,
        DATABASES=databases,
        ASYNCX={"NATIVE_AMETHODS": True},
        ASYNC_BACKEND_DISABLE_REQUEST_SIGNALS=True,
    )
    django.setup()
    return server


def define_models() -> tuple[Any, Any, Any]:
    from bench.native_orm_app.models import Author, Book, Tag

    return Author, Tag, Book


def seed(Author: Any, Tag: Any, Book: Any) -> None:
    import datetime

    from django.db import connection

    with connection.schema_editor() as editor:
        for model in (Book, Tag, Author):
            editor.execute(f'DROP TABLE IF EXISTS "{model._meta.db_table}" CASCADE')
        for model in (Author, Tag, Book):
            editor.create_model(model)
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    authors = Author.objects.bulk_create(
        [Author(name=f"author {i}", email=f"a{i}@example.com") for i in range(100)]
    )
    Book.objects.bulk_create(
        [
            Book(
                title=f"book {i}",
                author=authors[i % 100],
                pages=i % 500,
                price="9.99",
                published=now,
            )
            for i in range(2000)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Workload:
    """The six operations, written once as sync ORM functions (alias as an argument) and once
    as raw SQL for asyncpg."""

    def __init__(self, Author: Any, Tag: Any, Book: Any) -> None:
        self.Author, self.Tag, self.Book = Author, Tag, Book

    # ---- sync ORM (the body every ORM path runs) -------------------------------------
    def get(self, db: str, i: int) -> Any:
        return self.Book.objects.using(db).get(pk=1 + i % 2000)

    def filter100(self, db: str, i: int) -> Any:
        return list(self.Book.objects.using(db).filter(pages__gte=i % 300)[:100])

    def select_related(self, db: str, i: int) -> Any:
        return [
            b.author.name
            for b in self.Book.objects.using(db).select_related("author").filter(pages=i % 500)[:20]
        ]

    def prefetch(self, db: str, i: int) -> Any:
        return [
            len(a.books.all())
            for a in self.Author.objects.using(db)
            .prefetch_related("books")
            .filter(pk__in=[1 + (i + k) % 100 for k in range(5)])
        ]

    def create(self, db: str, i: int) -> Any:
        return self.Tag.objects.using(db).create(name=uuid.uuid4().hex)

    def dashboard(self, db: str, i: int) -> Any:
        from django.db.models import Avg, Count

        Book, Author = self.Book.objects.using(db), self.Author.objects.using(db)
        return (
            Book.count(),
            Author.count(),
            Book.get(pk=1 + i % 2000).title,
            Author.get(pk=1 + i % 100).name,
            list(Book.filter(author_id=1 + i % 100).values_list("title", flat=True)[:5]),
            Book.aggregate(avg=Avg("pages")),
            Book.filter(pages__gt=250).exists(),
            list(Author.annotate(n=Count("books")).values("name", "n")[:3]),
            Book.order_by("-pages").first().pk,
            list(self.Tag.objects.using(db).order_by("-id")[:3]),
        )

    # ---- Django's a-methods (stock on "default", native on "native") --------------------
    async def aget(self, db: str, i: int) -> Any:
        return await self.Book.objects.using(db).aget(pk=1 + i % 2000)

    async def afilter100(self, db: str, i: int) -> Any:
        return [b async for b in self.Book.objects.using(db).filter(pages__gte=i % 300)[:100]]

    async def aselect_related(self, db: str, i: int) -> Any:
        qs = self.Book.objects.using(db).select_related("author").filter(pages=i % 500)[:20]
        return [b.author.name async for b in qs]

    async def aprefetch(self, db: str, i: int) -> Any:
        qs = (
            self.Author.objects.using(db)
            .prefetch_related("books")
            .filter(pk__in=[1 + (i + k) % 100 for k in range(5)])
        )
        return [len(a.books.all()) async for a in qs]

    async def acreate(self, db: str, i: int) -> Any:
        return await self.Tag.objects.using(db).acreate(name=uuid.uuid4().hex)

    async def adashboard(self, db: str, i: int) -> Any:
        from django.db.models import Avg, Count

        Book, Author = self.Book.objects.using(db), self.Author.objects.using(db)
        first = await Book.order_by("-pages").afirst()
        return (
            await Book.acount(),
            await Author.acount(),
            (await Book.aget(pk=1 + i % 2000)).title,
            (await Author.aget(pk=1 + i % 100)).name,
            [
                t
                async for t in Book.filter(author_id=1 + i % 100).values_list("title", flat=True)[
                    :5
                ]
            ],
            await Book.aaggregate(avg=Avg("pages")),
            await Book.filter(pages__gt=250).aexists(),
            [r async for r in Author.annotate(n=Count("books")).values("name", "n")[:3]],
            first.pk,
            [t async for t in self.Tag.objects.using(db).order_by("-id")[:3]],
        )

    # ---- raw asyncpg ------------------------------------------------------------------
    BOOK = "SELECT id, title, author_id, pages, price, published FROM bench_book"

    async def raw_get(self, conn: Any, i: int) -> Any:
        return await conn.fetchrow(self.BOOK + " WHERE id = $1", 1 + i % 2000)

    async def raw_filter100(self, conn: Any, i: int) -> Any:
        return await conn.fetch(self.BOOK + " WHERE pages >= $1 LIMIT 100", i % 300)

    async def raw_select_related(self, conn: Any, i: int) -> Any:
        return await conn.fetch(
            "SELECT b.id, b.title, b.author_id, b.pages, b.price, b.published, a.id, a.name, "
            "a.email FROM bench_book b JOIN bench_author a ON a.id = b.author_id "
            "WHERE b.pages = $1 LIMIT 20",
            i % 500,
        )

    async def raw_prefetch(self, conn: Any, i: int) -> Any:
        ids = [1 + (i + k) % 100 for k in range(5)]
        authors = await conn.fetch(
            "SELECT id, name, email FROM bench_author WHERE id = ANY($1)", ids
        )
        books = await conn.fetch(self.BOOK + " WHERE author_id = ANY($1)", [a[0] for a in authors])
        return authors, books

    async def raw_create(self, conn: Any, i: int) -> Any:
        return await conn.fetchval(
            "INSERT INTO bench_tag (name) VALUES ($1) RETURNING id", uuid.uuid4().hex
        )

    async def raw_dashboard(self, conn: Any, i: int) -> Any:
        return (
            await conn.fetchval("SELECT count(*) FROM bench_book"),
            await conn.fetchval("SELECT count(*) FROM bench_author"),
            await conn.fetchrow(self.BOOK + " WHERE id = $1", 1 + i % 2000),
            await conn.fetchrow(
                "SELECT id, name, email FROM bench_author WHERE id = $1", 1 + i % 100
            ),
            await conn.fetch(
                "SELECT title FROM bench_book WHERE author_id = $1 LIMIT 5", 1 + i % 100
            ),
            await conn.fetchval("SELECT avg(pages) FROM bench_book"),
            await conn.fetchval("SELECT EXISTS (SELECT 1 FROM bench_book WHERE pages > 250)"),
            await conn.fetch(
                "SELECT a.name, count(b.id) FROM bench_author a LEFT JOIN bench_book b "
                "ON b.author_id = a.id GROUP BY a.id LIMIT 3"
            ),
            await conn.fetchrow(self.BOOK + " ORDER BY pages DESC LIMIT 1"),
            await conn.fetch("SELECT id, name FROM bench_tag ORDER BY id DESC LIMIT 3"),
        )


class Usage:
    """The threads that ran queries and the server connections (backend pids) that served
    them, while the block runs; and the most threads alive in the process."""

    threads: set[int] = set()
    pids: set[int] = set()
    recording = False

    @classmethod
    def install(cls) -> None:
        """Record every query Django runs (psycopg or native) through its cursor wrapper."""
        from django.db.backends import utils

        original = utils.CursorWrapper._execute

        def _execute(self: Any, sql: Any, params: Any, *ignored: Any) -> Any:
            if cls.recording:
                cls.record(self.db.connection.info.backend_pid)
            return original(self, sql, params, *ignored)

        utils.CursorWrapper._execute = _execute  # type: ignore[method-assign]

    @classmethod
    def record(cls, pid: int) -> None:
        cls.threads.add(threading.get_ident())
        cls.pids.add(pid)

    def __enter__(self) -> Usage:
        Usage.threads, Usage.pids, Usage.recording = set(), set(), True
        self.alive = threading.active_count()
        self._stop = threading.Event()

        def sample() -> None:
            while not self._stop.wait(0.02):
                self.alive = max(self.alive, threading.active_count() - 1)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        Usage.recording = False
        self._stop.set()
        self._sampler.join()
        self.threads = len(Usage.threads)
        self.connections = len(Usage.pids)


def timed_sync(fn: Callable[[int], Any], n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n * 1e6


async def timed_async(
    fn: Callable[[int], Awaitable[Any]],
    n: int,
    concurrency: int,
    finish: Callable[[], Awaitable[None]] | None = None,
) -> float:
    """us per call of ``n`` calls of ``fn`` from ``concurrency`` tasks.

    With ``finish`` (a path with a connection per task), each task starts from an empty
    context, so it opens its own connection, and awaits ``finish()`` when done (outside the
    time measured) to close it.
    """
    counter = iter(range(n))
    done: list[float] = []

    async def worker() -> None:
        for i in counter:
            await fn(i)
        done.append(time.perf_counter())
        if finish is not None:
            await finish()

    loop = asyncio.get_running_loop()
    context = None if finish is None else contextvars.Context
    start = time.perf_counter()
    if concurrency == 1 and finish is None:
        await worker()
    else:
        await asyncio.gather(
            *(
                loop.create_task(worker(), context=None if context is None else context())
                for _ in range(concurrency)
            )
        )
    return (max(done) - start) / n * 1e6


def loop_runner(name: str) -> tuple[str, Callable[[Any], Any]]:
    """The loop the async paths run on: ``uvloop`` or ``asyncio`` (``auto``: uvloop when
    installed, as uvicorn picks)."""
    if name in ("auto", "uvloop"):
        try:
            import uvloop
        except ImportError:
            if name == "uvloop":
                raise
        else:
            return "uvloop", uvloop.run
    return "asyncio", asyncio.run


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON result."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.native_orm", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--n", type=int, default=1000, help="operations per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="measurements per cell")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--ops", default=",".join(OPS), help=f"comma-separated subset of {OPS}")
    parser.add_argument(
        "--paths", default=",".join(PATHS), help=f"comma-separated subset of {PATHS}"
    )
    parser.add_argument("--loop", choices=("auto", "uvloop", "asyncio"), default="auto")
    args = parser.parse_args(argv)
    ops = [op for op in args.ops.split(",") if op]
    paths = [p for p in args.paths.split(",") if p]
    loop_name, run_loop = loop_runner(args.loop)
    skipped: dict[str, str] = {}
    if "async-backend" in paths:
        reason = _async_backend.available()
        if reason is not None:
            skipped["async-backend"] = reason
            paths.remove("async-backend")
            print(f"skipped path async-backend: {reason}", file=sys.stderr)

    server = setup_django(async_backend="async-backend" in paths)
    Usage.install()
    Author, Tag, Book = define_models()
    seed(Author, Tag, Book)
    work = Workload(Author, Tag, Book)
    results: dict[str, dict[str, dict[str, Any]]] = {}

    from django.db import connections

    def cell(path: str, op: str, mode: str, samples: list[float], usage: Usage) -> None:
        results.setdefault(op, {}).setdefault(f"{path}/{mode}", {}).update(
            us=statistics.median(samples),
            min=min(samples),
            max=max(samples),
            threads=usage.threads,
            connections=usage.connections,
            threads_alive=usage.alive,
        )

    # sync ORM: sequential only (concurrency needs threads; that is the bridge's row).
    if "sync" in paths:
        for op in ops:
            call = partial(getattr(work, op), "default")
            timed_sync(call, max(50, args.n // 10))
            with Usage() as usage:
                samples = [timed_sync(call, args.n) for _ in range(args.repeats)]
            cell("sync", op, "seq", samples, usage)
        connections.close_all()

    async def run_async() -> None:
        import asyncpg

        from django_asyncx.db import run_in_db

        pools: list[Any] = []

        async def raw_pool() -> Any:
            # Opened when first used: the per-task connections of async-backend (first in
            # the order) leave room for nothing else on a server with max_connections=100.
            if not pools:
                pools.append(
                    await asyncpg.create_pool(
                        database=DB_NAME,
                        user=server["USER"] or None,
                        password=server["PASSWORD"] or None,
                        host=server["HOST"] or None,
                        port=int(server["PORT"]) if server["PORT"] else None,
                        min_size=1,
                        max_size=10,
                    )
                )
            return pools[0]

        def make(path: str, op: str) -> Callable[[int], Awaitable[Any]]:
            if path == "stock":
                return lambda i: getattr(work, "a" + op)("default", i)
            if path == "native-a":
                return lambda i: getattr(work, "a" + op)("native", i)
            if path == "bridge":
                return lambda i: run_in_db(getattr(work, op), "default", i, using="default")
            if path == "native":
                return lambda i: run_in_db(getattr(work, op), "native", i, using="native")
            if path == "async-backend":
                return lambda i: _async_backend.aget(work.Book, 1 + i % 2000)
            raw = getattr(work, "raw_" + op)

            async def call(i: int) -> Any:
                async with (await raw_pool()).acquire() as conn:
                    if Usage.recording:
                        Usage.record(conn.get_server_pid())
                    return await raw(conn, i)

            return call

        # async-backend first, before the other paths hold connections (see raw_pool).
        ordered = sorted(paths, key=lambda path: path != "async-backend")
        for op in ops:
            for path in ordered:
                if path == "sync" or (path == "async-backend" and op != "get"):
                    continue
                fn = make(path, op)
                finish = _async_backend.finish if path == "async-backend" else None
                for mode, concurrency in (("seq", 1), ("c50", args.concurrency)):
                    await timed_async(fn, max(50, args.n // 10), concurrency, finish)
                    with Usage() as usage:
                        samples = [
                            await timed_async(fn, args.n, concurrency, finish)
                            for _ in range(args.repeats)
                        ]
                    cell(path, op, mode, samples, usage)
                    print(
                        f"  {op:<15} {path:<13} {mode}: {statistics.median(samples):8.0f} us/op",
                        file=sys.stderr,
                    )
        for pool in pools:
            await pool.close()

    run_loop(run_async())
    report = render(results, ops, paths)
    targets = check_targets(results)
    load = os.getloadavg()
    header = (
        f"loop: {loop_name}; load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(header)
    print(report)
    print()
    print(render_targets(targets, skipped))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"native_orm-{stamp}.json"
    import django

    out.write_text(
        json.dumps(
            {
                "benchmark": "native_orm",
                "time": stamp,
                "python": platform.python_version(),
                "django": django.get_version(),
                "cpus": os.cpu_count(),
                "n": args.n,
                "repeats": args.repeats,
                "concurrency": args.concurrency,
                "loop": loop_name,
                "loadavg": load,
                "skipped": skipped,
                "results": results,
                "targets": targets,
                "table": report,
            },
            indent=2,
        )
    )
    print(f"\nwritten: {out.relative_to(ROOT)}")
    return 0


def render(results: dict[str, dict[str, dict[str, Any]]], ops: list[str], paths: list[str]) -> str:
    """The results as a text table: us/op, ratio to stock and to asyncpg, and the threads
    and server connections that ran the path's queries."""
    lines = [
        f"{'operation':<15} {'path':<13} {'mode':<4} {'us/op':>8} {'min-max':>13} "
        f"{'vs stock':>9} {'vs asyncpg':>10} {'threads':>7} {'conns':>5}"
    ]
    for op in ops:
        for mode in ("seq", "c50"):
            stock = results.get(op, {}).get(f"stock/{mode}", {}).get("us")
            raw = results.get(op, {}).get(f"asyncpg/{mode}", {}).get("us")
            for path in paths:
                row = results.get(op, {}).get(f"{path}/{mode}")
                if row is None:
                    continue
                vs_stock = f"{stock / row['us']:.2f}x" if stock else "-"
                vs_raw = f"{row['us'] / raw:.2f}x" if raw else "-"
                lines.append(
                    f"{op:<15} {path:<13} {mode:<4} {row['us']:>8.0f} "
                    f"{row['min']:>6.0f}-{row['max']:<6.0f} {vs_stock:>9} {vs_raw:>10} "
                    f"{row['threads'] or '-':>7} {row['connections'] or '-':>5}"
                )
        lines.append("")
    lines.append(
        "vs stock: how many times faster than Django's a-methods (higher is better); "
        "vs asyncpg: how many times slower than raw asyncpg (lower is better); threads, "
        "conns: threads that ran the queries, server connections that served them (-: not "
        "counted, async-backend has a cursor of its own)."
    )
    return "\n".join(lines)


def check_targets(results: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each target: native's ratio to its baseline (how many times faster) and whether met."""
    checked = []
    for op, mode, baseline, wanted in TARGETS:
        native = results.get(op, {}).get(f"native/{mode}", {}).get("us")
        base = results.get(op, {}).get(f"{baseline}/{mode}", {}).get("us")
        ratio = base / native if native and base else None
        checked.append(
            {
                "operation": op,
                "mode": mode,
                "baseline": baseline,
                "target": wanted,
                "ratio": ratio,
                "met": None if ratio is None else ratio >= wanted,
            }
        )
    return checked


def render_targets(targets: list[dict[str, Any]], skipped: dict[str, str]) -> str:
    """The targets as lines: native's ratio to the baseline, the target, met or missed."""
    lines = ["targets (native is N times faster than the baseline, same run):"]
    for t in targets:
        where = f"{t['operation']} {t['mode']} vs {t['baseline']}"
        if t["ratio"] is None:
            why = skipped.get(t["baseline"], "not measured in this run")
            lines.append(f"  {where:<28} >= {t['target']:.1f}x: - ({why})")
        else:
            verdict = "met" if t["met"] else "MISSED"
            lines.append(f"  {where:<28} >= {t['target']:.1f}x: {t['ratio']:.2f}x {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
