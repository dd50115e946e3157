"""Settings, URLs, consumers and ASGI applications of the realtime benchmark (``realtime.py``).

One module is the settings (``DJANGO_SETTINGS_MODULE=bench.realtime_site``) and the URLconf;
two ASGI entries serve the same routes:

- ``bench.realtime_site:plain`` (:func:`plain_application`): plain Channels, as its
  tutorial writes it, on Django's stock ASGI handler: ``ProtocolTypeRouter`` with Channels'
  own ``AsyncWebsocketConsumer``;
- ``bench.realtime_site:asyncx`` (:func:`asyncx_application`): django_asyncx's application
  with the consumer on :mod:`django_asyncx.consumers`.

The consumer joins the group ``room`` on connect (Channels' ``groups`` attribute) and leaves it
on disconnect; a text frame it receives goes to the whole group, and each member sends it on
to its client. ``REDIS_URL`` selects channels-redis (``BENCH_LAYER``: ``core``, the default, or
``pubsub``), keys under ``BENCH_REDIS_PREFIX``; without it, Channels' in-memory layer.

The HTTP routes are idle event streams (``/sse/django-sync``, ``/sse/django-async``,
``/sse/asyncx``), ``/ready``, ``/debug/counts`` (the event loop's tasks and the process's
threads, for the leak checks) and ``/debug/memory`` (tracemalloc's top allocations, when on).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from channels.generic import websocket as channels_websocket
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path

from django_asyncx import consumers
from django_asyncx.sse import Event, EventStream

SECRET_KEY = "benchmarks-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, Any] = {}
USE_TZ = True
MIDDLEWARE: list[str] = []

GROUP = "room"
IDLE = 3600.0
"""Seconds between two events of an idle stream: longer than any measurement."""

_LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
_REDIS_URL = os.environ.get("REDIS_URL")
CHANNEL_LAYERS: dict[str, Any] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if _REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _LAYERS[os.environ.get("BENCH_LAYER", "core")],
            "CONFIG": {
                "hosts": [_REDIS_URL],
                "prefix": os.environ.get("BENCH_REDIS_PREFIX", "asgi"),
            },
        }
    }


class _Room:
    """The consumer's behaviour, the same on both bases."""

    groups = [GROUP]
    channel_layer: Any

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(GROUP, {"type": "room.message", "text": text_data})

    async def room_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])  # type: ignore[attr-defined]


class ChannelsRoom(_Room, channels_websocket.AsyncWebsocketConsumer):  # type: ignore[misc]
    """The room on Channels' own consumer."""


class AsyncxRoom(_Room, consumers.AsyncWebsocketConsumer):
    """The room on django_asyncx's consumer."""


def _django_sync_events() -> Iterator[bytes]:
    # What a Django view streams without async: a sync generator that sleeps between events.
    yield b"data: hello\n\n"
    while True:
        time.sleep(IDLE)
        yield b": heartbeat\n\n"


async def _async_events() -> AsyncIterator[bytes]:
    yield b"data: hello\n\n"
    while True:
        await asyncio.sleep(IDLE)
        yield b": heartbeat\n\n"


async def _asyncx_events() -> AsyncIterator[Event]:
    yield Event("hello")
    await asyncio.Event().wait()  # idle until the client goes away


def django_sync_stream(request: HttpRequest) -> StreamingHttpResponse:
    """Plain Django: ``StreamingHttpResponse`` of a sync generator."""
    return StreamingHttpResponse(_django_sync_events(), content_type="text/event-stream")


async def django_async_stream(request: HttpRequest) -> StreamingHttpResponse:
    """Plain Django: ``StreamingHttpResponse`` of an async generator."""
    return StreamingHttpResponse(_async_events(), content_type="text/event-stream")


async def asyncx_stream(request: HttpRequest) -> EventStream:
    """django_asyncx's ``EventStream`` (heartbeats past the measurement, as the others)."""
    return EventStream(_asyncx_events(), heartbeat=IDLE)


async def ready(request: HttpRequest) -> HttpResponse:
    """200 once the server answers."""
    return HttpResponse("ok")


async def counts(request: HttpRequest) -> JsonResponse:
    """The event loop's tasks (this request's own included) and the process's threads."""
    return JsonResponse({"tasks": len(asyncio.all_tasks()), "threads": threading.active_count()})


async def memory(request: HttpRequest) -> JsonResponse:
    """The top allocations by line when the server runs under ``python -X tracemalloc``."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return JsonResponse({"tracing": False})
    top = tracemalloc.take_snapshot().statistics("lineno")[: int(request.GET.get("top", 25))]
    return JsonResponse(
        {"tracing": True, "top": [[str(s.traceback), s.size, s.count] for s in top]}
    )


urlpatterns = [
    path("sse/django-sync", django_sync_stream),
    path("sse/django-async", django_async_stream),
    path("sse/asyncx", asyncx_stream),
    path("ready", ready),
    path("debug/counts", counts),
    path("debug/memory", memory),
]


def _websocket(consumer: Any) -> Any:
    from channels.routing import URLRouter

    return URLRouter([path("ws/room/", consumer.as_asgi())])


def plain_application() -> Any:
    """Plain Channels on Django's stock ASGI handler."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
    from channels.routing import ProtocolTypeRouter
    from django.core.asgi import get_asgi_application

    http = get_asgi_application()
    return ProtocolTypeRouter({"http": http, "websocket": _websocket(ChannelsRoom)})


def asyncx_application() -> Any:
    """django_asyncx's application with the consumer on :mod:`django_asyncx.consumers`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
    from django_asyncx.asgi import get_asgi_application

    get_asgi_application()  # sets Django up before the router is built
    return get_asgi_application(websocket=_websocket(AsyncxRoom))


_ENTRIES = {"plain": plain_application, "asyncx": asyncx_application}
_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    # The servers' entries, ``bench.realtime_site:plain`` and ``:asyncx``, built on first use:
    # daphne takes no factory, and importing the settings must not build both.
    if name not in _ENTRIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _built:
        _built[name] = _ENTRIES[name]()
    return _built[name]
