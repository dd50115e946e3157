"""wrk: run it (pinned to a CPU) and read what ``wrk --latency`` prints."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._procs import BenchError, stop_group

_POLL_INTERVAL = 0.5
_TIME_UNITS_US = {"us": 1.0, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
_TIME = r"([\d.]+)(us|ms|s|m|h)"


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run printed, in numbers (latencies in microseconds)."""

    requests: int
    duration_s: float
    requests_per_s: float
    latency_avg_us: float
    latency_max_us: float
    percentiles_us: dict[str, float]
    socket_errors: dict[str, int]
    non_2xx_3xx: int

    @property
    def errors(self) -> int:
        """Socket errors and non-2xx/3xx responses together."""
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


def _time_us(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS_US[unit]


def parse_wrk(output: str) -> WrkResult:
    """Parse the text ``wrk --latency`` prints; raise :class:`BenchError` when it is not that."""

    def search(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise BenchError(f"unexpected wrk output (no match for {pattern!r}):\n{output}")
        return match

    total = search(rf"^\s*(\d+) requests in {_TIME}")
    rate = search(r"^Requests/sec:\s+([\d.]+)")
    latency = search(rf"^\s*Latency\s+{_TIME}\s+{_TIME}\s+{_TIME}")
    percentiles = {
        f"p{m[1]}": _time_us(m[2], m[3])
        for m in re.finditer(rf"^\s+(50|75|90|99)%\s+{_TIME}\s*$", output, re.MULTILINE)
    }
    if set(percentiles) != {"p50", "p75", "p90", "p99"}:
        raise BenchError(
            f"wrk printed no full latency distribution (run with --latency):\n{output}"
        )
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        socket_errors = dict(zip(socket_errors, map(int, match.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(total[1]),
        duration_s=_time_us(total[2], total[3]) / 1e6,
        requests_per_s=float(rate[1]),
        latency_avg_us=_time_us(latency[1], latency[2]),
        latency_max_us=_time_us(latency[5], latency[6]),
        percentiles_us=percentiles,
        socket_errors=socket_errors,
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
    )


@dataclass(frozen=True)
class WrkRun:
    """One wrk run: its parsed output, the raw text, and the CPU share wrk used."""

    result: WrkResult
    output: str
    wall_s: float
    client_cpu: float


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    cpu: int | None,
    threads: int = 1,
    while_running: Callable[[], object] | None = None,
    headers: Sequence[tuple[str, str]] = (),
) -> WrkRun:
    """Run ``wrk --latency`` (pinned to ``cpu`` unless None) and parse what it prints.

    The CPU share is wrk's user + system time (from the kernel's accounting when it is
    reaped) over the wall time of the run: 1.0 is one core busy all the time.
    ``while_running`` is called about every half second during the run (to sample the
    server's threads under load). ``headers`` are sent with every request (``-H``).
    """
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers:
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    with tempfile.TemporaryFile("w+") as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if while_running else 0)
            while pid == 0 and while_running is not None:
                while_running()
                time.sleep(_POLL_INTERVAL)
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if proc.returncode is None:
                stop_group(proc, grace=2)
        wall = time.monotonic() - started
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise BenchError(f"wrk exited with code {proc.returncode}: {' '.join(argv)}\n{output}")
    cpu_share = (usage.ru_utime + usage.ru_stime) / wall
    return WrkRun(parse_wrk(output), output, wall, cpu_share)
