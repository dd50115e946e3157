"""The realtime benchmark's client: many WebSockets or event streams from one event loop.

Run by ``bench/realtime.py`` (pinned to the client CPU), driven by JSON commands on stdin, one
per line, each answered by one JSON line on stdout:

- ``{"op": "ws", "url": ..., "n": N}``: open N more WebSockets (offering per-message deflate,
  as browsers do); answers ``{"opened": ..., "failed": ..., "error": ...}``;
- ``{"op": "sse", "url": ..., "n": N}``: open N more event streams (raw HTTP/1.1 on asyncio
  streams: the cheapest client), each open once its response headers arrived;
- ``{"op": "close"}``: close everything open (WebSockets with their closing handshake);
- ``{"op": "broadcast", "count": K}``: every WebSocket listens, the first still open sends K
  messages one after another, each once the previous reached everyone; answers the latencies
  in ms from send to receipt, one per message and connection.

The client raises its own file-descriptor limit to the hard limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ._procs import ROOT, BenchError

__all__ = ["Client", "ClientProcess", "raise_fd_limit"]

CONCURRENCY = 200
"""Handshakes in flight at once: enough to keep the server busy, below its listen backlog."""


def raise_fd_limit() -> int:
    """Raise this process's soft ``RLIMIT_NOFILE`` to the hard limit; return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Client:
    """Connections held open, and the commands above."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.streams: list[asyncio.StreamWriter] = []

    async def _bounded(self, n: int, open_one: Any) -> dict[str, Any]:
        semaphore = asyncio.Semaphore(CONCURRENCY)
        errors: list[str] = []

        async def one() -> None:
            async with semaphore:
                try:
                    await open_one()
                except Exception as exc:  # refused, reset, timed out, bad handshake
                    errors.append(repr(exc))

        await asyncio.gather(*(one() for _ in range(n)))
        return {"opened": n - len(errors), "failed": len(errors), "error": errors[:1]}

    async def ws(self, url: str, n: int) -> dict[str, Any]:
        """Open ``n`` WebSockets to ``url``."""

        async def open_one() -> None:
            # No client pings (the server's keep idle connections alive); deflate offered.
            self.sockets.append(await connect(url, open_timeout=120, ping_interval=None))

        return await self._bounded(n, open_one)

    async def sse(self, url: str, n: int) -> dict[str, Any]:
        """Open ``n`` event streams of ``url``, each open once its headers arrived."""
        parts = urlsplit(url)
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()

        async def open_one() -> None:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 120)
            if not head.startswith(b"HTTP/1.1 200"):
                writer.close()
                raise ValueError(head.split(b"\r\n", 1)[0].decode())
            self.streams.append(writer)

        return await self._bounded(n, open_one)

    async def close(self) -> dict[str, Any]:
        """Close every connection; the WebSockets with their closing handshake."""
        semaphore = asyncio.Semaphore(CONCURRENCY)

        async def close_socket(socket: ClientConnection) -> None:
            async with semaphore:
                with contextlib.suppress(Exception):
                    await socket.close()

        closed = len(self.sockets) + len(self.streams)
        for writer in self.streams:
            writer.close()
        await asyncio.gather(*(close_socket(s) for s in self.sockets))
        self.sockets, self.streams = [], []
        return {"closed": closed}

    async def _send_from_any(self, text: str) -> None:
        # The first socket still open sends: a server may have closed some.
        for socket in self.sockets:
            with contextlib.suppress(ConnectionClosed):
                await socket.send(text)
                return
        raise ConnectionError("every WebSocket was closed by the server")

    async def broadcast(self, count: int) -> dict[str, Any]:
        """Send ``count`` messages from the first socket; the latencies to every socket."""
        received: dict[int, list[int]] = {}
        everyone = len(self.sockets)
        all_in: dict[int, asyncio.Event] = {}

        async def listen(socket: ClientConnection) -> None:
            with contextlib.suppress(ConnectionClosed):  # a server that closed it: missing
                async for text in socket:
                    arrived = time.perf_counter_ns()
                    seq = int(text)
                    received.setdefault(seq, []).append(arrived)
                    if len(received[seq]) == everyone:
                        all_in[seq].set()

        listeners = [asyncio.create_task(listen(s)) for s in self.sockets]
        latencies: list[float] = []
        missing = 0
        try:
            for seq in range(count):
                all_in[seq] = asyncio.Event()
                sent = time.perf_counter_ns()
                await self._send_from_any(str(seq))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(all_in[seq].wait(), 10)
                arrivals = received.get(seq, [])
                missing += everyone - len(arrivals)
                latencies += [(t - sent) / 1e6 for t in arrivals]
                await asyncio.sleep(0.2)  # let the servers settle between two messages
        finally:
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
        return {"latencies_ms": latencies, "missing": missing}


class ClientProcess:
    """This module run as a subprocess on the client CPU, one command at a time."""

    def __init__(self, cpu: int) -> None:
        argv = ["taskset", "-c", str(cpu), sys.executable, "-m", "bench.realtime_client"]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one command, return its answer."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"the client exited with code {self.proc.wait()} during {op!r}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        """Close its stdin (it closes what is open and exits), then wait for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


async def serve(client: Client) -> None:
    """Answer the commands read from stdin until it closes."""
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command = json.loads(line)
        op = command.pop("op")
        answer = await getattr(client, op)(**command)
        print(json.dumps(answer), flush=True)
    await client.close()


def main() -> None:
    """``python -m bench.realtime_client``: commands on stdin (see the module's docstring)."""
    raise_fd_limit()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(Client()))
    else:
        uvloop.run(serve(Client()))


if __name__ == "__main__":
    main()
