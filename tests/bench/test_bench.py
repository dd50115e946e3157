"""The benchmark harness (bench/): wrk's output parsed from real runs, servers stopped, the CLI.

No timing is asserted: the checks are counts (requests answered, processes, threads) and the
consistency of what wrk printed.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from bench import _harness, _procs, _results, _wrk, hello, project, report
from django_asyncx.middleware import async_native
from django_asyncx.testing.services import service_unavailable

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def wrk() -> None:
    if shutil.which("wrk") is None:
        service_unavailable(_procs.WRK_MISSING)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    body = b'{"message": "Hello, world!"}'

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)
        self.wfile.flush()
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.answered += 1  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass


class _CountingServer(http.server.ThreadingHTTPServer):
    # Join every connection thread at server_close(), so the count is final afterwards.
    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.lock = threading.Lock()
        self.answered = 0


@pytest.fixture
def counting_server() -> Iterator[_CountingServer]:
    threads_before = threading.active_count()
    server = _CountingServer()
    loop = threading.Thread(target=server.serve_forever, name="counting-server")
    loop.start()
    try:
        yield server
    finally:
        server.shutdown()
        loop.join()
        server.server_close()
    assert threading.active_count() == threads_before


def test_parse_wrk_reads_a_real_run_whose_count_matches_the_server(
    wrk: None, counting_server: _CountingServer
) -> None:
    connections = 4
    port = counting_server.server_address[1]
    run = _wrk.run_wrk(f"http://127.0.0.1:{port}/", duration=1, connections=connections, cpu=None)
    counting_server.shutdown()
    counting_server.server_close()  # joins the connection threads: the count is final
    answered = counting_server.answered

    result = _wrk.parse_wrk(run.output)
    assert result == run.result
    assert result.requests > 0
    # wrk counts the responses it read; the server may have answered one more per
    # connection that wrk closed without reading at the end of the run.
    assert answered - connections <= result.requests <= answered
    assert result.errors == 0
    assert result.duration_s > 0
    # Requests/sec is wrk's count over its run time (printed rounded to 10 ms).
    assert result.requests_per_s * result.duration_s == pytest.approx(result.requests, rel=0.02)
    p = result.percentiles_us
    assert 0 < p["p50"] <= p["p75"] <= p["p90"] <= p["p99"] <= result.latency_max_us
    assert run.client_cpu >= 0


def test_parse_wrk_rejects_output_that_is_not_wrk_latency_output(
    wrk: None, counting_server: _CountingServer
) -> None:
    port = counting_server.server_address[1]
    argv = ["wrk", "-t1", "-c1", "-d1s", f"http://127.0.0.1:{port}/"]  # without --latency
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    with pytest.raises(_procs.BenchError, match="latency distribution"):
        _wrk.parse_wrk(output)
    with pytest.raises(_procs.BenchError, match="unexpected wrk output"):
        _wrk.parse_wrk("")


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.servers
def test_hello_wsgi_target_measured_end_to_end_and_its_processes_stopped(
    wrk: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = _harness.Options(runs=1, duration=1, warmup=0, results_dir=tmp_path)
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("the harness pins server and client to two different CPUs")
    wsgi = next(t for t in hello.TARGETS if t.key == "wsgi")

    document = _harness.run_http_benchmark(
        "hello", hello.DESCRIPTION, [wsgi], baselines=["wsgi"], options=options
    )

    [written] = tmp_path.glob("hello-*.json")
    assert json.loads(written.read_text()) == document
    [target] = document["targets"]
    [sample] = target["samples"]
    assert _wrk.parse_wrk(sample["wrk_output"]).requests == sample["requests"] > 0
    assert target["ratios"] == {"wsgi": 1.0}
    assert document["machine"]["servers"]["gunicorn"] is not None
    # gunicorn: the master, then its sync worker, which serves on one thread.
    master, worker = sample["processes"]
    assert worker["threads"] == 1
    assert worker["peak_rss_kib"] > 0
    assert all(_gone(p["pid"]) for p in (master, worker))
    out = capsys.readouterr().out
    assert wsgi.label in out
    assert "1.00x" in out

    # The docs block and the plot are made from that same document.
    page = "intro\n% begin bench:hello\nold\n% end bench:hello\nafter\n"
    block = report.markdown(document, "performance-hello.svg")
    assert report.replace_block(page, "hello", block) == (
        f"intro\n% begin bench:hello\n\n{block}\n\n% end bench:hello\nafter\n"
    )
    assert f"| {wsgi.label} | {_results.table_rows(document)[1][0][1]} | 1.00x |" in block
    plot = ElementTree.fromstring(report.svg(document))
    bars = plot.findall("{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 1 + len(document["targets"])  # the background, then one per target


def test_server_stop_kills_the_whole_group_when_it_never_answers(wrk: None) -> None:
    # A parent that starts a child and never listens: wait_ready raises inside the with
    # block, and leaving the block stops both processes.
    argv = ["-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)']); time.sleep(60)"]  # fmt: skip
    url = f"http://127.0.0.1:{_procs.free_port()}/"
    pids: list[int] = []

    def serve_until_ready() -> None:
        with _procs.Server(argv, cpu=None) as server:
            deadline = time.monotonic() + 30
            while len(_procs.process_tree(server.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            pids.extend(_procs.process_tree(server.pid))
            server.wait_ready(url, timeout=0.5)

    with pytest.raises(_procs.BenchError, match="did not answer 200"):
        serve_until_ready()
    assert len(pids) == 2
    assert all(_gone(pid) for pid in pids)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_runner_help_lists_benchmarks_and_options() -> None:
    done = _bench("--help")
    assert done.returncode == 0, done.stderr
    for word in ("hello", "--runs", "--duration", "--warmup", "bench/results/"):
        assert word in done.stdout


def test_runner_rejects_an_unknown_benchmark_naming_the_accepted_ones() -> None:
    done = _bench("nope")
    assert done.returncode == 2
    assert "unknown benchmark 'nope'; accepted: hello" in done.stderr


def test_runner_rejects_a_duration_below_one_second() -> None:
    done = _bench("hello", "--duration", "0")
    assert done.returncode == 2
    assert "--duration: expected a whole number >= 1, got '0'" in done.stderr


def test_runner_says_how_to_install_wrk_when_it_is_missing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "hello", "--results-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},  # an empty folder: no wrk, no taskset
    )
    assert done.returncode == 2
    assert "wrk is not installed: install it with `apt-get install wrk`" in done.stderr
    assert list(tmp_path.iterdir()) == []


def _load_bench_settings() -> dict[str, Any]:
    # A fresh copy, read under the environment of the test; sys.modules keeps its own.
    spec = importlib.util.find_spec(project.SETTINGS)
    assert spec is not None
    assert spec.loader is not None
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    return vars(settings)


@pytest.mark.parametrize(
    ("views", "engine"),
    [
        ("hello", "django.db.backends.sqlite3"),
        ("p1", "django.db.backends.sqlite3"),
        ("templates", "django.db.backends.postgresql"),
        ("page", "django.db.backends.postgresql"),
    ],
)
@pytest.mark.parametrize("middleware", project.MIDDLEWARE)
def test_the_bench_project_serves_the_views_and_middleware_its_environment_names(
    monkeypatch: pytest.MonkeyPatch, views: str, engine: str, middleware: str
) -> None:
    for name, value in project.environ(views, middleware=middleware):
        monkeypatch.setenv(name, value)
    settings = _load_bench_settings()
    assert settings["ROOT_URLCONF"] == f"bench.project.urls.{views}"
    assert ("demo" in settings["INSTALLED_APPS"]) == (views in ("templates", "page"))
    assert settings["DATABASES"]["default"]["ENGINE"] == engine
    extra = middleware.endswith("-extra")
    assert ("corsheaders" in settings["INSTALLED_APPS"]) == extra
    stock = settings["EXTRA_MIDDLEWARE" if extra else "DJANGO_MIDDLEWARE"]
    ours = middleware.startswith("asyncx")
    assert settings["MIDDLEWARE"] == (async_native(stock) if ours else stock)
    if extra:
        assert "corsheaders.middleware.CorsMiddleware" in settings["MIDDLEWARE"]
        assert ("django_asyncx.middleware.WhiteNoiseMiddleware" in settings["MIDDLEWARE"]) == ours


def test_the_bench_project_refuses_views_it_does_not_have(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_VIEWS", "nope")
    accepted = "'hello' or 'p1' or 'templates' or 'page'"
    with pytest.raises(ValueError, match=f"BENCH_VIEWS must be {accepted}"):
        _load_bench_settings()
