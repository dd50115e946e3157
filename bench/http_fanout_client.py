"""P4c, the client alone: fan-outs per second with a shared session vs a session per fan-out.

No Django request handling, no HTTP server in front: one event loop on one CPU makes
``--fanouts`` fan-outs of 3 calls to the upstream, ``--concurrency`` at a time, and prints
``{"fanouts_per_s": ...}``. Run by ``bench/http_fanout.py`` (pinned with taskset), which
passes ``UPSTREAM_URL`` (and ``SSL_CERT_FILE`` for HTTPS) in the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

KINDS = ("shared-session", "aiohttp-per-request", "httpx-per-request")


async def _shared(url: str) -> None:
    from django_asyncx.concurrency import gather
    from django_asyncx.http import get_client

    client = get_client()
    await gather(client.get(url), client.get(url), client.get(url))


async def _aiohttp_per_request(url: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def one() -> Any:
            async with session.get(url) as response:
                return await response.read()

        await asyncio.gather(one(), one(), one())


async def _httpx_per_request(url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        await asyncio.gather(client.get(url), client.get(url), client.get(url))


async def measure(kind: str, url: str, fanouts: int, concurrency: int) -> float:
    """Fan-outs per second for ``kind`` (one of :data:`KINDS`)."""
    fanout: Callable[[str], Awaitable[None]] = {
        "shared-session": _shared,
        "aiohttp-per-request": _aiohttp_per_request,
        "httpx-per-request": _httpx_per_request,
    }[kind]
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded() -> None:
        async with semaphore:
            await fanout(url)

    await asyncio.gather(*(bounded() for _ in range(max(fanouts // 10, concurrency))))  # warm-up
    started = time.perf_counter()
    await asyncio.gather(*(bounded() for _ in range(fanouts)))
    return fanouts / (time.perf_counter() - started)


def main() -> None:
    """``python -m bench.http_fanout_client KIND [--fanouts N] [--concurrency C]``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--fanouts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.http_fanout_site")
    import django

    django.setup()
    url = os.environ["UPSTREAM_URL"] + "/fast"
    rate = asyncio.run(measure(args.kind, url, args.fanouts, args.concurrency))
    print(json.dumps({"fanouts_per_s": rate}))


if __name__ == "__main__":
    main()
