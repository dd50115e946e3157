"""On a real server (uvicorn, in a subprocess) configured with the OpenTelemetry SDK before
Django, as a project would: event streams and WebSocket connections counted while open, a
real loop block reported, seen by the health view and by the server's own metric reader.
"""

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from django_asyncx.testing.servers import LiveServer

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent.parent
ENV = {"DJANGO_SETTINGS_MODULE": "tests.support.observability_site.settings"}


@pytest.fixture(scope="module")
def live():
    with LiveServer("tests.support.observability_site.asgi:application", server="uvicorn",
                    cwd=ROOT, env=ENV, ready_path="/health-now/") as live:  # fmt: skip
        yield live


async def get(session, live, path):
    async with session.get(f"{live.url}{path}") as response:
        return response.status, await response.json()


async def metric(session, live, name):
    """The one value of metric ``name`` in the server's reader (no attributes)."""
    _, body = await get(session, live, f"/otel/?name={name}")
    [point] = body["points"]
    return point["value"]


async def settled(session, live, predicate, *, within=10.0):
    """The health view's figures once ``predicate`` holds (polled; the last read after)."""
    deadline = time.monotonic() + within
    while True:
        _, body = await get(session, live, "/health-now/")
        if predicate(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


async def test_event_streams_and_websockets_are_counted_while_open(live):
    async with aiohttp.ClientSession() as session:
        streams = [await session.get(f"{live.url}/forever/") for _ in range(3)]
        sockets = [await session.ws_connect(f"{live.url}/ws/") for _ in range(2)]
        for stream in streams:
            assert await stream.content.readuntil(b"\n\n") == b"data: hello\n\n"
        body = await settled(session, live, lambda b: b["connections"]["websocket"] == 2)
        assert body["connections"] == {"sse": 3, "websocket": 2}
        assert await metric(session, live, "asyncx.sse.connections") == 3
        assert await metric(session, live, "asyncx.websocket.connections") == 2
        for stream in streams:
            stream.close()
        for socket in sockets:
            await socket.close()
        closed = {"sse": 0, "websocket": 0}
        body = await settled(session, live, lambda b: b["connections"] == closed)
        assert body["connections"] == closed
        assert await metric(session, live, "asyncx.sse.connections") == 0
        assert await metric(session, live, "asyncx.websocket.connections") == 0


async def test_a_real_block_fails_the_health_check_and_is_counted(live):
    async with aiohttp.ClientSession() as session:
        blocks = await metric(session, live, "asyncx.loop.blocks")
        async with session.get(f"{live.url}/block/?ms=300") as response:
            assert await response.text() == "slept"
        body = await settled(session, live, lambda b: b["loops"]["blocked_ms_now"] is None)
        status, body = await get(session, live, "/health/")
        assert status == 503
        assert body["status"] == "unhealthy"
        assert body["problems"][0].startswith("an event loop was blocked ")
        assert body["loops"]["blocks"] == await metric(session, live, "asyncx.loop.blocks")
        assert body["loops"]["blocks"] > blocks
        assert await metric(session, live, "asyncx.loop.blocked") == 0
        status, body = await get(session, live, "/health-now/")
        assert (status, body["status"]) == (200, "ok")
