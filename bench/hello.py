"""P1: the hello-world view through stock ASGI, django_asyncx's ASGI, and sync WSGI.

The same trivial JSON view with startproject's 7 middleware and DEBUG off, served by one
process on one core: the async view by ``django.core.asgi`` and by ``django_asyncx.asgi`` on
uvicorn, the sync view by gunicorn (1 worker, 1 thread, sync worker class). Target P1 is
django_asyncx >= 1.0x WSGI.
"""

from __future__ import annotations

from typing import Any

from . import project
from ._harness import Options, Target, gunicorn, run_http_benchmark, uvicorn

NAME = "hello"
DESCRIPTION = "trivial JSON view, startproject's 7 middleware, DEBUG off, 1 process"

_ENV = project.environ("hello")

TARGETS = (
    Target(
        key="wsgi",
        label="sync view, WSGI, gunicorn",
        short="WSGI",
        argv=gunicorn(project.WSGI),
        path="/hello-sync",
        server="gunicorn",
        env=_ENV,
    ),
    Target(
        key="django-asgi",
        label="django.core.asgi, uvicorn",
        short="stock ASGI",
        argv=uvicorn(project.ASGI_DJANGO),
        path="/hello",
        server="uvicorn",
        env=_ENV,
    ),
    Target(
        key="asyncx-asgi",
        label="django_asyncx.asgi, uvicorn",
        short="django_asyncx",
        argv=uvicorn(project.ASGI_ASYNCX),
        path="/hello",
        server="uvicorn",
        env=_ENV,
    ),
)

BASELINES = ("wsgi", "django-asgi")


def run(options: Options) -> dict[str, Any]:
    """Measure the three targets side by side; print the table; write the JSON result."""
    return run_http_benchmark(NAME, DESCRIPTION, TARGETS, baselines=BASELINES, options=options)
