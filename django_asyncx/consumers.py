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

and in ``asgi.py``, ``AuthMiddlewareStack`` from here instead of ``channels.auth``.

Joining and leaving groups (the ``groups`` attribute, :meth:`AsyncWebsocketConsumer.group_add`
and :meth:`~AsyncWebsocketConsumer.group_discard`) is bounded per event loop and retried:
channels-redis's client pool refuses a command past its 100 connections ("Too many
connections") instead of waiting, so thousands of clients connecting or going away at once
would otherwise leave members in the group that no consumer will ever read. A consumer that
ends with an error (a handler raised; channels-redis's receive timed out on a loop too busy to
read its reply) leaves the groups it joined all the same.

A consumer that calls Django's async ORM (``await Model.objects.aget()``) directly on a
non-native database should keep Channels' classes, whose per-message cleanup it relies on.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.auth import AuthMiddleware as _ChannelsAuthMiddleware
from channels.auth import get_user as _channels_get_user
from channels.consumer import get_handler_name
from channels.exceptions import (
    AcceptConnection,
    DenyConnection,
    InvalidChannelLayerError,
    StopConsumer,
)
from channels.generic import websocket
from channels.sessions import CookieMiddleware, SessionMiddleware

from .db.bridge import database_sync_to_async
from .loops import LoopResource
from .types import ASGIApplication

__all__ = [
    "POOL_SHARE",
    "AsyncJsonWebsocketConsumer",
    "AsyncWebsocketConsumer",
    "AuthMiddleware",
    "AuthMiddlewareStack",
    "database_sync_to_async",
]

# Channels' get_user is its DatabaseSyncToAsync around the plain function; keep the function.
_load_user = database_sync_to_async(_channels_get_user.func)

POOL_SHARE = 4
"""Group joins and leaves in flight at once on one event loop: a quarter of the layer's Redis
pool (``max_connections`` of its host, redis-py's 100 by default), the rest left to sends and
to the receive loop."""
_RETRIES = 5
_group_slots: LoopResource[weakref.WeakKeyDictionary[Any, asyncio.Semaphore]] = LoopResource(
    "consumers.group_slots", weakref.WeakKeyDictionary
)


def _slots_for(layer: Any) -> int:
    hosts = getattr(layer, "hosts", None) or [{}]
    size = min(int(h.get("max_connections") or 100) for h in hosts)
    return max(1, size // POOL_SHARE)


def _transient_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis import exceptions
    except ImportError:  # the in-memory layer: nothing to retry
        return ()
    # MaxConnectionsError ("Too many connections") is one of redis' ConnectionErrors.
    return (exceptions.ConnectionError, exceptions.TimeoutError)


async def _bounded(
    layer: Any, operation: Callable[[str, str], Awaitable[Any]], group: str, channel: str
) -> None:
    slots = await _group_slots.aget()
    if layer not in slots:
        slots[layer] = asyncio.Semaphore(_slots_for(layer))
    async with slots[layer]:
        for attempt in range(_RETRIES):
            try:
                await operation(group, channel)
                return
            except _transient_errors():
                if attempt == _RETRIES - 1:
                    raise
                await asyncio.sleep(0.05 * 2**attempt)


class AsyncWebsocketConsumer(websocket.AsyncWebsocketConsumer):  # type: ignore[misc]
    """Channels' ``AsyncWebsocketConsumer`` without its per-message thread hop.

    Its group operations are bounded and retried (see the module's docstring), and the
    groups it joined are left when it ends, even when it ends with an error.
    """

    _joined: set[str] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A consumer that failed (a handler raised, the layer's receive timed out under
            # load) never got to its disconnect: leave what it joined, or the group keeps a
            # member that no consumer reads.
            for group in list(self._joined or ()):
                await self.group_discard(group)

    async def group_add(self, group: str) -> None:
        """Join ``group`` (``channel_layer.group_add``), bounded and retried."""
        layer = self.channel_layer
        await _bounded(layer, layer.group_add, group, self.channel_name)
        if self._joined is None:
            self._joined = set()
        self._joined.add(group)

    async def group_discard(self, group: str) -> None:
        """Leave ``group`` (``channel_layer.group_discard``), bounded and retried."""
        # Shielded: a consumer cancelled while leaving still leaves.
        layer = self.channel_layer
        await asyncio.shield(_bounded(layer, layer.group_discard, group, self.channel_name))
        if self._joined is not None:
            self._joined.discard(group)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        if self.groups and not hasattr(self.channel_layer, "group_add"):
            raise InvalidChannelLayerError("BACKEND is unconfigured or doesn't support groups")
        for group in self.groups:
            await self.group_add(group)
        try:
            await self.connect()
        except AcceptConnection:
            await self.accept()
        except DenyConnection:
            await self.close()

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        for group in self.groups:
            await self.group_discard(group)
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
