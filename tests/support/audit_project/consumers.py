"""Consumers of every kind the audit tells apart, and websocket applications routing them."""

from channels.auth import AuthMiddlewareStack as ChannelsAuthMiddlewareStack
from channels.db import database_sync_to_async as channels_database_sync_to_async
from channels.generic.websocket import (
    AsyncWebsocketConsumer as ChannelsAsyncConsumer,
)
from channels.generic.websocket import (
    JsonWebsocketConsumer,
    WebsocketConsumer,
)
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import Group
from django.urls import path

from django_asyncx.asgi import get_asgi_application
from django_asyncx.consumers import AsyncWebsocketConsumer, AuthMiddlewareStack
from django_asyncx.consumers import database_sync_to_async as bridge_database_sync_to_async


def count_groups() -> int:
    return Group.objects.count()


@channels_database_sync_to_async
def channels_groups() -> int:
    return Group.objects.count()


@bridge_database_sync_to_async
def bridge_groups() -> int:
    return Group.objects.count()


class SyncEcho(WebsocketConsumer):
    def receive(self, text_data=None, bytes_data=None):
        self.send(text_data=text_data)


class SyncJson(JsonWebsocketConsumer):
    def receive_json(self, content, **kwargs):
        self.send_json(content)


class ChannelsChat(ChannelsAsyncConsumer):
    @channels_database_sync_to_async
    def names(self):
        return list(Group.objects.values_list("name", flat=True))

    async def receive(self, text_data=None, bytes_data=None):
        total = await channels_groups() + len(await self.names())
        inline = await channels_database_sync_to_async(count_groups)()
        await self.send(text_data=f"{total} {inline}")


class BridgeChat(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=str(await bridge_groups()))


class HalfwayChat(AsyncWebsocketConsumer):
    """django_asyncx's consumer, still calling Channels' database_sync_to_async once."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=str(await channels_groups() + await bridge_groups()))


async def raw_websocket(scope, receive, send):
    await send({"type": "websocket.close"})


rooms = URLRouter(
    [
        path("sync/", SyncEcho.as_asgi()),
        path("json/", SyncJson.as_asgi()),
        path("channels/", ChannelsChat.as_asgi()),
    ]
)
channels_stack = AllowedHostsOriginValidator(
    ChannelsAuthMiddlewareStack(URLRouter([path("ws/", rooms), path("raw/", raw_websocket)]))
)
asyncx_stack = AuthMiddlewareStack(
    URLRouter([path("bridge/", BridgeChat.as_asgi()), path("halfway/", HalfwayChat.as_asgi())])
)

django_asgi_app = get_asgi_application()
application = get_asgi_application(websocket=channels_stack)
router_application = django_asgi_app.wrap(
    ProtocolTypeRouter({"http": django_asgi_app, "websocket": asyncx_stack})
)
bare_router = ProtocolTypeRouter({"http": django_asgi_app, "websocket": asyncx_stack})
