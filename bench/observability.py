"""Observability overhead: the same request with and without OpenTelemetry instrumentation.

``python -m bench observability [--runs N] [--duration S] [--warmup S]``. The request does a
query through the DB bridge (psycopg), a query on the native engine and a call to an
upstream that answers at once (``example_project/upstream_service.py``, on the client's
CPU); django_asyncx's ASGI application on uvicorn, one process on CPU 0, wrk on CPU 1, the
loop watchdog on. Targets (``bench/observability_site.py``):

- ``off``: OpenTelemetry not configured (the baseline);
- ``metrics``: the SDK's meter provider, collecting every second: django_asyncx's
  instruments (the upstream call's duration per request, the observable gauges per
  collection);
- ``traces``: the metrics and the SDK's tracer provider with the ASGI, psycopg, asyncpg and
  aiohttp-client instrumentations and django_asyncx's own spans (the native queries): a
  trace of 4 spans or more per request, every one sampled and exported in batches.

The ratio column is each target's median requests per second over the baseline's; a second
table gives the server's CPU time per request, and its ratio, which is what instrumentation
adds to when the request mostly waits (for the database and the upstream).
"""

from __future__ import annotations

import statistics
from typing import Any

from ._harness import Options, Target, run_http_benchmark, uvicorn
from ._procs import Server, free_port
from ._results import write_result

NAME = "observability"
DESCRIPTION = "bridge query + native query + upstream call: OpenTelemetry off, metrics, traces"

_APP = "bench.observability_site:application"
_MODES = (
    ("off", "OpenTelemetry not configured", "off"),
    ("metrics", "SDK meter provider, django_asyncx metrics", "metrics"),
    ("traces", "metrics + SDK tracer provider and instrumentations", "traces"),
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
        document = run_http_benchmark(
            NAME, DESCRIPTION, targets(upstream), baselines=["off"], options=options
        )
    document["cpu_us_per_request"] = cpu_per_request(document)
    print()
    print(format_cpu_table(document["cpu_us_per_request"]))
    write_result(document, options.results_dir)  # the same file, with the CPU figures
    return document


def cpu_per_request(document: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The server's CPU time per request of each target, in microseconds, over the runs.

    When the request waits on the database and the upstream more than on the server's CPU
    (a loaded machine), requests per second move with them; the CPU each request costs the
    server is what instrumentation adds to.
    """
    found = {}
    for target in document["targets"]:
        per = [s["server_cpu"] * s["duration_s"] / s["requests"] * 1e6
               for s in target["samples"] if s["requests"]]  # fmt: skip
        found[target["key"]] = {"median": statistics.median(per), "min": min(per),
                                "max": max(per)}  # fmt: skip
    return found


def format_cpu_table(figures: dict[str, dict[str, float]]) -> str:
    """The CPU per request of each target and its ratio to the baseline (``off``)."""
    base = figures["off"]["median"]
    lines = ["target    server CPU us/request median (min-max)  vs off",
             "--------  --------------------------------------  ------"]  # fmt: skip
    for key, spread in figures.items():
        cell = f"{spread['median']:,.0f} ({spread['min']:,.0f}-{spread['max']:,.0f})"
        lines.append(f"{key:<8}  {cell:<38}  {spread['median'] / base:.2f}x")
    return "\n".join(lines)
