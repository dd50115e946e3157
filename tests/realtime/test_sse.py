"""Server-sent events on uvicorn, hypercorn, daphne and granian: the wire format, Last-Event-ID
resume, heartbeats, and a client that goes away (its iterator closed, its tasks and group
membership gone), counted by the server process itself.
"""

import asyncio
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from django_asyncx.sse import Event, EventStream
from django_asyncx.testing.servers import SERVERS, LiveServer

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent.parent
ENV = {"DJANGO_SETTINGS_MODULE": "tests.realtime.sse_app.settings"}


@pytest.fixture(scope="module", params=SERVERS)
def live(request):
    with LiveServer("tests.realtime.sse_app.asgi:application", server=request.param,
                    cwd=ROOT, env=ENV, ready_path="/stats/") as live:  # fmt: skip
        yield live


async def stats(session, live):
    async with session.get(f"{live.url}/stats/") as response:
        return await response.json()


async def next_event(response):
    """The next event on the stream, past the heartbeats."""
    while (chunk := await response.content.readuntil(b"\n\n")) == b": heartbeat\n\n":
        pass
    return chunk


async def settled(session, live, predicate, *, within=10.0):
    """The server's stats once ``predicate`` holds (polled; fails after ``within`` s)."""
    deadline = time.monotonic() + within
    while True:
        current = await stats(session, live)
        if predicate(current) or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.05)


async def test_events_in_the_wire_format_resume_after_last_event_id(live):
    async with aiohttp.ClientSession() as session:
        headers = {"Last-Event-ID": "5"}
        async with session.get(f"{live.url}/ticks/?count=2", headers=headers) as response:
            body = await response.text()
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert body == (
        "retry: 1500\n\n"
        "event: tick\nid: 6\ndata: 6\n\n"
        "event: tick\nid: 7\ndata: 7\n\n"
        'data: {"done": true, "lines": "one\\ntwo"}\n\n'
    )


async def test_a_client_that_goes_away_closes_the_iterator_and_leaves_nothing(live):
    async with aiohttp.ClientSession() as session:
        before = await settled(session, live, lambda s: s["open"] == 0)
        responses = []
        for _ in range(5):
            response = await session.get(f"{live.url}/forever/?heartbeat=0.05")
            assert await response.content.readuntil(b"\n\n") == b": heartbeat\n\n"
            assert await response.content.readuntil(b"\n\n") == b": heartbeat\n\n"
            responses.append(response)
        during = await stats(session, live)
        for response in responses:
            response.close()  # drops the connection
        after = await settled(
            session,
            live,
            lambda s: s["closed"] - before["closed"] == 5 and s["tasks"] <= before["tasks"],
        )
    assert during["open"] == 5
    assert after["open"] == 0
    assert after["closed"] - before["closed"] == 5
    assert after["tasks"] <= before["tasks"]
    assert after["threads"] <= before["threads"]


async def test_a_stream_follows_a_channel_layer_group_and_leaves_it_on_disconnect(live):
    group = f"room-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        before = await settled(session, live, lambda s: s["open"] == 0)
        response = await session.get(f"{live.url}/group/{group}/")
        assert await next_event(response) == b"event: joined\ndata: \n\n"
        async with session.get(f"{live.url}/send/{group}/?text=hello") as sent:
            assert sent.status == 200
        chunk = await next_event(response)
        assert chunk == b'event: chat_message\ndata: {"message": "hello"}\n\n'
        assert (await stats(session, live))["group_members"] == before["group_members"] + 1
        response.close()
        after = await settled(
            session,
            live,
            # The group is left and the stream closed in its finally: wait for both.
            lambda s: s["group_members"] == before["group_members"] and s["open"] == 0,
        )
    assert after["group_members"] == before["group_members"]
    assert after["open"] == 0


def test_event_encoding_splits_lines_and_refuses_a_multiline_id():
    assert (
        Event("a\nb", event="x", id=3, retry=10).encode()
        == b"event: x\nid: 3\nretry: 10\ndata: a\ndata: b\n\n"
    )
    assert Event("").encode() == b"data: \n\n"
    with pytest.raises(ValueError, match="an event's id must be one line"):
        Event("x", id="1\n2").encode()


async def nothing():
    return
    yield


def test_event_stream_refuses_what_it_cannot_stream():
    with pytest.raises(TypeError, match="needs an async iterable; got list"):
        EventStream(["not", "async"])
    with pytest.raises(ValueError, match="heartbeat must be a positive number"):
        EventStream(nothing(), heartbeat=0)


async def test_on_redis_a_stream_that_goes_away_leaves_no_member_in_the_group(asyncx_redis_url):
    import redis.asyncio as redis

    group = f"room-{uuid.uuid4().hex[:8]}"
    key = f"asgi:group:{group}"  # where channels_redis keeps the group's members
    client = redis.Redis.from_url(asyncx_redis_url)
    env = {**ENV, "REDIS_URL": asyncx_redis_url}
    with LiveServer(
        "tests.realtime.sse_app.asgi:application", cwd=ROOT, env=env, ready_path="/stats/"
    ) as live:
        async with aiohttp.ClientSession() as session:
            responses = [await session.get(f"{live.url}/group/{group}/") for _ in range(3)]
            for response in responses:
                assert await next_event(response) == b"event: joined\ndata: \n\n"
            members = await client.zcard(key)
            for response in responses:
                response.close()
            after = await settled(session, live, lambda s: s["closed"] == 3)
    left = await client.zcard(key)
    await client.aclose()
    assert members == 3
    assert after["open"] == 0
    assert left == 0
