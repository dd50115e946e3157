"""The ASGI entry point: lifespan, http through Django, websocket to an optional app.

In ``asgi.py``::

    from django_asyncx.asgi import get_asgi_application

    application = get_asgi_application()

replaces ``django.core.asgi.get_asgi_application``. Serve it with uvicorn, hypercorn, granian
or daphne. See :mod:`django_asyncx.lifespan` for hooks and per-loop resources.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import django
from asgiref.sync import iscoroutinefunction
from django.core import signals
from django.db import connections
from django.utils.module_loading import import_string

from .conf import asyncx_settings
from .exceptions import UnsupportedScopeError
from .handler import HopFreeASGIHandler
from .lifespan import Lifespan
from .receivers import request_thread_receiver
from .types import ASGIApplication, Receive, Scope, Send

__all__ = ["ASGIApplication", "ASGIHandler", "AsyncxApplication", "get_asgi_application"]

logger = logging.getLogger("django_asyncx.asgi")


class ASGIHandler(HopFreeASGIHandler):
    """Django's ASGI request handler, the ``http`` branch of :class:`AsyncxApplication`.

    It answers exactly as ``django.core.handlers.asgi.ASGIHandler`` without its needless
    thread hops (see :mod:`django_asyncx.handler`). It starts the event-loop block
    detector (:mod:`django_asyncx.watchdog`) and records the request it serves for it.
    ``ATOMIC_REQUESTS = True`` works for async views: each runs in
    :func:`django_asyncx.db.atomic` on every such database (``@non_atomic_requests`` opts
    out), where Django refuses them. The connections Django's a-methods open on the thread it
    makes for each request are closed when the request finishes, even with
    ``CONN_MAX_AGE``: that thread ends with the request, so they could never be reused.
    """

    def __init__(self) -> None:
        super().__init__()
        signals.request_finished.connect(
            _close_request_thread_connections, dispatch_uid="django_asyncx.asgi.request_thread"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The loop-block detector names the request it caught blocking the loop.
        from .watchdog import current_request, ensure_loop_watchdog

        await ensure_loop_watchdog()
        token = current_request.set(f"{scope.get('method', '')} {scope.get('path', '')}")
        thread_token = _request_thread.set(True)
        try:
            await super().__call__(scope, receive, send)
        finally:
            _request_thread.reset(thread_token)
            current_request.reset(token)

    def make_view_atomic(self, view: Callable[..., Any]) -> Callable[..., Any]:
        if not iscoroutinefunction(view):
            return super().make_view_atomic(view)
        from django.db import connections

        from .db.transaction import AsyncAtomic

        non_atomic: set[str] = getattr(view, "_non_atomic_requests", set())
        for alias, settings_dict in connections.settings.items():
            if settings_dict["ATOMIC_REQUESTS"] and alias not in non_atomic:
                view = AsyncAtomic(alias)(view)
        return view


# True in the tasks and threads of a request served by ASGIHandler: Django's thread-sensitive
# calls for it (a-methods, signal receivers) run on a thread made for that request alone.
_request_thread: ContextVar[bool] = ContextVar("django_asyncx.request_thread", default=False)


@request_thread_receiver
def _close_request_thread_connections(**kwargs: Any) -> None:
    # request_finished runs on the request's thread, which ends with the request: a
    # connection kept there for CONN_MAX_AGE could never be reused, only leaked.
    if not _request_thread.get():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        connections.close_all()  # a thread: its own connections


class AsyncxApplication:
    """An ASGI 3 application: ``lifespan`` itself, ``http`` to Django, ``websocket`` onward.

    When the server sends no lifespan events (daphne, or uvicorn with ``--lifespan off``),
    the startup hooks run before the first request is served and the shutdown hooks run
    when the event loop ends.
    """

    def __init__(self, *, http: ASGIApplication, websocket: ASGIApplication | None = None):
        self.http = http
        self.websocket = websocket
        self.lifespan = Lifespan()
        self._warned_no_websocket = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._serve_lifespan(scope, receive, send)
            return
        if not self.lifespan.started:
            await self.lifespan.ensure_started()
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "websocket":
            await self._serve_websocket(scope, receive, send)
        else:
            raise UnsupportedScopeError(
                f"django_asyncx cannot serve ASGI scope type {kind!r}; accepted: 'http', "
                "'websocket' (with a websocket application) and 'lifespan'"
            )

    async def _serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.websocket is not None:
            await self.websocket(scope, receive, send)
            return
        if not self._warned_no_websocket:
            self._warned_no_websocket = True
            logger.warning(
                "refusing websocket connection to %s: no websocket application; pass "
                'get_asgi_application(websocket=...) or set ASYNCX["WEBSOCKET_APPLICATION"]',
                scope.get("path"),
            )
        message = await receive()
        if message["type"] == "websocket.connect":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})

    async def _serve_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.lifespan.startup(scope.get("state"))
                except Exception as exc:
                    logger.exception("lifespan startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                errors = await self.lifespan.shutdown()
                if errors:
                    await send({"type": "lifespan.shutdown.failed", "message": "; ".join(errors)})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def get_asgi_application(*, websocket: ASGIApplication | None = None) -> AsyncxApplication:
    """Set Django up and return the ASGI application to serve.

    ``websocket`` is an ASGI application for websocket scopes, such as a Channels
    ``URLRouter`` wrapped in ``AuthMiddlewareStack``; without it,
    ``ASYNCX["WEBSOCKET_APPLICATION"]`` names one by dotted path, and without either,
    websocket connections are refused (the server answers 403).
    """
    django.setup(set_prefix=False)
    if websocket is None and asyncx_settings.WEBSOCKET_APPLICATION is not None:
        websocket = import_string(asyncx_settings.WEBSOCKET_APPLICATION)
    return AsyncxApplication(http=ASGIHandler(), websocket=websocket)
