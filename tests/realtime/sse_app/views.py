"""Event streams, and what the server process holds: streams open, tasks, threads."""

import asyncio
import threading
from collections import Counter

from channels.layers import get_channel_layer
from django.http import HttpRequest, JsonResponse

from django_asyncx.sse import Event, EventStream, group_events, last_event_id

streams = Counter[str]()


async def ticks(request: HttpRequest) -> EventStream:
    """``count`` numbered events after ``Last-Event-ID``, then the end of the stream."""
    start = int(last_event_id(request) or 0)
    count = int(request.GET.get("count", "3"))

    async def events():
        for number in range(start + 1, start + count + 1):
            yield Event(number, id=number, event="tick")
        yield {"done": True, "lines": "one\ntwo"}

    return EventStream(events(), retry=1500)


async def forever(request: HttpRequest) -> EventStream:
    """Nothing but heartbeats, until the client goes away."""

    async def events():
        streams["open"] += 1
        try:
            await asyncio.Event().wait()
            yield "never"
        finally:
            streams["open"] -= 1
            streams["closed"] += 1

    return EventStream(events(), heartbeat=float(request.GET.get("heartbeat", "0.05")))


async def joined() -> Event:
    return Event("", event="joined")


async def group(request: HttpRequest, group: str) -> EventStream:
    async def events():
        streams["open"] += 1
        try:
            async for event in group_events(group, joined=joined):
                yield event
        finally:
            streams["open"] -= 1
            streams["closed"] += 1

    return EventStream(events(), heartbeat=0.05)


async def send(request: HttpRequest, group: str) -> JsonResponse:
    layer = get_channel_layer()
    await layer.group_send(group, {"type": "chat_message", "message": request.GET["text"]})
    return JsonResponse({"sent": True})


async def stats(request: HttpRequest) -> JsonResponse:
    layer = get_channel_layer()
    members = {name: len(channels) for name, channels in getattr(layer, "groups", {}).items()}
    return JsonResponse({
        "open": streams["open"],
        "closed": streams["closed"],
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "group_members": sum(members.values()),
    })  # fmt: skip
