"""Server processes for the benchmarks: pinned to a CPU, in their own group, always stopped.

Each server runs in a new session (its own process group), so Ctrl-C in the terminal reaches
only the runner, whose ``finally`` blocks stop every group: SIGTERM, then SIGKILL for what is
left after a grace period, including children that outlive their parent (a gunicorn worker).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent

WRK_MISSING = (
    "wrk is not installed: install it with `apt-get install wrk` (Debian/Ubuntu; "
    "`.ci/dev bench` does it when run as root) or build it from its sources"
)


class BenchError(RuntimeError):
    """A benchmark cannot run or a server misbehaved; the message says what to do."""


def require_tools() -> None:
    """Raise :class:`BenchError` naming the install command when wrk or taskset is missing."""
    if shutil.which("wrk") is None:
        raise BenchError(WRK_MISSING)
    if shutil.which("taskset") is None:
        raise BenchError("taskset is not installed: install it with `apt-get install util-linux`")


def check_cpus(server_cpu: int, client_cpu: int) -> None:
    """Raise :class:`BenchError` unless the server and client CPUs exist and differ."""
    allowed = os.sched_getaffinity(0)
    if server_cpu == client_cpu or not {server_cpu, client_cpu} <= allowed:
        raise BenchError(
            f"the benchmarks pin the server to CPU {server_cpu} and wrk to CPU {client_cpu}: "
            f"they must be two different CPUs among {sorted(allowed)}"
        )


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(proc: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL what is left after ``grace``; reap the leader."""
    pgid = proc.pid  # start_new_session=True: the leader's pid is the group's id
    try:
        if proc.returncode is None:
            _kill_group(pgid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _kill_group(pgid, signal.SIGKILL)
                proc.wait()
        # Children that outlive their parent (a gunicorn worker) stay in the group.
        deadline = time.monotonic() + grace
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
    except BaseException:
        # A second Ctrl-C while waiting: no more grace.
        _kill_group(pgid, signal.SIGKILL)
        raise
    if _group_alive(pgid):
        _kill_group(pgid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, parents first."""
    tree = [pid]
    for parent in tree:
        tree += _children(parent)
    return tree


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def _cpu_seconds(pid: int) -> float:
    # Fields after the command name (which may hold spaces): utime and stime are 14th, 15th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessStats:
    """One server process, read from ``/proc``."""

    pid: int
    name: str
    threads: int
    """Its threads (in a benchmark's sample: the most seen during the measured run)."""
    peak_rss_kib: int


class Server:
    """A server subprocess pinned to one CPU, in its own process group, stopped on exit.

    ``argv`` runs with this interpreter (``python -m uvicorn ...``) from the repository root.
    Use it as a context manager: the whole group is stopped even on error or Ctrl-C.
    """

    def __init__(
        self, argv: Sequence[str], *, cpu: int | None, env: dict[str, str] | None = None
    ) -> None:
        self.argv = [sys.executable, *argv]
        if cpu is not None:
            self.argv = ["taskset", "-c", str(cpu), *self.argv]
        self.env = {**_clean_environ(), **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None

    def __enter__(self) -> Server:
        self._log = tempfile.TemporaryFile("w+", prefix="bench-server-")
        try:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except BaseException:
            self._log.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The pid of the process started (taskset execs into it, so it is the server's)."""
        assert self.proc is not None, "the server is not started"
        return self.proc.pid

    def log(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        if self._log is None or self._log.closed:
            return ""
        self._log.seek(0)
        return self._log.read()

    def wait_ready(
        self, url: str, *, timeout: float = 30.0, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        """Poll ``url`` (sending ``headers``) until it answers 200; raise
        :class:`BenchError` with the log if not."""
        assert self.proc is not None, "the server is not started"
        parts = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
        assert parts is not None, url
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"server exited with code {self.proc.returncode} before answering "
                    f"{url}: {' '.join(self.argv)}\n{self.log()}"
                )
            conn = http.client.HTTPConnection(parts[1], int(parts[2]), timeout=2)
            try:
                conn.request("GET", parts[3], headers=dict(headers))
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
            except OSError as exc:
                last = repr(exc)
            finally:
                conn.close()
            time.sleep(0.1)
        raise BenchError(
            f"server did not answer 200 at {url} within {timeout:.0f} s ({last}): "
            f"{' '.join(self.argv)}\n{self.log()}"
        )

    def processes(self) -> list[ProcessStats]:
        """The server's processes now (a gunicorn master, then its worker)."""
        stats = []
        for pid in process_tree(self.pid):
            with contextlib.suppress(OSError):
                status = _status(pid)
                stats.append(
                    ProcessStats(
                        pid=pid,
                        name=status["Name"].strip(),
                        threads=int(status["Threads"]),
                        peak_rss_kib=int(status["VmHWM"].split()[0]),
                    )
                )
        return stats

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes."""
        total = 0.0
        for pid in process_tree(self.pid):
            with contextlib.suppress(OSError):
                total += _cpu_seconds(pid)
        return total

    def stop(self) -> None:
        """Stop the whole process group (SIGTERM, then SIGKILL) and close the log."""
        try:
            if self.proc is not None:
                stop_group(self.proc)
        finally:
            if self._log is not None:
                self._log.close()


def _clean_environ() -> dict[str, str]:
    # Debug switches of the caller's shell would slow the servers down.
    drop = {"PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "PYTHONWARNINGS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit so that ``finally`` blocks stop the servers."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
