"""The chat consumer of Channels' tutorial, on django_asyncx's hop-free consumer.

The protocol (JSON text frames), and what bad input gets:

* client -> server: ``{"message": "..."}``; server -> clients of the room:
  ``{"type": "message", "user": "ann", "message": "..."}``; on join the last
  :data:`HISTORY` messages, oldest first, in ``{"type": "history", "messages": [...]}``.
* an error event ``{"type": "error", "error": CODE}``, the connection staying open, for a
  frame that is not JSON text with a string ``message`` (``"invalid"``), a message longer than
  :data:`MAX_LENGTH` characters (``"too_long"``), and a message from an anonymous user
  (``"login_required"``: anyone may read a room, only users who logged in may write).
* close code 4404 for a path that names no room (:class:`UnknownRoomConsumer`); the handshake
  is refused (HTTP 403) for an ``Origin`` outside ``ALLOWED_HOSTS``.
"""

import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from django_asyncx.consumers import AsyncWebsocketConsumer, database_sync_to_async

from .models import Message

HISTORY = 50
MAX_LENGTH = 2000
UNKNOWN_ROOM = 4404


def group_name(room: str) -> str:
    return f"chat_{room}"


@database_sync_to_async
def recent_messages(room: str) -> list[dict[str, str]]:
    latest = Message.objects.filter(room=room).select_related("author")[:HISTORY]
    return [message.as_event() for message in reversed(latest)]


@database_sync_to_async
def store_message(room: str, author: AbstractBaseUser, text: str) -> None:
    Message.objects.create(room=room, author=author, text=text)


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.room = self.scope["url_route"]["kwargs"]["room"]
        self.group = group_name(self.room)
        await self.group_add(self.group)
        await self.accept()
        await self.send_json({"type": "history", "messages": await recent_messages(self.room)})

    async def disconnect(self, code: int) -> None:
        await self.group_discard(self.group)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            text = json.loads(text_data)["message"] if text_data is not None else None
        except (ValueError, TypeError, KeyError):
            text = None
        if not isinstance(text, str):
            await self.send_error("invalid")
            return
        if len(text) > MAX_LENGTH:
            await self.send_error("too_long")
            return
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.send_error("login_required")
            return
        await store_message(self.room, user, text)
        await self.channel_layer.group_send(
            self.group, {"type": "chat_message", "user": user.get_username(), "message": text}
        )

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "message", "user": event["user"], "message": event["message"]}
        )

    async def send_error(self, code: str) -> None:
        await self.send_json({"type": "error", "error": code})

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content))


class UnknownRoomConsumer(AsyncWebsocketConsumer):
    """Any other path under ``ws/``: accepted, then closed with :data:`UNKNOWN_ROOM`."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=UNKNOWN_ROOM)
