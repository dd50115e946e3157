"""The live-server harness: start, readiness, output, graceful stop, kill, no leftovers."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from django_asyncx.testing.servers import (
    SERVERS,
    LiveServer,
    ServerStartError,
    free_port,
    server_command,
)

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "example_project"
LIFESPAN_SETTINGS = "tests.support.lifespan_project.settings"


def alive(pid):
    """Whether ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_server_that_dies_at_startup_fails_with_its_output(asyncx_live_server_factory):
    with pytest.raises(ServerStartError) as failure:
        asyncx_live_server_factory(
            "tests.support.asgi_apps:stuck_at_shutdown",
            cwd=ROOT,
            env={"ASGI_APPS_FAIL_IMPORT": "settings module exploded on purpose"},
        )
    error = failure.value
    assert error.returncode not in (None, 0)
    assert "RuntimeError: settings module exploded on purpose" in error.output
    assert "settings module exploded on purpose" in str(error)
    assert "uvicorn exited with status" in str(error)


def test_unknown_import_path_fails_with_the_servers_message(asyncx_live_server_factory):
    with pytest.raises(ServerStartError) as failure:
        asyncx_live_server_factory("tests.no_such_module:app", server="hypercorn", cwd=ROOT)
    assert "No module named 'tests.no_such_module'" in failure.value.output


@pytest.mark.parametrize("server", SERVERS)
def test_stop_is_graceful_and_leaves_no_process(server, tmp_path):
    events = tmp_path / "events"
    live = LiveServer(
        "tests.support.lifespan_project.asgi:application",
        server=server,
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": LIFESPAN_SETTINGS, "LIFESPAN_EVENTS": str(events)},
    )
    with live:
        response = live.get("/ping/")
        assert response.status == 200
        serving_pid = response.json()["pid"]
        members = live.leftover_processes()
        assert live.pid in members
        assert serving_pid in members  # granian's worker is in the server's process group
    assert not live.killed
    assert live.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert live.leftover_processes() == []
    assert not alive(serving_pid)
    assert not alive(live.pid)
    # Graceful: the application's shutdown ran to its end.
    assert events.read_text().splitlines()[-1] == "resource closed after 1 uses"


def test_server_that_ignores_the_stop_signal_is_killed_with_its_group():
    live = LiveServer("tests.support.asgi_apps:stuck_at_shutdown", server="uvicorn", cwd=ROOT,
                      stop_timeout=2)  # fmt: skip
    with live:
        assert live.get("/").status == 200
    # uvicorn waited forever for lifespan.shutdown.complete: the harness killed it.
    assert live.killed
    assert live.returncode == -signal.SIGKILL
    assert live.leftover_processes() == []
    assert "Waiting for application shutdown." in live.output


def test_output_is_readable_while_running_and_after_stop():
    live = LiveServer("config.asgi:application", cwd=EXAMPLE,
                      env={"DJANGO_SETTINGS_MODULE": "config.settings"})  # fmt: skip
    with live:
        assert "Application startup complete." in live.output
    assert "Application shutdown complete." in live.stderr
    assert live.stop() == live.returncode  # a second stop changes nothing
    assert not live.running
    with pytest.raises(RuntimeError, match="already started"):
        live.start()


def test_live_server_factory_stops_its_servers_even_when_the_test_fails(tmp_path):
    pid_file = tmp_path / "pid"
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            def test_fails_while_serving(asyncx_live_server_factory):
                live = asyncx_live_server_factory("tests.support.asgi_apps:stuck_at_shutdown",
                                                  cwd={str(ROOT)!r}, server="granian")
                open({str(pid_file)!r}, "w").write(str(live.pid))
                raise AssertionError("failing on purpose while a server runs")
            """
        )
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:django", "-p", "no:cacheprovider",
         "-q", "test_inner.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert "1 failed" in result.stdout, result.stdout + result.stderr
    assert "failing on purpose while a server runs" in result.stdout
    pid = int(pid_file.read_text())
    assert not alive(pid)


def test_server_command_rejects_an_unknown_server():
    with pytest.raises(ValueError, match="unknown server 'gunicorn'; accepted: uvicorn"):
        server_command("gunicorn", "app:app", host="127.0.0.1", port=8000)
    with pytest.raises(ValueError, match="accepted: uvicorn, hypercorn, daphne, granian"):
        LiveServer("app:app", server="gunicorn")


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize("server", SERVERS)
def test_a_port_taken_before_the_server_binds_it_is_retried(server, monkeypatch, tmp_path):
    from django_asyncx.testing import servers

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    ports = [taken.getsockname()[1], free_port()]
    monkeypatch.setattr(servers, "free_port", lambda host: ports.pop(0))
    try:
        live = LiveServer(
            "tests.support.lifespan_project.asgi:application", server=server, cwd=ROOT,
            env={"DJANGO_SETTINGS_MODULE": LIFESPAN_SETTINGS,
                 "LIFESPAN_EVENTS": str(tmp_path / "events")},
            ready_path="/ping/",
        )  # fmt: skip
        with live:
            assert ports == []  # both ports were handed out: the second start is serving
            assert live.port != taken.getsockname()[1]
            assert live.get("/ping/").status == 200
    finally:
        taken.close()
