"""The ASGI entry under real servers: lifespan order and failures, daphne, granian.

uvicorn and hypercorn speak the lifespan protocol; daphne sends none, so the hooks start
with the first request and stop when the Twisted reactor shuts down; granian serves the
example project.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from django_asyncx.testing.servers import ServerStartError, free_port

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example_project"
LIFESPAN_APP = "tests.support.lifespan_project.asgi:application"
LIFESPAN_SETTINGS = "tests.support.lifespan_project.settings"
FAILURE = (
    "startup hook tests.support.lifespan_project.hooks.broken_startup failed: "
    "RuntimeError: the cache server refused the connection"
)
# What each server prints when the application answers lifespan.startup.failed.
FAILURE_REPORT = {
    "uvicorn": f"ERROR:    {FAILURE}\nERROR:    Application startup failed. Exiting.",
    "hypercorn": f"LifespanFailureError: Lifespan failure in startup. '{FAILURE}'",
}


def lifespan_env(events, *, fail=False):
    env = {"DJANGO_SETTINGS_MODULE": LIFESPAN_SETTINGS, "LIFESPAN_EVENTS": str(events)}
    if fail:
        env["LIFESPAN_FAIL"] = "1"
    return env


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_hooks_run_in_order_and_resources_close_after_shutdown_hooks(
    server, tmp_path, asyncx_live_server_factory
):
    events = tmp_path / "events"
    live = asyncx_live_server_factory(
        LIFESPAN_APP, server=server, cwd=ROOT, env=lifespan_env(events)
    )
    # Startup is complete before the server accepts requests.
    assert events.read_text().splitlines() == [
        "startup first",
        "startup second",
        "resource created",
        "context enter",
    ]
    assert live.get("/ping/").json()["uses"] == 1
    assert live.get("/ping/").json()["uses"] == 2
    live.stop()
    assert not live.killed, live.output
    assert events.read_text().splitlines() == [
        "startup first",
        "startup second",
        "resource created",
        "context enter",
        "request",
        "request",
        # Shutdown: reverse registration order, then the per-loop resources.
        "context exit",
        "shutdown second, resource still open: True",
        "shutdown first",
        "resource closed after 2 uses",
    ]
    assert "Traceback" not in live.output


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_failing_startup_hook_is_reported_and_the_server_exits(
    server, tmp_path, asyncx_live_server_factory
):
    events = tmp_path / "events"
    with pytest.raises(ServerStartError) as failure:
        asyncx_live_server_factory(
            LIFESPAN_APP, server=server, cwd=ROOT, env=lifespan_env(events, fail=True)
        )
    error = failure.value
    assert error.returncode not in (None, 0)
    assert FAILURE_REPORT[server] in error.output
    # What had started was unwound: shutdown hooks so far, then the per-loop resource.
    assert events.read_text().splitlines() == [
        "startup first",
        "startup second",
        "resource created",
        "shutdown second, resource still open: True",
        "shutdown first",
        "resource closed after 0 uses",
    ]


def migrated_example_env(tmp_path):
    """Environment for the example project on a fresh, seeded SQLite database."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.sqlite3'}",
    }
    for command in (["migrate", "-v0"], ["seed_demo", "--authors", "3", "--books-per-author", "4"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=EXAMPLE, capture_output=True,
            text=True, check=False, env={**os.environ, **env}, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    return env


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_daphne_serves_the_example_and_closes_resources_at_exit(
    stop_signal, tmp_path, asyncx_live_server_factory
):
    live = asyncx_live_server_factory(
        "config.asgi:application", server="daphne", cwd=EXAMPLE,
        env=migrated_example_env(tmp_path), ready_path=None,
    )  # fmt: skip
    # No lifespan events from daphne: nothing has started before the first request.
    assert "INFO demo: startup" not in live.output
    books = live.get("/api/books/?limit=5")
    assert books.status == 200
    assert books.json()["count"] == 5
    assert "INFO demo: startup" in live.stderr
    assert live.get("/api/books/").json()["count"] == 12
    stats = live.get("/api/stats/").json()
    assert stats == {"authors": 3, "books": 12, "page_views": 3, "database": "sqlite"}
    live.stop(stop_signal)
    assert not live.killed, live.output
    assert live.returncode == 0
    log = live.stderr
    startup = log.index("INFO demo: startup")
    shutdown = log.index("INFO demo: shutdown")
    closed = log.index("INFO demo: closing page-view counter (3 views)")
    assert startup < shutdown < closed
    for trouble in ("Event loop is closed", "Task was destroyed", "Traceback", "ERROR"):
        assert trouble not in live.output


def test_daphne_runs_the_lazy_lifespan_once_and_in_order(tmp_path, asyncx_live_server_factory):
    events = tmp_path / "events"
    live = asyncx_live_server_factory(
        LIFESPAN_APP, server="daphne", cwd=ROOT, env=lifespan_env(events), ready_path=None
    )
    assert not events.exists()
    assert [live.get("/ping/").json()["uses"] for _ in range(3)] == [1, 2, 3]
    live.stop()
    assert events.read_text().splitlines() == [
        "startup first",
        "startup second",
        "resource created",
        "context enter",
        "request",
        "request",
        "request",
        "context exit",
        "shutdown second, resource still open: True",
        "shutdown first",
        "resource closed after 3 uses",
    ]
    assert "Traceback" not in live.output


def test_granian_serves_the_example(tmp_path, asyncx_live_server_factory):
    live = asyncx_live_server_factory(
        "config.asgi:application", server="granian", cwd=EXAMPLE,
        env=migrated_example_env(tmp_path),
    )  # fmt: skip
    response = live.get("/api/books/?limit=3")
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["count"] == 3
    live.stop()
    assert "INFO demo: closing page-view counter (1 views)" in live.stderr


def test_the_example_pages_render_over_uvicorn(tmp_path, asyncx_live_server_factory):
    # The template pages of the example project, as wired in config/settings.py and urls.py:
    # arender with querysets and an awaitable, a streamed page, and the Jinja2 async backend.
    live = asyncx_live_server_factory(
        "config.asgi:application", cwd=EXAMPLE, env=migrated_example_env(tmp_path)
    )
    expected = {
        "/pages/bookshop/": "<title>Bookshop</title>",
        "/pages/streamed/": "<title>Catalogue summary</title>",
        "/pages/jinja/": "<title>Authors</title>",
    }
    for path, title in expected.items():
        response = live.get(path)
        assert response.status == 200, (path, response.text[:500])
        assert title in response.text, path
        if path != "/pages/streamed/":  # the seeded authors, e.g. "Ada Lovelace #3"
            assert re.search(r"\w+ \w+ #\d+", response.text), path
    home = live.get("/").text
    for path in (*expected, "/bank/summary/"):
        assert f'href="{path}"' in home, path


def test_the_aggregator_calls_the_shipped_upstream_service_over_uvicorn(
    tmp_path, asyncx_live_server_factory
):
    # Both halves as a user runs them: upstream_service.py in its own process, the example
    # project pointed at it through UPSTREAM_URL, request.http fanning out to three routes.
    port = free_port()
    asyncx_upstream = subprocess.Popen(
        [sys.executable, "upstream_service.py", "--port", str(port)],
        cwd=EXAMPLE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
        env = {**migrated_example_env(tmp_path), "UPSTREAM_URL": f"http://127.0.0.1:{port}"}
        live = asyncx_live_server_factory("config.asgi:application", cwd=EXAMPLE, env=env)
        response = live.get("/aggregator/?format=json")
        assert response.status == 200
        panels = response.json()["panels"]
        assert set(panels) == {"weather", "headlines", "stocks"}
        # The slow route is reliable; the failing one costs its panel, not the page.
        assert panels["weather"]["error"] is None
        assert panels["weather"]["data"] is not None
        assert "server-timing" in {key.lower() for key in response.headers}
    finally:
        asyncx_upstream.terminate()
        asyncx_upstream.wait(10)
        asyncx_upstream.stderr.close()
