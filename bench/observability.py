"""Observability overhead: the same request with and without OpenTelemetry instrumentation.

``python -m bench observability [--runs N] [--duration S] [--warmup S]``. The request does a
query through the DB bridge (psycopg), a query on the native engine and a call to an
upstream that answers at once (``example_project/upstream_service.py``, on the client's
CPU); django_asyncx's ASGI application on uvicorn, one process on CPU 0, wrk on CPU 1, the
loop watchdog on. Targets (``bench/observability_site.py``):

- ``off``: OpenTelemetry not configured (the baseline);
- ``metrics``: the SDK's meter provider, collecting every second: django_asyncx's
  instruments (the upstream call's duration per request, the observable gauges per
  collection).

The ratio column is each target's median requests per second over the baseline's.
"""

from __future__ import annotations

from typing import Any

from ._harness import Options, Target, run_http_benchmark, uvicorn
from ._procs import Server, free_port

NAME = "observability"
DESCRIPTION = "bridge query + native query + upstream call, OpenTelemetry off vs metrics"

_APP = "bench.observability_site:application"
_MODES = (
    ("off", "OpenTelemetry not configured", "off"),
    ("metrics", "SDK meter provider, django_asyncx metrics", "metrics"),
)


def targets(upstream: str) -> tuple[Target, ...]:
    """One target per instrumentation mode, all calling ``upstream``."""
    return tuple(
        Target(
            key=key,
            label=label,
            short=short,
            argv=uvicorn(_APP, "--factory", "--http", "httptools", "--loop", "uvloop"),
            path="/work",
            server="uvicorn",
            env=(
                ("DJANGO_SETTINGS_MODULE", "bench.observability_site"),
                ("BENCH_OTEL", key),
                ("UPSTREAM_URL", upstream),
            ),
        )
        for key, label, short in _MODES
    )


def run(options: Options) -> dict[str, Any]:
    """Start the upstream, measure every mode side by side, print and write the result."""
    port = free_port()
    upstream = f"http://127.0.0.1:{port}"
    argv = ["example_project/upstream_service.py", "--port", str(port), "--failure-rate", "0"]
    with Server(argv, cpu=options.client_cpu) as server:
        server.wait_ready(f"{upstream}/fast")
        return run_http_benchmark(
            NAME, DESCRIPTION, targets(upstream), baselines=["off"], options=options
        )
