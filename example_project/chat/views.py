"""The chat pages: pick a room, the room (its JavaScript opens the WebSocket), and the room
as server-sent events (what the WebSocket clients send, for a page that only reads) with the
page that follows them (its JavaScript opens an ``EventSource``).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from django_asyncx.sse import Event, EventStream, group_events

from .consumers import group_name, recent_messages


async def index(request: HttpRequest) -> HttpResponse:
    return render(request, "chat/index.html")


async def room(request: HttpRequest, room: str) -> HttpResponse:
    user = await request.auser()
    return render(request, "chat/room.html", {"room": room, "chat_user": user})


async def events(request: HttpRequest, room: str) -> EventStream:
    """The room: a ``history`` event (the last messages), then ``chat_message`` events."""

    async def history() -> Event:
        return Event({"messages": await recent_messages(room)}, event="history")

    return EventStream(group_events(group_name(room), joined=history), retry=2000)


async def follow(request: HttpRequest, room: str) -> HttpResponse:
    """A read-only view of the room, following :func:`events` in the browser."""
    return render(request, "chat/follow.html", {"room": room})
