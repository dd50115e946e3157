"""Server-sent events: :class:`EventStream`, a response that streams an async iterator.

::

    from django_asyncx.sse import Event, EventStream, last_event_id

    async def ticks(request):
        async def events(start):
            for number in itertools.count(start + 1):
                yield Event(number, id=number, event="tick")
                await asyncio.sleep(1)

        return EventStream(events(int(last_event_id(request) or 0)), retry=2000)

Each item of the iterator is an :class:`Event` or a plain value (sent as an event's
``data``: a ``str`` as it is, anything else as JSON). While the iterator has nothing to send,
a comment line goes out every ``heartbeat`` seconds, so proxies keep the connection and the
server notices a client that went away. When the client disconnects, the handler cancels the
response: the iterator is closed at once (its ``finally`` blocks run) and the task waiting
on it is cancelled, whatever server serves it. A browser that reconnects sends the id of the
last event it saw, :func:`last_event_id` reads it back.

:func:`group_events` is such an iterator for a Channels channel layer group: an SSE client
follows the same room as the WebSocket consumers that ``group_send`` to it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse

from .observability import metrics

__all__ = ["Event", "EventStream", "group_events", "last_event_id"]

HEARTBEAT = b": heartbeat\n\n"


@dataclass(frozen=True, slots=True)
class Event:
    """One server-sent event: ``data`` (a ``str``, or any value sent as JSON) and its fields.

    ``event`` is the type the browser dispatches it as (``message`` when ``None``), ``id``
    the value the browser sends back as ``Last-Event-ID`` when it reconnects, ``retry`` the
    reconnection delay in milliseconds.
    """

    data: Any
    event: str | None = None
    id: str | int | None = None
    retry: int | None = None

    def encode(self) -> bytes:
        """The event in the ``text/event-stream`` wire format, ending with its blank line."""
        data = self.data if isinstance(self.data, str) else json.dumps(self.data)
        lines = []
        if self.event is not None:
            lines.append(f"event: {_one_line(self.event, 'event')}")
        if self.id is not None:
            lines.append(f"id: {_one_line(str(self.id), 'id')}")
        if self.retry is not None:
            lines.append(f"retry: {int(self.retry)}")
        # A newline inside the data starts a new data line; the browser joins them back.
        lines.extend(f"data: {line}" for line in data.splitlines() or [""])
        return ("\n".join(lines) + "\n\n").encode()


def _one_line(value: str, field: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"an event's {field} must be one line; got {value!r}")
    return value


def last_event_id(request: HttpRequest) -> str | None:
    """The ``Last-Event-ID`` a reconnecting browser sent, or ``None`` on a first connection."""
    return request.headers.get("Last-Event-ID") or None


class EventStream(StreamingHttpResponse):
    """A ``text/event-stream`` response streaming ``events``, an async iterable.

    ``heartbeat`` is the idle time in seconds after which a comment line is sent (``None``:
    never); ``retry`` (milliseconds), when given, is sent first as the reconnection delay.
    The response tells proxies not to buffer it (``X-Accel-Buffering: no``) and clients not
    to cache it. Other keyword arguments go to ``StreamingHttpResponse`` (``status``,
    ``headers``).
    """

    def __init__(
        self,
        events: AsyncIterable[Any],
        *,
        heartbeat: float | None = 15.0,
        retry: int | None = None,
        **kwargs: Any,
    ) -> None:
        if not hasattr(events, "__aiter__"):
            raise TypeError(f"EventStream needs an async iterable; got {type(events).__name__}")
        if heartbeat is not None and heartbeat <= 0:
            raise ValueError(
                f"heartbeat must be a positive number of seconds or None; got {heartbeat!r}"
            )
        kwargs.setdefault("content_type", "text/event-stream")
        super().__init__(_stream(events, heartbeat, retry), **kwargs)
        self.headers.setdefault("Cache-Control", "no-cache")
        self.headers.setdefault("X-Accel-Buffering", "no")


async def _stream(
    events: AsyncIterable[Any], heartbeat: float | None, retry: int | None
) -> AsyncIterator[bytes]:
    iterator = aiter(events)
    pending: asyncio.Future[Any] | None = None
    metrics.connection_opened("sse")
    try:
        if retry is not None:
            yield f"retry: {int(retry)}\n\n".encode()
        while True:
            # The next item is awaited in its own task, so a heartbeat can go out while it
            # waits without cancelling the iterator (a timeout around anext() would).
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=heartbeat)
            if not done:
                yield HEARTBEAT
                continue
            finished, pending = pending, None
            try:
                item = finished.result()
            except StopAsyncIteration:
                return
            yield (item if isinstance(item, Event) else Event(item)).encode()
    finally:
        metrics.connection_closed("sse")
        # Client gone (the handler cancelled us) or stream closed: stop the iterator now.
        if pending is not None:
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


def _chat_event(message: dict[str, Any]) -> Event:
    return Event({key: value for key, value in message.items() if key != "type"},
                 event=message["type"])  # fmt: skip


async def group_events(
    group: str,
    *,
    alias: str | None = None,
    to_event: Callable[[dict[str, Any]], Any] = _chat_event,
    joined: Callable[[], Awaitable[Any]] | None = None,
) -> AsyncIterator[Any]:
    """Follow the Channels group ``group``: each message sent to it becomes an event.

    By default a message ``{"type": "chat_message", "user": "ann", ...}`` becomes the event
    ``chat_message`` with the other keys as its JSON data; ``to_event`` maps a message to
    something else. ``alias`` names the channel layer (``CHANNEL_LAYERS``' ``default`` when
    ``None``). The iterator joins the group when first awaited and leaves it when closed,
    so a client that disconnects leaves no member behind. ``joined``, an async function,
    gives the first item, once the group is joined: what happened before (a room's history),
    so that a client misses nothing between it and the live messages.
    """
    from channels.layers import DEFAULT_CHANNEL_LAYER, get_channel_layer

    layer = get_channel_layer(alias or DEFAULT_CHANNEL_LAYER)
    if layer is None:
        raise ValueError(f"no channel layer {alias or DEFAULT_CHANNEL_LAYER!r} in CHANNEL_LAYERS")
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        if joined is not None:
            yield await joined()
        while True:
            yield to_event(await layer.receive(channel))
    finally:
        # Shielded: the discard must reach the layer even when the stream is being cancelled.
        await asyncio.shield(layer.group_discard(group, channel))
