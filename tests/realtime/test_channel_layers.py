"""Rooms across processes: daphne and uvicorn serving the example's chat on one Redis.

A message sent by a client of one process reaches the clients of the other; when a process
is killed (SIGKILL, no shutdown), the clients of the one left lose no message. Without
``REDIS_URL`` the example runs on the in-memory layer, which a second process cannot see.
"""

import asyncio
import json
import signal
import uuid

import pytest

from tests.realtime.chat_project import ChatProject, join, login, receive

pytestmark = pytest.mark.servers


@pytest.fixture
def project(tmp_path, asyncx_redis_url):
    project = ChatProject(f"sqlite:///{tmp_path / 'chat.sqlite3'}", redis_url=asyncx_redis_url)
    project.prepare("ann", "bob", "dan")
    return project


async def test_a_message_sent_on_daphne_reaches_a_client_on_uvicorn_and_back(project):
    room = f"shared-{uuid.uuid4().hex[:12]}"
    with project.server("daphne") as a, project.server("uvicorn", "channels_application") as b:
        ann, bob = await login(a.url, "ann"), await login(b.url, "bob")
        async with join(a.url, room, cookie=ann) as ann_ws, join(b.url, room, cookie=bob) as bob_ws:
            await receive(ann_ws), await receive(bob_ws)
            await ann_ws.send(json.dumps({"message": "from daphne"}))
            assert await receive(bob_ws) == {
                "type": "message",
                "user": "ann",
                "message": "from daphne",
            }
            await bob_ws.send(json.dumps({"message": "from uvicorn"}))
            assert (await receive(ann_ws))["message"] == "from daphne"
            assert await receive(ann_ws) == {
                "type": "message",
                "user": "bob",
                "message": "from uvicorn",
            }


async def test_a_killed_process_loses_no_message_for_the_clients_of_the_other(project):
    room = f"survive-{uuid.uuid4().hex[:12]}"
    with project.server("daphne") as a, project.server("uvicorn") as b:
        ann, dan, bob = (
            await login(a.url, "ann"),
            await login(a.url, "dan"),
            await login(b.url, "bob"),
        )
        async with (
            join(a.url, room, cookie=ann) as ann_ws,
            join(a.url, room, cookie=dan) as dan_ws,
            join(b.url, room, cookie=bob) as bob_ws,
        ):
            for ws in (ann_ws, dan_ws, bob_ws):
                await receive(ws)
            await bob_ws.send(json.dumps({"message": "before"}))
            for ws in (ann_ws, dan_ws, bob_ws):
                assert (await receive(ws))["message"] == "before"

            b.stop(signal.SIGKILL)  # bob's process dies with his connection in the group
            sent = [f"after {number}" for number in range(100)]
            sender = asyncio.gather(*(ann_ws.send(json.dumps({"message": text})) for text in sent))
            got_ann = [(await receive(ann_ws))["message"] for _ in sent]
            got_dan = [(await receive(dan_ws))["message"] for _ in sent]
            await sender
        async with join(a.url, room) as late:
            history = [event["message"] for event in (await receive(late))["messages"]]
    assert sorted(got_ann) == sorted(sent)
    assert got_ann == got_dan
    assert history == ["before", *got_ann][-50:]


async def test_a_consumer_idle_longer_than_the_layers_blocking_receive_keeps_its_room(project):
    # channels-redis waits for a message in BZPOPMIN for up to 5 s; with redis-py 8's default
    # 5 s read timeout the consumer crashed there (close code 1011) unless the example's layer
    # turns the timeout off.
    room = f"idle-{uuid.uuid4().hex[:12]}"
    with project.server("uvicorn") as live:
        ann = await login(live.url, "ann")
        async with join(live.url, room, cookie=ann) as ws:
            await receive(ws)
            await asyncio.sleep(7)
            await ws.send(json.dumps({"message": "still here"}))
            assert (await receive(ws))["message"] == "still here"
