"""Consumers through django_asyncx: the lifespan around an outermost ``ProtocolTypeRouter``,
per-loop resources in consumers, and the DB bridge from consumers without thread hops,
counted through channels' communicator and through a real server.
"""

import asyncio
import contextlib

import pytest
import uvicorn
import websockets
from asgiref.testing import ApplicationCommunicator
from channels.generic.websocket import AsyncWebsocketConsumer as ChannelsConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.test import override_settings
from django.urls import path

from django_asyncx import lifespan
from django_asyncx.asgi import AsyncxApplication, get_asgi_application
from django_asyncx.consumers import AsyncWebsocketConsumer, AuthMiddlewareStack
from django_asyncx.consumers import database_sync_to_async as bridge_database_sync_to_async
from django_asyncx.hops import CountingApplication
from django_asyncx.lifespan import LoopResource, on_startup
from tests.support.nativeapp.models import Author

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
events: list[str] = []
greeting = LoopResource("greeting", lambda: "hello from this loop's resource")


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setattr(lifespan, "_steps", [])
    events.clear()

    @on_startup
    async def started() -> None:
        events.append("startup")


class RecordingConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        events.append("connect")
        await self.accept()
        await self.send(text_data=await greeting.aget())


def router_application() -> AsyncxApplication:
    django_asgi_app = get_asgi_application()
    websocket = URLRouter([path("ws/", RecordingConsumer.as_asgi())])
    return django_asgi_app.wrap(
        ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket})
    )


async def connect(app, path="/ws/"):
    communicator = ApplicationCommunicator(app, {"type": "websocket", "path": path, "headers": []})
    await communicator.send_input({"type": "websocket.connect"})
    assert (await communicator.receive_output(5))["type"] == "websocket.accept"
    return communicator


async def test_wrapped_router_serves_lifespan_and_starts_the_hooks_once():
    app = router_application()
    communicator = ApplicationCommunicator(app, {"type": "lifespan", "state": {}})
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(5) == {"type": "lifespan.startup.complete"}
    ws = await connect(app)
    assert await ws.receive_output(5) == {
        "type": "websocket.send",
        "text": "hello from this loop's resource",
    }
    await ws.send_input({"type": "websocket.disconnect", "code": 1000})
    await ws.wait(5)
    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(5) == {"type": "lifespan.shutdown.complete"}
    assert events == ["startup", "connect"]


async def test_without_lifespan_events_a_websocket_first_starts_the_hooks_before_the_consumer():
    app = router_application()  # as daphne serves it: no lifespan scope at all
    ws = await connect(app)
    await ws.receive_output(5)
    await ws.send_input({"type": "websocket.disconnect", "code": 1000})
    await ws.wait(5)
    assert events == ["startup", "connect"]


async def test_get_asgi_application_with_websocket_starts_the_hooks_before_the_consumer():
    app = get_asgi_application(websocket=URLRouter([path("ws/", RecordingConsumer.as_asgi())]))
    ws = await connect(app)
    await ws.receive_output(5)
    await ws.send_input({"type": "websocket.disconnect", "code": 1000})
    await ws.wait(5)
    assert events == ["startup", "connect"]


# ----------------------------------------------------------------- hops of a chat message


def count_authors() -> int:
    return Author.objects.using("native").count()


class Chat:
    count = staticmethod(bridge_database_sync_to_async(using="native")(count_authors))

    async def connect(self):
        await self.channel_layer.group_add("room", self.channel_name)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        authors = await self.count()
        await self.channel_layer.group_send(
            "room", {"type": "chat.message", "text": f"{text_data} {authors}"}
        )

    async def chat_message(self, event):
        await self.send(text_data=event["text"])


class BridgeChat(Chat, AsyncWebsocketConsumer):
    pass


class ChannelsChat(Chat, ChannelsConsumer):
    pass


async def chat_round_trip(consumer, *, stack=lambda inner: inner):
    """The thread hops of connect, one chat message and disconnect."""
    # The communicator runs the application in an empty context: counted inside it.
    counted = CountingApplication(stack(URLRouter([path("ws/", consumer.as_asgi())])))
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        ws = await connect(counted)
        await ws.send_input({"type": "websocket.receive", "text": "authors:"})
        assert await ws.receive_output(5) == {"type": "websocket.send", "text": "authors: 1"}
        await ws.send_input({"type": "websocket.disconnect", "code": 1000})
        await ws.wait(5)
    [hops] = counted.counters
    return hops


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_a_consumer_on_the_bridge_and_the_native_engine_makes_no_thread_hop():
    await Author.objects.using("native").acreate(name="Ann")
    hops = await chat_round_trip(BridgeChat)
    assert hops.count == 0, hops.hops


@pytest.mark.django_db(transaction=True, databases=["default", "native"])
async def test_the_auth_stack_loads_the_user_through_the_bridge_once_per_connection():
    await Author.objects.using("native").acreate(name="Ann")
    hops = await chat_round_trip(BridgeChat, stack=AuthMiddlewareStack)
    # The session lives on SQLite ("default"), reached through the bridge's pool; the
    # message itself, on the native engine, still hops nowhere.
    assert hops.by_owner() == {"django_asyncx.executors": 1}, hops.hops


@pytest.mark.django_db(transaction=True, databases=["native"])
async def test_channels_own_consumer_keeps_working_and_hops_per_message():
    await Author.objects.using("native").acreate(name="Ann")
    assert (await chat_round_trip(ChannelsChat)).count >= 2  # before each message, after disconnect


@pytest.mark.django_db(transaction=True)
async def test_channels_database_sync_to_async_keeps_working_in_our_consumer():
    from channels.db import database_sync_to_async
    from django.contrib.auth.models import Group

    class Legacy(BridgeChat):
        count = staticmethod(database_sync_to_async(lambda: Group.objects.count()))

    await Group.objects.acreate(name="one")
    assert (await chat_round_trip(Legacy)).count >= 1


@contextlib.asynccontextmanager
async def serving(app):
    """uvicorn serving ``app`` on a free loopback port, in this event loop."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", ws="websockets-sansio",
                            log_level="warning", access_log=False)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@pytest.mark.django_db(transaction=True, databases=["native"])
@pytest.mark.parametrize(
    ("consumer", "on_connect", "per_message"),
    [(BridgeChat, {}, {}), (ChannelsChat, {"django.db": 1}, {"django.db": 2})],
    ids=["django_asyncx", "channels"],
)
async def test_hops_of_connect_and_of_each_message_through_a_real_server(
    consumer, on_connect, per_message
):
    await Author.objects.using("native").acreate(name="Ann")
    app = get_asgi_application(websocket=URLRouter([path("ws/", consumer.as_asgi())]))
    counted = CountingApplication(app)
    with override_settings(CHANNEL_LAYERS=IN_MEMORY):
        async with serving(counted) as url, websockets.connect(f"{url}/ws/") as ws:
            [hops] = counted.counters
            assert hops.by_owner() == on_connect, hops.hops
            for number in range(3):
                hops.clear()
                await ws.send(f"message {number}:")
                assert await ws.recv() == f"message {number}: 1"
                # Channels: close_old_connections() before the frame and before the group's
                # message, each in a thread; django_asyncx's consumer: none.
                assert hops.by_owner() == per_message, hops.hops
