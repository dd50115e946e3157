"""P4: a view making 3 upstream calls, sync and sequential vs ``request.http.gather``.

Two measurements, side by side in one run (``python -m bench.http_fanout``):

1. **Fan-out.** Each request makes 3 calls to an upstream that answers after 100 ms. The sync
   view calls them one after another with a kept-alive ``requests.Session`` under gunicorn
   (1 worker, 1 thread, sync worker class; and gthread, 32 threads); the async view awaits
   ``request.http.gather(...)`` under uvicorn with ``django_asyncx.asgi``. wrk at 32 and 256
   connections. Target: the async view answers in ~100 ms (the slowest call), not 300 ms.
2. **Sessions.** The same async fan-out against an upstream that answers at once, with the
   shared per-loop session (``request.http``), a new aiohttp ``ClientSession`` per request,
   and a new ``httpx.AsyncClient`` per request. Target: shared >= 3x per-request session.

The Django server runs on CPU 0 (``taskset -c 0``), wrk and the upstream (the example
project's ``upstream_service.py``, aiohttp) on CPU 1. DEBUG off, access logs off, one
process. Each point is the median of ``--runs`` wrk runs after a warm-up; the JSON result
(every run, server thread and socket counts, machine) goes to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

NAME = "http_fanout"
DESCRIPTION = "P4: 3 upstream calls of 100 ms, sync sequential vs async gather; session reuse"

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
SERVER_CPU, CLIENT_CPU = "0", "1"
DELAY = "%2Fweather%3Fms%3D100"  # the upstream path /weather?ms=100, URL-encoded
FAST = "%2Ffast"


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    server: str  # "uvicorn" or "gunicorn"
    path: str


FANOUT = (
    Target("sync-requests", "sync view, requests, sequential (gunicorn 1x1)", "gunicorn",
           f"/sync-sequential?path={DELAY}"),
    Target("sync-requests-32t", "sync view, requests, sequential (gthread 32)", "gthread",
           f"/sync-sequential?path={DELAY}"),
    Target("async-gather", "async view, request.http.gather (uvicorn)", "uvicorn",
           f"/async-gather?path={DELAY}"),
)  # fmt: skip
SESSIONS = (
    Target("shared-session", "shared per-loop session (request.http)", "uvicorn",
           f"/async-gather?path={FAST}"),
    Target("aiohttp-per-request", "new aiohttp ClientSession per request", "uvicorn",
           f"/aiohttp-per-request?path={FAST}"),
    Target("httpx-per-request", "new httpx.AsyncClient per request", "uvicorn",
           f"/httpx-per-request?path={FAST}"),
)  # fmt: skip
SCHEMES = ("http", "https")
SESSION_CONNECTIONS = 32  # P4b runs against both: real APIs are HTTPS


@dataclass
class Run:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    server_threads: int
    server_upstream_sockets: int
    server_rss_mib: float


@dataclass
class Point:
    target: str
    connections: int
    scheme: str
    runs: list[Run] = field(default_factory=list)

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in self.runs))

    def spread(self, name: str) -> tuple[float, float]:
        values = [getattr(run, name) for run in self.runs]
        return min(values), max(values)


# ----------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(upstream: Upstream) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.http_fanout_site",
        UPSTREAM_URL=upstream.url,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "example_project")]),
    )
    if upstream.cafile:
        env["SSL_CERT_FILE"] = upstream.cafile  # aiohttp and httpx both honour it
    return env


@dataclass
class Upstream:
    url: str
    port: int
    cafile: str | None
    proc: subprocess.Popen[bytes]


def _start_upstream(scheme: str, workdir: Path) -> Upstream:
    port = _free_port()
    argv = ["example_project/upstream_service.py", "--port", str(port), "--failure-rate", "0"]
    cafile = None
    if scheme == "https":
        cafile, key = str(workdir / "cert.pem"), str(workdir / "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", cafile, "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        argv += ["--certfile", cafile, "--keyfile", key]
    proc = _start(argv, dict(os.environ), CLIENT_CPU)
    upstream = Upstream(f"{scheme}://127.0.0.1:{port}", port, cafile, proc)
    deadline = time.monotonic() + 30
    while True:  # the service answers once it is listening
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return upstream
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop(proc)
                raise RuntimeError(f"the {scheme} upstream did not start") from None
            time.sleep(0.2)


def _start(argv: list[str], env: dict[str, str], cpu: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["taskset", "-c", cpu, sys.executable, *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


def _wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{err}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not ready at {url} after 30 s")


def _server_argv(server: str, port: int) -> list[str]:
    if server in ("gunicorn", "gthread"):
        threads, worker = ("1", "sync") if server == "gunicorn" else ("32", "gthread")
        return [
            "-m", "gunicorn", "django.core.wsgi:get_wsgi_application()",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", threads,
            "--worker-class", worker, "--timeout", "300", "--log-level", "warning",
        ]  # fmt: skip
    return [
        "-m", "uvicorn", "--factory", "django_asyncx.asgi:get_asgi_application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def _wait_idle(pid: int, *, limit: float = 60.0) -> None:
    """Wait until the server has finished what wrk left queued (CPU use under 5%)."""
    import psutil

    def cpu() -> float:
        root = psutil.Process(pid)
        return sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])

    deadline = time.monotonic() + limit
    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu()
        if now - before < 0.025:
            return
        before = now


def _server_stats(pid: int, upstream_port: int) -> tuple[int, int, float]:
    import psutil

    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    threads = sockets = 0
    rss = 0.0
    for proc in procs:
        if proc.name().startswith("taskset"):
            continue
        threads += proc.num_threads()
        rss += proc.memory_info().rss / 2**20
        sockets += sum(
            1 for c in proc.net_connections("tcp") if c.raddr and c.raddr.port == upstream_port
        )
    # The worker process (gunicorn's child) is what serves; its master adds one thread.
    return threads, sockets, round(rss, 1)


# ----------------------------------------------------------------------------- wrk


_TIME = r"([\d.]+)(us|ms|s|m)"
_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(match: re.Match[str] | None) -> float:
    return float(match[1]) * _UNITS_MS[match[2]] if match else float("nan")


def _wrk(url: str, connections: int, seconds: int) -> dict[str, float]:
    argv = ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
            "--latency", "--timeout", "60s", url]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s*(\d+) requests in", out, re.M)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(rate[1]) if rate else 0.0,
        "requests": int(total[1]) if total else 0,
        "p50_ms": _ms(re.search(rf"^\s+50%\s+{_TIME}", out, re.M)),
        "p99_ms": _ms(re.search(rf"^\s+99%\s+{_TIME}", out, re.M)),
        "errors": errors + (int(non2xx[1]) if non2xx else 0),
    }


def _measure(target: Target, connections: int, options: Any, upstream: Upstream) -> Point:
    point = Point(target.key, connections, upstream.url.split(":")[0])
    for _ in range(options.runs):
        port = _free_port()
        proc = _start(_server_argv(target.server, port), _env(upstream), SERVER_CPU)
        try:
            url = f"http://127.0.0.1:{port}{target.path}"
            _wait_ready(proc, url)
            if options.warmup:
                # One connection for the sync servers: their threads would otherwise still
                # be serving the warm-up's queue when the measured run starts.
                warm = connections if target.server == "uvicorn" else 1
                _wrk(url, warm, options.warmup)
                _wait_idle(proc.pid)
            result = _wrk(url, connections, options.duration)
            threads, sockets, rss = _server_stats(proc.pid, upstream.port)
            point.runs.append(Run(**result, server_threads=threads,
                                  server_upstream_sockets=sockets, server_rss_mib=rss))  # fmt: skip
        finally:
            _stop(proc)
    return point


# ----------------------------------------------------------------------------- report


def _row(label: str, point: Point) -> str:
    low, high = point.spread("requests_per_s")
    return (
        f"{label:<46} {point.connections:>5} {point.median('requests_per_s'):>8.1f} "
        f"({low:.0f}-{high:.0f}) {point.median('p50_ms'):>8.1f} {point.median('p99_ms'):>8.1f} "
        f"{sum(r.errors for r in point.runs):>6} {point.runs[-1].server_threads:>7} "
        f"{point.runs[-1].server_upstream_sockets:>8}"
    )


def _header() -> str:
    return (
        f"{'target':<46} {'conns':>5} {'req/s':>8} {'(min-max)':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'threads':>7} {'up-socks':>8}"
    )


def report(points: dict[tuple[str, int, str], Point]) -> tuple[str, dict[str, float]]:
    """The table and the ratios."""
    labels = {t.key: t.label for t in (*FANOUT, *SESSIONS)}
    lines = ["P4a fan-out: 3 upstream calls of 100 ms each (plain HTTP upstream)", _header()]
    ratios: dict[str, float] = {}
    fanout_conns = sorted({c for (key, c, _) in points if key == "sync-requests"})
    for conns in fanout_conns:
        gather = points[("async-gather", conns, "http")]
        for target in FANOUT:
            lines.append(_row(labels[target.key], points[(target.key, conns, "http")]))
        ratios[f"async p50 / 100 ms, {conns} conns"] = gather.median("p50_ms") / 100
        for key in ("sync-requests", "sync-requests-32t"):
            sync = points[(key, conns, "http")]
            if sync.median("requests") == 0:
                continue
            ratios[f"{key} p50 / async p50, {conns} conns"] = sync.median("p50_ms") / gather.median(
                "p50_ms"
            )
            ratios[f"async req/s / {key} req/s, {conns} conns"] = gather.median(
                "requests_per_s"
            ) / sync.median("requests_per_s")
    for scheme in SCHEMES:
        shared = points.get(("shared-session", SESSION_CONNECTIONS, scheme))
        if shared is None:
            continue
        lines += ["", f"P4b sessions: 3 calls per request to a fast {scheme.upper()} upstream, "
                  f"{SESSION_CONNECTIONS} connections", _header()]  # fmt: skip
        for target in SESSIONS:
            point = points.get((target.key, SESSION_CONNECTIONS, scheme))
            if point is None:
                lines.append(f"{target.label:<46} (skipped: not installed)")
                continue
            lines.append(_row(target.label, point))
            if target.key != "shared-session" and point.median("requests") > 0:
                ratios[f"shared / {target.key} req/s, {scheme}"] = shared.median(
                    "requests_per_s"
                ) / point.median("requests_per_s")
    lines += ["", "ratios (targets: async p50 ~1.0x of 100 ms; shared >= 3x per-request session)"]
    lines += [f"  {name:<46} {value:7.2f}x" for name, value in ratios.items()]
    return "\n".join(lines), ratios


CLIENT_KINDS = ("shared-session", "aiohttp-per-request", "httpx-per-request")


def _client_only(kind: str, upstream: Upstream, runs: int) -> list[float]:
    """P4c: fan-outs/s of the client alone (bench/http_fanout_client.py) on the server CPU."""
    rates = []
    for _ in range(runs):
        done = subprocess.run(
            ["taskset", "-c", SERVER_CPU, sys.executable, "-m", "bench.http_fanout_client", kind],
            cwd=ROOT, env=_env(upstream), capture_output=True, text=True, check=True,
        )  # fmt: skip
        rates.append(json.loads(done.stdout.strip().splitlines()[-1])["fanouts_per_s"])
    return rates


def client_report(results: dict[tuple[str, str], list[float]], ratios: dict[str, float]) -> str:
    """The P4c table; adds the shared/per-request ratios to ``ratios``."""
    lines = [
        "P4c the client alone (no Django, no server): 1,000 fan-outs of 3 calls, 32 at once",
        f"{'client':<46} {'scheme':>6} {'fan-outs/s':>10} {'(min-max)':>13}",
    ]
    for (kind, scheme), rates in results.items():
        lines.append(
            f"{kind:<46} {scheme:>6} {statistics.median(rates):>10.1f} "
            f"({min(rates):.0f}-{max(rates):.0f})"
        )
        shared = results.get(("shared-session", scheme))
        if kind != "shared-session" and shared:
            ratios[f"client alone: shared / {kind}, {scheme}"] = statistics.median(
                shared
            ) / statistics.median(rates)
    lines += [f"  {n:<52} {v:7.2f}x" for n, v in ratios.items() if n.startswith("client alone")]
    return "\n".join(lines)


def run(options: Any) -> dict[str, Any]:
    """Measure every target, print the table, write the JSON; ``options`` as in ``main``."""
    for tool in ("wrk", "taskset", "openssl"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (Debian: apt-get install {tool})")
    connections = list(getattr(options, "connections_list", None) or [1, 32, 256])
    have_httpx = subprocess.run([sys.executable, "-c", "import httpx"]).returncode == 0
    points: dict[tuple[str, int, str], Point] = {}
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as workdir:
        upstreams = {scheme: _start_upstream(scheme, Path(workdir)) for scheme in SCHEMES}
        try:
            for conns in connections:
                for target in FANOUT:
                    point = _measure(target, conns, options, upstreams["http"])
                    points[(target.key, conns, "http")] = point
            for scheme in SCHEMES:
                for target in SESSIONS:
                    if target.key == "httpx-per-request" and not have_httpx:
                        continue
                    point = _measure(target, SESSION_CONNECTIONS, options, upstreams[scheme])
                    points[(target.key, SESSION_CONNECTIONS, scheme)] = point
            client_only = {
                (kind, scheme): _client_only(kind, upstreams[scheme], options.runs)
                for scheme in SCHEMES
                for kind in CLIENT_KINDS
                if kind != "httpx-per-request" or have_httpx
            }
        finally:
            for upstream in upstreams.values():
                _stop(upstream.proc)
    table, ratios = report(points)
    table += "\n\n" + client_report(client_only, ratios)
    print(table)
    document = {
        "benchmark": NAME,
        "description": DESCRIPTION,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "options": {"runs": options.runs, "duration_s": options.duration,
                    "warmup_s": options.warmup, "connections": connections},
        "machine": {"nproc": os.cpu_count(), "load_average_start": load_start,
                    "load_average_end": os.getloadavg(), "python": sys.version.split()[0]},
        "points": [asdict(p) for p in points.values()],
        "client_only_fanouts_per_s": {f"{k} {s}": v for (k, s), v in client_only.items()},
        "ratios": ratios,
        "table": table,
    }  # fmt: skip
    results_dir = Path(getattr(options, "results_dir", RESULTS_DIR))
    results_dir.mkdir(parents=True, exist_ok=True)
    out = results_dir / f"{NAME}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.http_fanout [--runs N] [--duration S] [--warmup S]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.http_fanout", description=DESCRIPTION)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", default="1,32,256", help="for the fan-out part")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.connections_list = [int(c) for c in args.connections.split(",")]
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
