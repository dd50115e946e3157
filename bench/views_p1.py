"""P1 for views: a trivial JSON view and a template view with one query, eight ways.

``python -m bench.views_p1 [--runs N] [--duration S] [--warmup S]`` measures, side by side,
one process on one core (wrk on another), startproject's 7 middleware, DEBUG off:

- sync views, WSGI, gunicorn (1 worker, 1 thread), Django's middleware: the baseline;
- ``django.core.asgi`` on uvicorn with Django's middleware (stock async Django);
- ``django.core.asgi`` on uvicorn with django_asyncx's drop-in middleware;
- ``django_asyncx.asgi`` with the drop-ins, on uvicorn, hypercorn and granian;
- stock and ours again on uvicorn with httptools and uvloop (``uvicorn[standard]``); the
  other uvicorn targets use its plain install's h11 parser and asyncio loop.

The page view queries SQLite once: with ``afirst`` on the stock entry, through ``run_in_db``
on django_asyncx's entry. Target P1: django_asyncx >= 1.0x WSGI (>= 6x stock ASGI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from . import project
from ._harness import Options, Target, gunicorn, parse_options, run_http_benchmark, uvicorn
from ._procs import ROOT

NAME = "views_p1"
DESCRIPTION = "JSON view and one-query template view, 7 middleware, DEBUG off, 1 process"

_DJANGO_MW = project.environ("p1", middleware="django")
_ASYNCX_MW = project.environ("p1", middleware="asyncx")
# uvicorn's plain install parses HTTP in Python (h11) on asyncio's loop; uvicorn[standard]
# (httptools, uvloop) is what production deployments use. Both are named explicitly.
_H11 = ("--http", "h11", "--loop", "asyncio")
_FAST = ("--http", "httptools", "--loop", "uvloop")


def targets(view: str) -> tuple[Target, ...]:
    """The eight targets for ``view``: ``"json"`` or ``"page"``."""
    sync_path = f"/{view}-sync"
    stock_path = "/json" if view == "json" else "/page-django"
    ours_path = "/json" if view == "json" else "/page-asyncx"
    ours = project.ASGI_ASYNCX
    return (
        Target(
            key="wsgi",
            label="sync view, WSGI, gunicorn, Django middleware",
            short="WSGI",
            argv=gunicorn(project.WSGI),
            path=sync_path,
            server="gunicorn",
            env=_DJANGO_MW,
        ),
        Target(
            key="stock",
            label="django.core.asgi, uvicorn, Django middleware",
            short="stock ASGI",
            argv=uvicorn(project.ASGI_DJANGO, *_H11),
            path=stock_path,
            server="uvicorn",
            env=_DJANGO_MW,
        ),
        Target(
            key="stock-ourmw",
            label="django.core.asgi, uvicorn, django_asyncx middleware",
            short="stock+mw",
            argv=uvicorn(project.ASGI_DJANGO, *_H11),
            path=stock_path,
            server="uvicorn",
            env=_ASYNCX_MW,
        ),
        Target(
            key="ours-uvicorn",
            label="django_asyncx.asgi, uvicorn, django_asyncx middleware",
            short="ours",
            argv=uvicorn(ours, *_H11),
            path=ours_path,
            server="uvicorn",
            env=_ASYNCX_MW,
        ),
        Target(
            key="stock-httptools",
            label="django.core.asgi, uvicorn httptools+uvloop, Django middleware",
            short="stock fast",
            argv=uvicorn(project.ASGI_DJANGO, *_FAST),
            path=stock_path,
            server="uvicorn",
            env=_DJANGO_MW,
        ),
        Target(
            key="ours-httptools",
            label="django_asyncx.asgi, uvicorn httptools+uvloop, django_asyncx middleware",
            short="ours fast",
            argv=uvicorn(ours, *_FAST),
            path=ours_path,
            server="uvicorn",
            env=_ASYNCX_MW,
        ),
        Target(
            key="ours-hypercorn",
            label="django_asyncx.asgi, hypercorn, django_asyncx middleware",
            short="hypercorn",
            argv=(
                "-m",
                "hypercorn",
                ours,
                "--bind",
                "127.0.0.1:{port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ),
            path=ours_path,
            server="hypercorn",
            env=_ASYNCX_MW,
        ),
        Target(
            key="ours-granian",
            label="django_asyncx.asgi, granian, django_asyncx middleware",
            short="granian",
            argv=(
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--workers",
                "1",
                "--no-access-log",
                "--log-level",
                "warning",
                ours,
            ),
            path=ours_path,
            server="granian",
            env=_ASYNCX_MW,
        ),
    )


def prepare_database() -> None:
    """Create the SQLite database of the page view and its one user (idempotent)."""
    env = {**os.environ, **dict(project.environ("p1"))}
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    manage = [sys.executable, "-m", "django"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    seed = (
        "from django.contrib.auth.models import User\n"
        "User.objects.get_or_create(pk=1, defaults={'username': 'ada'})\n"
    )
    subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True)


def run(options: Options) -> list[dict[str, Any]]:
    """Measure both views; print a table per view; write a JSON result per view."""
    prepare_database()
    documents = []
    for view, what in (("json", "trivial JSON view"), ("page", "template view, one query")):
        documents.append(
            run_http_benchmark(
                f"{NAME}_{view}",
                f"{what}, startproject's 7 middleware, DEBUG off, 1 process",
                targets(view),
                baselines=("wsgi", "stock"),
                options=options,
            )
        )
        print()
    return documents


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.views_p1``: parse the options and run."""
    run(parse_options("python -m bench.views_p1", __doc__ or NAME, argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
