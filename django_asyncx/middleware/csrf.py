"""``CsrfViewMiddleware`` on the loop: the same checks, tokens and failure responses."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.conf import global_settings, settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware import csrf

from .base import LoopMiddlewareMixin, aload_session

__all__ = ["CsrfViewMiddleware"]


class CsrfViewMiddleware(LoopMiddlewareMixin, csrf.CsrfViewMiddleware):
    """Drop-in for ``django.middleware.csrf.CsrfViewMiddleware``; no thread hop.

    Django's own checks run unchanged, on the loop. With ``CSRF_USE_SESSIONS`` the session
    is loaded through the DB bridge before they read it. A custom ``CSRF_FAILURE_VIEW`` may
    do anything a sync view does, so a rejection through one runs in a thread.
    """

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        if self.async_mode:
            # Django adapts a sync process_view with sync_to_async: give it a coroutine.
            self.process_view = self.aprocess_view  # type: ignore[method-assign,assignment]

    async def aprocess_request(self, request: HttpRequest) -> HttpResponseBase | None:
        """Read the CSRF secret from the cookie, or from the session loaded off the loop."""
        if settings.CSRF_USE_SESSIONS and hasattr(request, "session"):
            await aload_session(request.session)
        return self.process_request(request)  # type: ignore[func-returns-value]

    async def aprocess_view(
        self,
        request: HttpRequest,
        callback: Any,
        callback_args: Any,
        callback_kwargs: Any,
    ) -> HttpResponseBase | None:
        """Django's ``process_view`` (origin, referer and token checks) on the loop."""
        view = csrf.CsrfViewMiddleware.process_view
        if settings.CSRF_FAILURE_VIEW != global_settings.CSRF_FAILURE_VIEW:
            return await sync_to_async(view, thread_sensitive=True)(
                self, request, callback, callback_args, callback_kwargs
            )
        return view(self, request, callback, callback_args, callback_kwargs)
