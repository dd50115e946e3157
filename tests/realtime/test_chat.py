"""The example's chat over real WebSockets, on daphne, uvicorn and hypercorn, through both
ways of writing ``asgi.py``: ``get_asgi_application(websocket=...)`` and Channels'
``ProtocolTypeRouter`` wrapped by :meth:`AsyncxApplication.wrap`.

One room, two users: history of the last 50 messages on join, broadcast to every member,
authenticated names shown, and each kind of bad input answered as ``chat.consumers``
documents it while the connection (and the room) keeps working.
"""

import asyncio
import json

import aiohttp
import pytest
import websockets

from tests.realtime.chat_project import ChatProject, join, login, receive

pytestmark = pytest.mark.servers

SERVERS = ["daphne", "uvicorn", "hypercorn"]
APPS = ["application", "channels_application"]
BAD_FRAMES = [
    "not json",
    json.dumps({"text": "no message key"}),
    json.dumps({"message": 42}),
    json.dumps(["message"]),
    b"\x00binary",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project = ChatProject(f"sqlite:///{tmp_path_factory.mktemp('chat') / 'chat.sqlite3'}")
    project.prepare("ann", "bob")
    return project


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("server", SERVERS)
async def test_two_users_chat_in_a_room_and_a_newcomer_sees_the_history(project, server, app):
    room = f"{server}-{app.replace('_', '-')}"
    with project.server(server, app) as live:
        ann, bob = await login(live.url, "ann"), await login(live.url, "bob")
        async with (
            join(live.url, room, cookie=ann) as ann_ws,
            join(live.url, room, cookie=bob) as bob_ws,
        ):
            assert await receive(ann_ws) == {"type": "history", "messages": []}
            assert await receive(bob_ws) == {"type": "history", "messages": []}
            await ann_ws.send(json.dumps({"message": "hello from ann"}))
            expected = {"type": "message", "user": "ann", "message": "hello from ann"}
            assert await receive(ann_ws) == expected
            assert await receive(bob_ws) == expected
            await bob_ws.send(json.dumps({"message": "hi ann"}))
            assert (await receive(ann_ws))["user"] == "bob"
            assert (await receive(bob_ws))["message"] == "hi ann"
        async with join(live.url, room) as guest:
            history = await receive(guest)
        page = await asyncio.to_thread(live.get, f"/chat/{room}/")
    assert history["messages"] == [
        {"user": "ann", "message": "hello from ann"},
        {"user": "bob", "message": "hi ann"},
    ]
    assert page.status == 200
    assert "new WebSocket('ws://' + window.location.host + '/ws/chat/'" in page.text


async def test_history_on_join_is_the_last_fifty_messages(project):
    with project.server("uvicorn") as live:
        ann = await login(live.url, "ann")
        async with join(live.url, "busy", cookie=ann) as ws:
            await receive(ws)
            for number in range(60):
                await ws.send(json.dumps({"message": f"m{number}"}))
                await receive(ws)
        async with join(live.url, "busy") as ws:
            history = (await receive(ws))["messages"]
    assert [event["message"] for event in history] == [f"m{n}" for n in range(10, 60)]


@pytest.mark.parametrize("server", SERVERS)
async def test_bad_input_gets_the_documented_answers_and_the_room_keeps_working(project, server):
    with project.server(server) as live:
        ann = await login(live.url, "ann")
        async with join(live.url, "strict", cookie=ann) as ws, join(live.url, "strict") as guest:
            await receive(ws), await receive(guest)
            for frame in BAD_FRAMES:
                await ws.send(frame)
                assert await receive(ws) == {"type": "error", "error": "invalid"}, frame
            await ws.send(json.dumps({"message": "x" * 2001}))
            assert await receive(ws) == {"type": "error", "error": "too_long"}
            await guest.send(json.dumps({"message": "anonymous"}))
            assert await receive(guest) == {"type": "error", "error": "login_required"}
            await ws.send(json.dumps({"message": "still here"}))
            assert (await receive(ws))["message"] == "still here"
            assert (await receive(guest))["message"] == "still here"

        async with join(live.url.replace("127.0.0.1", "localhost"), "x") as _:
            pass  # localhost is in ALLOWED_HOSTS: the origin check lets it through
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with join(live.url, "strict", origin="http://evil.example"):
                pass
        assert refused.value.response.status_code == 403

        async with websockets.connect(live.url.replace("http", "ws") + "/ws/nowhere/",
                                      origin=live.url) as ws:  # fmt: skip
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd.code == 4404


@pytest.mark.parametrize("server", SERVERS)
async def test_a_server_sent_events_client_follows_the_same_room(project, server):
    with project.server(server) as live:
        ann = await login(live.url, "ann")
        async with (
            aiohttp.ClientSession() as session,
            join(live.url, f"sse-{server}", cookie=ann) as ws,
        ):
            await receive(ws)
            events = await session.get(f"{live.url}/chat/sse-{server}/events/")
            assert await events.content.readuntil(b"\n\n") == b"retry: 2000\n\n"
            # The history comes once the stream has joined the room's group.
            history = await events.content.readuntil(b"\n\n")
            await ws.send(json.dumps({"message": "seen by SSE"}))
            await receive(ws)
            chunk = await events.content.readuntil(b"\n\n")
            events.close()
    assert history == b'event: history\ndata: {"messages": []}\n\n'
    assert chunk == b'event: chat_message\ndata: {"user": "ann", "message": "seen by SSE"}\n\n'
