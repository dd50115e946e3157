"""``MessageMiddleware`` on the loop; session-backed storage loads the session via the bridge."""

from __future__ import annotations

from django.contrib.messages import middleware
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage
from django.http import HttpRequest, HttpResponseBase

from .base import LoopMiddlewareMixin, aload_session

__all__ = ["MessageMiddleware"]


class MessageMiddleware(LoopMiddlewareMixin, middleware.MessageMiddleware):
    """Drop-in for ``django.contrib.messages.middleware.MessageMiddleware``; no hop.

    Storing messages is in-memory work for the cookie storage. When the session storage
    (alone or as the fallback) may be written, and messages were read or added, the session
    is loaded through the DB bridge first; it is saved by the session middleware.
    """

    async def aprocess_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Django's ``process_response``, with the session loaded off the loop if needed."""
        storage = getattr(request, "_messages", None)
        session = getattr(request, "session", None)
        if (
            session is not None
            and isinstance(storage, SessionStorage | FallbackStorage)
            and (storage.used or storage.added_new)
        ):
            await aload_session(session)
        return self.process_response(request, response)  # type: ignore[arg-type]
