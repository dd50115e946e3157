"""Nothing leaks: 1,000 calls with random upstream failures leave no open socket."""

import asyncio
import random

import psutil
from aiohttp import web

from django_asyncx.concurrency import gather
from django_asyncx.exceptions import UpstreamError
from django_asyncx.http import get_client
from django_asyncx.loops import aclose_loop_resources


def client_sockets(port):
    """This process's TCP sockets connected to ``port`` (the client side of the calls)."""
    return [
        conn
        for conn in psutil.Process().net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == port
    ]


def test_a_thousand_calls_with_random_failures_leave_no_socket_open(asyncx_upstream):
    chooser = random.Random(7)
    outcomes = {"ok": 0, "503": 0, "500": 0, "drop": 0, "slow": 0, "big": 0}

    async def chaos(request):
        outcome = chooser.choice(list(outcomes))
        outcomes[outcome] += 1
        if outcome == "503":
            return web.Response(status=503, text="busy")
        if outcome == "500":
            return web.Response(status=500, text="boom")
        if outcome == "drop":
            request.transport.close()
            return web.Response(text="never sent")
        if outcome == "slow":
            await asyncio.sleep(2)
        if outcome == "big":  # chunked, so the client finds out while reading
            response = web.StreamResponse()
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(50):
                await response.write(b"x" * 4096)
            await response.write_eof()
            return response
        return web.Response(text="ok")

    asyncx_upstream.route("/chaos", chaos)
    arrived = []
    all_arrived = asyncio.Event()  # used on the upstream's loop only

    async def hold(request):
        # Answers once 50 calls are in: they need 50 connections at once.
        arrived.append(1)
        if len(arrived) == 50:
            all_arrived.set()
        await all_arrived.wait()
        return web.Response(text="held")

    asyncx_upstream.route("/hold", hold)
    seen = {}

    async def main():
        client = get_client()
        calls = [
            client.get(
                "/chaos",
                timeout={"read": 0.1, "total": 2},
                retries={"max_retries": 1, "backoff": 0.001},
                max_body_size=10_000,
            )
            for _ in range(1000)
        ]
        results = await gather(*calls, limit=50, return_exceptions=True)
        seen["errors"] = sum(isinstance(r, UpstreamError) for r in results)
        seen["other"] = [r for r in results if isinstance(r, BaseException)]
        seen["ok"] = sum(not isinstance(r, BaseException) for r in results)
        # A connection leaked by an error path stays open and out of the pool. 50 calls held
        # together reuse every pooled connection and open the rest: if nothing leaked, the
        # process then has exactly 50 sockets to the upstream.
        held = await gather(*[client.get("/hold") for _ in range(50)])
        assert {r.text() for r in held} == {"held"}
        seen["pooled"] = len(client_sockets(asyncx_upstream.port))
        await aclose_loop_resources()
        seen["after_close"] = len(client_sockets(asyncx_upstream.port))

    with asyncx_upstream.override_clients("default"):
        asyncio.run(main())

    assert seen["ok"] + seen["errors"] == 1000
    assert all(isinstance(r, UpstreamError) for r in seen["other"])
    assert seen["ok"] > 0
    assert seen["errors"] > 0
    assert all(count > 0 for count in outcomes.values())
    assert asyncx_upstream.request_count >= 1000
    # Every connection is back in the pool or closed: the 50 held calls used exactly 50.
    assert seen["pooled"] == 50  # idle keep-alive connections, at most one per slot
    assert seen["after_close"] == 0
    assert len(client_sockets(asyncx_upstream.port)) == 0
