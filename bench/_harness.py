"""What every HTTP benchmark shares: the method, one measurement, the result document.

The method is ``shared/BENCHMARKS.md``'s: each server runs on core 0 (``taskset -c 0``) with
one worker, no access log and DEBUG off; wrk runs on core 1 (``wrk -t1 -c32 -d8s --latency``)
after a 3 s warm-up; every target is measured ``runs`` times, the targets taking turns within
each run so that drift on a shared machine hits them alike, each on a freshly started server.
A sample records requests per second, the p50/p99 latencies of wrk's distribution, the CPU
share of wrk (over 70 % means the client, not the server, may be the limit) and of the server,
the serving process's threads and its peak RSS (``VmHWM``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ._procs import ROOT, BenchError, ProcessStats, Server, check_cpus, free_port, require_tools
from ._results import RESULTS_DIR, format_table, machine_info, write_result
from ._wrk import run_wrk

CLIENT_CPU_LIMIT = 0.70
"""Above this share of one core, wrk may be what limits the figure: the sample is flagged."""

SERVER_CPU_FLOOR = 0.80
"""Below this share of its core, a server that should be CPU-bound was starved or waiting."""


# -- options -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """How to measure; the defaults are BENCHMARKS.md's, the runner's flags override them."""

    runs: int = 3
    duration: int = 8
    warmup: int = 3
    connections: int = 32
    server_cpu: int = 0
    client_cpu: int = 1
    results_dir: Path = RESULTS_DIR


def parse_options(prog: str, description: str, argv: list[str] | None) -> Options:
    """The ``--runs``, ``--duration`` and ``--warmup`` of a benchmark's own command line."""
    defaults = Options()
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--runs", type=int, default=defaults.runs)
    parser.add_argument("--duration", type=int, default=defaults.duration)
    parser.add_argument("--warmup", type=int, default=defaults.warmup)
    args = parser.parse_args(argv)
    for name in ("runs", "duration"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.warmup < 0:
        parser.error(f"--warmup must be >= 0, got {args.warmup}")
    return Options(runs=args.runs, duration=args.duration, warmup=args.warmup)


# -- server command lines ------------------------------------------------------------------

UVICORN_OPTIONS = ("--host", "127.0.0.1", "--port", "{port}", "--workers", "1",
                   "--no-access-log", "--log-level", "warning")  # fmt: skip
"""uvicorn's options for every benchmark: loopback, one worker, no access log."""


def uvicorn(app: str, *options: str) -> tuple[str, ...]:
    """The command line of uvicorn serving ``app`` with :data:`UVICORN_OPTIONS` and ``options``."""
    return ("-m", "uvicorn", app, *UVICORN_OPTIONS, *options)


def gunicorn(app: str) -> tuple[str, ...]:
    """The sync baseline's command line: gunicorn serving ``app``, 1 worker, 1 thread, sync.

    gunicorn writes no access log unless ``--access-logfile`` is given.
    """
    return ("-m", "gunicorn", app, "--bind", "127.0.0.1:{port}", "--workers", "1",
            "--threads", "1", "--worker-class", "sync", "--log-level", "warning")  # fmt: skip


# -- one benchmark ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One way of serving the view: a server command line (``{port}`` filled in) and a path."""

    key: str
    label: str
    short: str
    """The name of the ratio column against this target, when it is a baseline."""
    argv: tuple[str, ...]
    path: str
    server: str
    """The distribution of the server, for the versions recorded (``uvicorn``)."""
    env: tuple[tuple[str, str], ...] = ()
    """Environment variables set for the server, over the runner's."""
    headers: tuple[tuple[str, str], ...] = ()
    """Request headers sent with every request (a session cookie), readiness check included."""


@dataclass
class Sample:
    """One measured run of one target."""

    run: int
    requests: int
    duration_s: float
    requests_per_s: float
    latency_us: dict[str, float]
    errors: int
    client_cpu: float
    server_cpu: float
    processes: list[ProcessStats]
    wrk_output: str

    @property
    def server_process(self) -> ProcessStats:
        """The process serving requests: the last of the tree (gunicorn's worker)."""
        return self.processes[-1]


@dataclass
class TargetResult:
    """A target and its samples."""

    target: Target
    samples: list[Sample] = field(default_factory=list)

    def rates(self) -> list[float]:
        """Requests per second, one per run."""
        return [s.requests_per_s for s in self.samples]

    def summary(self) -> dict[str, Any]:
        """Median, min and max of each figure over the runs."""

        def spread(values: list[float]) -> dict[str, float]:
            return {"median": statistics.median(values), "min": min(values), "max": max(values)}

        return {
            "requests_per_s": spread(self.rates()),
            "p50_ms": spread([s.latency_us["p50"] / 1e3 for s in self.samples]),
            "p99_ms": spread([s.latency_us["p99"] / 1e3 for s in self.samples]),
            "client_cpu": spread([s.client_cpu for s in self.samples]),
            "server_cpu": spread([s.server_cpu for s in self.samples]),
            "threads": max(s.server_process.threads for s in self.samples),
            "peak_rss_mib": max(s.server_process.peak_rss_kib for s in self.samples) / 1024,
            "errors": sum(s.errors for s in self.samples),
        }


def measure(target: Target, run: int, options: Options) -> Sample:
    """Start ``target``'s server, wait for it, warm it up, measure it once, stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{target.path}"
    argv = [a.format(port=port) for a in target.argv]
    with Server(argv, cpu=options.server_cpu, env=dict(target.env)) as server:
        server.wait_ready(url, headers=target.headers)
        if options.warmup:
            run_wrk(url, duration=options.warmup, connections=options.connections,
                    cpu=options.client_cpu, headers=target.headers)  # fmt: skip
        peak_threads: dict[int, int] = {}

        def sample_threads() -> None:
            for process in server.processes():
                peak_threads[process.pid] = max(peak_threads.get(process.pid, 0), process.threads)

        cpu_before = server.cpu_seconds()
        wrk = run_wrk(
            url, duration=options.duration, connections=options.connections,
            cpu=options.client_cpu, while_running=sample_threads, headers=target.headers,
        )  # fmt: skip
        server_cpu = (server.cpu_seconds() - cpu_before) / wrk.wall_s
        sample_threads()
        processes = [
            replace(p, threads=max(p.threads, peak_threads.get(p.pid, 0)))
            for p in server.processes()
        ]
        if not processes:
            raise BenchError(f"server exited during the run: {' '.join(argv)}\n{server.log()}")
    return Sample(
        run=run,
        requests=wrk.result.requests,
        duration_s=wrk.result.duration_s,
        requests_per_s=wrk.result.requests_per_s,
        latency_us=wrk.result.percentiles_us,
        errors=wrk.result.errors,
        client_cpu=wrk.client_cpu,
        server_cpu=server_cpu,
        processes=processes,
        wrk_output=wrk.output,
    )


def run_http_benchmark(
    name: str,
    description: str,
    targets: Sequence[Target],
    *,
    baselines: Sequence[str],
    options: Options,
) -> dict[str, Any]:
    """Measure every target ``options.runs`` times, print the table, write the JSON file.

    ``baselines`` are target keys; the table has one ratio column per baseline (median
    requests per second of the row over the baseline's). Returns the JSON document.
    """
    require_tools()
    check_cpus(options.server_cpu, options.client_cpu)
    date = dt.datetime.now(dt.UTC)
    machine = machine_info(sorted({t.server for t in targets}))
    results = [TargetResult(t) for t in targets]
    print(f"{name}: {description}", flush=True)
    print(
        f"{options.runs} run(s) x {options.duration} s after {options.warmup} s warm-up, "
        f"wrk -t1 -c{options.connections} on CPU {options.client_cpu}, "
        f"server on CPU {options.server_cpu}",
        flush=True,
    )
    for run in range(1, options.runs + 1):
        for result in results:
            sample = measure(result.target, run, options)
            result.samples.append(sample)
            print(
                f"  run {run}/{options.runs} {result.target.label}: "
                f"{sample.requests_per_s:,.0f} req/s, client CPU {sample.client_cpu:.0%}",
                flush=True,
            )
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    document = _document(name, description, results, baselines, options, date, machine)
    print()
    print(format_table(document))
    path = write_result(document, options.results_dir)
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return document


def _document(
    name: str,
    description: str,
    results: list[TargetResult],
    baselines: Sequence[str],
    options: Options,
    date: dt.datetime,
    machine: dict[str, Any],
) -> dict[str, Any]:
    by_key = {r.target.key: r for r in results}
    base_rates = {b: statistics.median(by_key[b].rates()) for b in baselines}
    warnings = []
    targets = []
    for result in results:
        summary = result.summary()
        if summary["client_cpu"]["max"] > CLIENT_CPU_LIMIT:
            warnings.append(
                f"{result.target.label}: wrk used up to {summary['client_cpu']['max']:.0%} of "
                f"its core (> {CLIENT_CPU_LIMIT:.0%}): the client may be the limit"
            )
        if summary["server_cpu"]["min"] < SERVER_CPU_FLOOR:
            warnings.append(
                f"{result.target.label}: the server used as little as "
                f"{summary['server_cpu']['min']:.0%} of its core (< {SERVER_CPU_FLOOR:.0%}): "
                "other work on the machine may have taken CPU 0"
            )
        if summary["errors"]:
            warnings.append(f"{result.target.label}: {summary['errors']} errors reported by wrk")
        median = summary["requests_per_s"]["median"]
        targets.append(
            {
                "key": result.target.key,
                "label": result.target.label,
                "short": result.target.short,
                "server": result.target.server,
                "command": list(result.target.argv),
                "path": result.target.path,
                "env": dict(result.target.env),
                "summary": summary,
                "ratios": {b: median / rate for b, rate in base_rates.items()},
                "samples": [asdict(s) for s in result.samples],
            }
        )
    return {
        "benchmark": name,
        "description": description,
        "date": date.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "machine": machine,
        "method": {
            "runs": options.runs,
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "connections": options.connections,
            "wrk_threads": 1,
            "server_cpu": options.server_cpu,
            "client_cpu": options.client_cpu,
            "client_cpu_limit": CLIENT_CPU_LIMIT,
            "server_cpu_floor": SERVER_CPU_FLOOR,
        },
        "baselines": list(baselines),
        "targets": targets,
        "warnings": warnings,
    }
