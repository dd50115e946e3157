"""Channels consumers without thread hops: the DB bridge from consumers, and auth on it.

Channels runs ``close_old_connections()`` in a worker thread before every message a consumer
handles and after its disconnect, and its ``AuthMiddlewareStack`` loads the user in another:
a thread hop per message, even for a consumer that never touches the database. The classes
here are Channels' own with those hops removed, for consumers that reach the database
through :func:`database_sync_to_async` (this module's, the DB bridge's): each bridge call
already runs between two ``close_old_connections()`` in its pool thread, and on the native
engine it runs on the event loop with no thread at all::

    from django_asyncx.consumers import AsyncWebsocketConsumer, database_sync_to_async

    class ChatConsumer(AsyncWebsocketConsumer):
        @database_sync_to_async
        def save(self, text): ...

and in ``asgi.py``, ``AuthMiddlewareStack`` from here instead of ``channels.auth``. A
consumer that calls Django's async ORM (``await Model.objects.aget()``) directly on a
non-native database should keep Channels' classes, whose per-message cleanup it relies on.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware as _ChannelsAuthMiddleware
from channels.auth import get_user as _channels_get_user
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic import websocket
from channels.sessions import CookieMiddleware, SessionMiddleware

from .db.bridge import database_sync_to_async
from .types import ASGIApplication

__all__ = [
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "AuthMiddleware",
    "AuthMiddlewareStack",
    "database_sync_to_async",
]

# Channels' get_user is its DatabaseSyncToAsync around the plain function; keep the function.
_load_user = database_sync_to_async(_channels_get_user.func)


class AsyncWebsocketConsumer(websocket.AsyncWebsocketConsumer):  # type: ignore[misc]
    """Channels' ``AsyncWebsocketConsumer`` without its per-message thread hop."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.disconnect(message["code"])
        raise StopConsumer()


class AsyncJsonWebsocketConsumer(
    AsyncWebsocketConsumer,
    websocket.AsyncJsonWebsocketConsumer,  # type: ignore[misc]
):
    """Channels' ``AsyncJsonWebsocketConsumer`` without its per-message thread hop."""


class AuthMiddleware(_ChannelsAuthMiddleware):  # type: ignore[misc]
    """Channels' ``AuthMiddleware``, loading ``scope["user"]`` through the DB bridge."""

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await _load_user(scope)


def AuthMiddlewareStack(inner: ASGIApplication) -> ASGIApplication:
    """Cookies, the session and ``scope["user"]`` around ``inner``, as Channels' stack."""
    return CookieMiddleware(SessionMiddleware(AuthMiddleware(inner)))  # type: ignore[no-any-return]
