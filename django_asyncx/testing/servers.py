"""Run an ASGI application under a real server, in a subprocess on a free loopback port.

::

    from django_asyncx.testing.servers import LiveServer

    with LiveServer("config.asgi:application", server="hypercorn", cwd="example_project",
                    env={"DJANGO_SETTINGS_MODULE": "config.settings"}) as live:
        status, body = live.get("/api/books/")
    print(live.output)          # what the server printed, once stopped

The server is one of :data:`SERVERS`: uvicorn, hypercorn and granian run the ASGI lifespan
protocol (uvicorn with ``--lifespan on``, so a failed startup makes it exit); daphne sends no
lifespan events. :meth:`LiveServer.start` returns once the port accepts connections, or raises
:class:`ServerStartError` with the server's output when the process dies or never answers.
:meth:`LiveServer.stop` asks for a graceful shutdown (``SIGTERM``, which every one of these
servers turns into a lifespan shutdown or a reactor shutdown) and kills the whole process
group when the grace period runs out, so nothing outlives a test.

The pytest plugin wraps this in the ``live_server_factory`` fixture, which stops every
server it started.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from django_asyncx.exceptions import AsyncxError

__all__ = ["SERVERS", "LiveServer", "Response", "ServerStartError", "free_port", "server_command"]

SERVERS = ("uvicorn", "hypercorn", "daphne", "granian")
"""The servers :class:`LiveServer` knows how to start."""

_HOST = "127.0.0.1"
_PORT_ATTEMPTS = 3


class ServerStartError(AsyncxError, RuntimeError):
    """A live server died before it answered, or did not answer in time.

    ``output`` holds what the server printed and ``returncode`` its exit status (``None``
    when it was still running and had to be stopped).
    """

    def __init__(self, message: str, *, output: str, returncode: int | None) -> None:
        super().__init__(f"{message}\n--- server output ---\n{output}--- end of server output ---")
        self.output = output
        self.returncode = returncode


def free_port(host: str = _HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(server: str, app: str, *, host: str, port: int) -> list[str]:
    """The command line that serves the ASGI application ``app`` (``module:attribute``)."""
    python = sys.executable
    if server == "uvicorn":
        # --lifespan on: a startup failure is fatal instead of "lifespan unsupported".
        return [python, "-m", "uvicorn", app, "--host", host, "--port", str(port),
                "--lifespan", "on"]  # fmt: skip
    if server == "hypercorn":
        # --workers 0 serves in this process: with worker processes, hypercorn 0.18 exits
        # with status 0 even when a worker's lifespan startup failed.
        return [python, "-m", "hypercorn", app, "--bind", f"{host}:{port}", "--workers", "0",
                "--error-logfile", "-", "--graceful-timeout", "5"]  # fmt: skip
    if server == "daphne":
        return [python, "-m", "daphne", "-b", host, "-p", str(port), app]
    if server == "granian":
        return [python, "-m", "granian", "--interface", "asgi", "--host", host,
                "--port", str(port), "--workers", "1", app]  # fmt: skip
    raise ValueError(f"unknown server {server!r}; accepted: {', '.join(SERVERS)}")


class Response:
    """A response read by :meth:`LiveServer.request`: ``status``, ``headers``, ``body``.

    Header names are lowercased (servers differ in how they spell them).
    """

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = {name.lower(): value for name, value in headers.items()}
        self.body = body

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode()

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


class LiveServer:
    """One ASGI server process serving ``app`` on a free loopback port.

    ``app`` is ``module:attribute`` as the servers take it; ``cwd`` is the directory it is
    imported from; ``env`` is added to this process's environment (set
    ``DJANGO_SETTINGS_MODULE`` there: a test process usually has its own). ``args`` go to the
    server's command line after the defaults.

    The server is ready when a ``GET ready_path`` gets a response, whatever its status: a
    port that accepts connections is not enough, since granian's main process listens before
    its worker has loaded the application. With ``ready_path=None`` an accepted connection is
    enough (daphne: any request would run the startup hooks). ``start_timeout`` bounds the
    wait, ``stop_timeout`` the graceful shutdown before the process group is killed.
    """

    def __init__(
        self,
        app: str,
        *,
        server: str = "uvicorn",
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
        ready_path: str | None = "/",
        start_timeout: float = 30.0,
        stop_timeout: float = 15.0,
    ) -> None:
        if server not in SERVERS:
            raise ValueError(f"unknown server {server!r}; accepted: {', '.join(SERVERS)}")
        self.app = app
        self.server = server
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.env = dict(env or {})
        self.args = list(args)
        self.ready_path = ready_path
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.host = _HOST
        self.port = 0
        self.returncode: int | None = None
        self.killed = False
        self._process: subprocess.Popen[bytes] | None = None
        self._logdir: tempfile.TemporaryDirectory[str] | None = None
        self._stdout = ""
        self._stderr = ""

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server process's id (also its process group's), once started."""
        return self._process.pid if self._process is not None else None

    def start(self) -> Self:
        """Start the server and wait until it answers (see ``ready_path``).

        Raises :class:`ServerStartError` (with the output) when the process exits first or
        nothing answers within ``start_timeout``. The free port is chosen just before the
        server binds it; if another process takes it in between, the start is retried on
        another port.
        """
        if self._process is not None:
            raise RuntimeError(f"{self!r} was already started; make a new LiveServer")
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            try:
                return self._start_once()
            except ServerStartError as exc:
                lost_the_port = "address already in use" in exc.output.lower()
                if not lost_the_port or attempt == _PORT_ATTEMPTS:
                    raise
                self._process = None
                self.returncode = None
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_once(self) -> Self:
        self.port = free_port(self.host)
        self._logdir = tempfile.TemporaryDirectory(prefix=f"asyncx-{self.server}-")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        command = [
            *server_command(self.server, self.app, host=self.host, port=self.port),
            *self.args,
        ]
        logdir = Path(self._logdir.name)
        with (logdir / "stdout").open("wb") as out, (logdir / "stderr").open("wb") as err:
            # A session of its own: stop() can then signal and reap every process the server
            # forks (granian's workers) as one group.
            self._process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._process.poll() is not None:
                self._finish()
                raise ServerStartError(
                    f"{self.server} exited with status {self.returncode} before serving "
                    f"{self.app} (cwd {self.cwd})",
                    output=self.output,
                    returncode=self.returncode,
                )
            if self._answers():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"{self.server} did not answer on {self.url} within {self.start_timeout:g} s",
                    output=self.output,
                    returncode=None,
                )
            time.sleep(0.05)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int | None:
        """Ask the server to shut down with ``sig`` and wait; kill it after ``stop_timeout``.

        Safe to call more than once. Afterwards no process of the server's group is left and
        :attr:`output`, :attr:`stdout`, :attr:`stderr` and :attr:`returncode` are final.
        Returns the exit status (negative: the signal that ended it).
        """
        process = self._process
        if process is None or self._logdir is None:
            return self.returncode
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                _kill_group(process.pid)
                process.wait()
        self._finish()
        return self.returncode

    def _finish(self) -> None:
        process = self._process
        assert process is not None
        assert self._logdir is not None
        self.returncode = process.wait()
        # Children the server forked may outlive it for a moment; give them the same grace,
        # then make sure none is left.
        deadline = time.monotonic() + self.stop_timeout
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_members(process.pid):
            self.killed = True
            _kill_group(process.pid)
        logdir = Path(self._logdir.name)
        self._stdout = (logdir / "stdout").read_text(errors="replace")
        self._stderr = (logdir / "stderr").read_text(errors="replace")
        self._logdir.cleanup()
        self._logdir = None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def leftover_processes(self) -> list[int]:
        """Ids of the processes of the server's group still alive (zombies excepted)."""
        return _group_members(self._process.pid) if self._process is not None else []

    # ------------------------------------------------------------------ output

    @property
    def stdout(self) -> str:
        """What the server wrote on stdout so far (all of it once stopped)."""
        return self._read("stdout", self._stdout)

    @property
    def stderr(self) -> str:
        """What the server wrote on stderr so far (all of it once stopped)."""
        return self._read("stderr", self._stderr)

    @property
    def output(self) -> str:
        """stdout then stderr."""
        return self.stdout + self.stderr

    def _read(self, name: str, final: str) -> str:
        if self._logdir is None:
            return final
        return (Path(self._logdir.name) / name).read_text(errors="replace")

    # ------------------------------------------------------------------ requests

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> Response:
        """Send one HTTP/1.1 request to the server and read the whole response."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=dict(headers or {}))
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

    def get(self, path: str, **kwargs: Any) -> Response:
        """``request(path, method="GET")``."""
        return self.request(path, method="GET", **kwargs)

    def _answers(self) -> bool:
        try:
            if self.ready_path is None:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            self.request(self.ready_path, timeout=2)
        except (OSError, http.client.HTTPException):
            return False
        return True

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self.returncode}"
        return f"<LiveServer {self.server} {self.app} {self.url} {state}>"


def _group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of process group ``pgid``."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether the group has any member
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
