"""A realistic page: a logged-in user's 20 books (a FK each), a template, sessions, auth.

``python -m bench.page [--runs N] [--duration S] [--warmup S]`` measures, side by side, one
process on one core (wrk on another), DEBUG off, PostgreSQL on loopback, ``CONN_MAX_AGE=60``,
every request carrying a logged-in user's session cookie (a session row and a user row are
read per request, as in any project with auth), two middleware lists:

- startproject's 7 middleware: Django's on WSGI, django_asyncx's drop-ins on ours;
- the same plus django-cors-headers and WhiteNoise (the two most common additions): stock
  WhiteNoise on WSGI, django_asyncx's WhiteNoise drop-in and cors-headers on ours.

For each list: the sync view on gunicorn (1 worker, 1 thread) as the baseline; the async view
on django_asyncx under uvicorn (httptools, uvloop) on the thread path (the stock psycopg
backend through ``run_in_db``) and on the native engine
(``django_asyncx.db.backends.postgresql``). Targets: the native engine >= 1.5x WSGI with
startproject's middleware; django_asyncx >= 1.0x WSGI with cors-headers and WhiteNoise.

The database (``BENCH_DATABASE_URL``, default ``asyncx_bench_page`` on the local PostgreSQL)
is created, migrated and seeded (20 authors, 20 books, the user) when missing; static files
are collected into ``bench/results/static`` for WhiteNoise.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from . import project
from ._harness import Options, Target, gunicorn, parse_options, run_http_benchmark, uvicorn
from ._postgres import django_admin, ensure_database
from ._procs import ROOT, BenchError, terminate_on_sigterm

NAME = "page"
DESCRIPTION = "logged-in 20-row page with a FK, template, sessions, auth; +cors +WhiteNoise"

NATIVE_ENGINE = "django_asyncx.db.backends.postgresql"
_PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "example_project")])
_FAST = ("--http", "httptools", "--loop", "uvloop")
# The session cookie's value is made by prepare_database(); the targets take it as a header.
_SEED = "from bench.project.page_views import logged_in_session; print(logged_in_session())"


def _env(middleware: str, engine: str | None = None) -> tuple[tuple[str, str], ...]:
    env = (*project.environ("page", middleware=middleware), ("PYTHONPATH", _PYTHONPATH))
    if os.environ.get("BENCH_DATABASE_URL"):
        env = (*env, ("BENCH_DATABASE_URL", os.environ["BENCH_DATABASE_URL"]))
    return (*env, ("BENCH_DB_ENGINE", engine)) if engine else env


def targets(session_key: str) -> tuple[Target, ...]:
    """The six targets: WSGI, thread path and native engine, for each middleware list."""
    cookie = (("Cookie", f"sessionid={session_key}"),)
    found = []
    for extra, what in (("", "startproject's middleware"), ("-extra", "+cors +WhiteNoise")):
        suffix = " +cors+wn" if extra else ""
        found += [
            Target(
                key=f"wsgi{extra}",
                label=f"sync view, WSGI gunicorn, Django {what}",
                short=f"WSGI{suffix}",
                argv=gunicorn(project.WSGI),
                path="/page-sync",
                server="gunicorn",
                env=_env(f"django{extra}"),
                headers=cookie,
            ),
            Target(
                key=f"thread{extra}",
                label=f"django_asyncx thread path (psycopg), uvicorn, drop-ins {what}",
                short=f"thread{suffix}",
                argv=uvicorn(project.ASGI_ASYNCX, *_FAST),
                path="/page-async",
                server="uvicorn",
                env=_env(f"asyncx{extra}"),
                headers=cookie,
            ),
            Target(
                key=f"native{extra}",
                label=f"django_asyncx native engine, uvicorn, drop-ins {what}",
                short=f"native{suffix}",
                argv=uvicorn(project.ASGI_ASYNCX, *_FAST),
                path="/page-async",
                server="uvicorn",
                env=_env(f"asyncx{extra}", NATIVE_ENGINE),
                headers=cookie,
            ),
        ]
    return tuple(found)


def _manage(*args: str, middleware: str = "django") -> str:
    return django_admin(_env(middleware), *args)


def prepare_database() -> str:
    """Create, migrate and seed the database if needed, collect static files; return a
    fresh logged-in session key."""
    ensure_database(os.environ.get("BENCH_DATABASE_URL", project.PAGE_DATABASE_URL))
    _manage("migrate", "--no-input", "-v", "0")
    _manage("seed_demo", "--authors", "20", "--books-per-author", "1", "--if-empty")
    _manage("collectstatic", "--no-input", "-v", "0", middleware="django-extra")
    return _manage("shell", "-c", _SEED).strip().splitlines()[-1]


def _ratio_lines(document: dict[str, Any]) -> list[str]:
    rates = {t["key"]: t["summary"]["requests_per_s"]["median"] for t in document["targets"]}
    lines = []
    for extra, what in (("", "startproject's middleware"), ("-extra", "+cors +WhiteNoise")):
        base = rates[f"wsgi{extra}"]
        for path in ("thread", "native"):
            ratio = rates[f"{path}{extra}"] / base
            lines.append(f"  {path:<6} vs WSGI, {what}: {ratio:.2f}x")
    return lines


def run(options: Options) -> dict[str, Any]:
    """Prepare the database, measure the six targets, print the table and the ratios."""
    session_key = prepare_database()
    document = run_http_benchmark(
        NAME, DESCRIPTION, targets(session_key), baselines=("wsgi", "wsgi-extra"),
        options=options,
    )  # fmt: skip
    print("\nratios, each against WSGI with the same middleware (median req/s):")
    print("\n".join(_ratio_lines(document)))
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.page [--runs N] [--duration S] [--warmup S]``."""
    options = parse_options("python -m bench.page", DESCRIPTION, argv)
    try:
        with terminate_on_sigterm():
            run(options)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
