"""The ASGI application: lifespan itself, http to the request handler, websocket onward.

In ``asgi.py``::

    from django_asyncx.asgi import get_asgi_application

    application = get_asgi_application()

replaces ``django.core.asgi.get_asgi_application``. Serve it with uvicorn, hypercorn, granian
or daphne. See :mod:`django_asyncx.lifespan` for hooks and per-loop resources, and
:mod:`django_asyncx.handler` for the request handler, :class:`ASGIHandler`, that serves the
``http`` scopes (imported from here too, as is the ``ASGIApplication`` type).
"""

from __future__ import annotations

import logging

import django
from django.utils.module_loading import import_string

from .conf import asyncx_settings
from .exceptions import UnsupportedScopeError
from .handler import ASGIHandler
from .lifespan import Lifespan
from .observability import metrics
from .types import ASGIApplication, Receive, Scope, Send

__all__ = ["ASGIApplication", "ASGIHandler", "AsyncxApplication", "get_asgi_application"]

logger = logging.getLogger("django_asyncx.asgi")


class AsyncxApplication:
    """An ASGI 3 application: ``lifespan`` itself, ``http`` to Django, ``websocket`` onward.

    When the server sends no lifespan events (daphne, or uvicorn with ``--lifespan off``),
    the startup hooks run before the first request is served and the shutdown hooks run
    when the event loop ends.
    """

    def __init__(
        self,
        *,
        http: ASGIApplication,
        websocket: ASGIApplication | None = None,
        lifespan: Lifespan | None = None,
    ):
        self.http = http
        self.websocket = websocket
        self.lifespan = Lifespan() if lifespan is None else lifespan
        self._warned_no_websocket = False

    def wrap(self, router: ASGIApplication) -> AsyncxApplication:
        """This application's lifespan around ``router``, for an outermost Channels router.

        Channels' tutorial puts ``ProtocolTypeRouter`` outermost::

            django_asgi_app = get_asgi_application()
            application = django_asgi_app.wrap(ProtocolTypeRouter({
                "http": django_asgi_app,
                "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(...))),
            }))

        Unwrapped, the router would refuse the ``lifespan`` scope and its websocket scopes
        would never reach this application, so on daphne a consumer could run before the
        startup hooks. Wrapped, the returned application serves ``lifespan`` itself and
        starts the hooks before any ``http`` or ``websocket`` scope reaches the router; it
        shares this application's :class:`~django_asyncx.lifespan.Lifespan`, so the hooks
        run once.
        """
        return AsyncxApplication(http=router, websocket=router, lifespan=self.lifespan)

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
            with metrics.open_connection("websocket"):
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
