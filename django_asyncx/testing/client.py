"""In-process test clients: Django's test clients on django_asyncx's stack, and :func:`arequest`.

:class:`AsyncxClient` is Django's ``AsyncClient`` whose requests go through django_asyncx's
request handler: the middleware as configured (drop-ins included), ``ATOMIC_REQUESTS`` for
async views, the lifespan startup hooks before the first request of each event loop (and the
shutdown hooks when that loop ends), the loop-block detector. Every assertion helper of
Django's ``TestCase`` works with it (``assertContains``, ``assertTemplateUsed``,
``assertRedirects``, ``response.context``). :class:`AsyncxSyncClient` is its twin for sync
tests, a ``django.test.Client``::

    from django_asyncx.testing.client import AsyncxClient

    client = AsyncxClient()
    response = await client.get("/products/")
    assert response.status_code == 200

:func:`arequest` sends one raw HTTP request to an ASGI application::

    from django_asyncx.testing.client import arequest

    result = await arequest(application, "GET", "/hello/", headers={"accept": "text/html"})
    assert result.status == 200
    assert result.header("content-type") == "text/html; charset=utf-8"

No server and no socket: the request goes straight to the application's ``__call__`` as a
server would send it (scope, body messages, then a disconnect once the response is done),
so the application runs exactly as it runs under uvicorn. ``manage.py asyncx_audit`` probes
a project this way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from asgiref.sync import ThreadSensitiveContext, async_to_sync
from django.conf import settings
from django.test.client import AsyncClient, AsyncClientHandler, Client

from django_asyncx.asgi import AsyncxApplication, get_asgi_application
from django_asyncx.handler import ASGIHandler, _request_thread
from django_asyncx.loops import LoopResource
from django_asyncx.types import ASGIApplication, Message, Scope
from django_asyncx.watchdog import current_request, ensure_loop_watchdog

if TYPE_CHECKING:
    from django.http import HttpResponseBase

    from django_asyncx.testing.upstream import Upstream

__all__ = [
    "AsgiResult",
    "AsyncxClient",
    "AsyncxClientHandler",
    "AsyncxSyncClient",
    "arequest",
]


@dataclass(slots=True)
class AsgiResult:
    """What an ASGI application sent for one request."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    chunks: int

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def header_list(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        name = name.lower()
        return [value for key, value in self.headers if key == name]


def _allowed_host() -> str:
    # A host the project accepts, so CommonMiddleware does not answer 400 (DisallowedHost).
    for host in settings.ALLOWED_HOSTS:
        if host not in ("*", "") and not host.startswith("."):
            return str(host)
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        # startproject's settings: with DEBUG, Django then accepts localhost only.
        return "localhost"
    return "testserver"


async def arequest(
    app: ASGIApplication,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    body_chunks: int = 1,
    disconnect: asyncio.Event | None = None,
    scheme: str = "http",
) -> AsgiResult:
    """Send one HTTP request to an ASGI application in-process and collect the response.

    The client stays connected until the response is complete, as a server's would; set
    ``disconnect`` to hang up earlier. ``body`` is sent in ``body_chunks`` messages. ``path``
    may carry a query string.
    """
    parts = urlsplit(path)
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if not any(key.lower() == "host" for key, _ in pairs):
        pairs.insert(0, ("host", _allowed_host()))
    if body and not any(key.lower() == "content-length" for key, _ in pairs):
        pairs.append(("content-length", str(len(body))))
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": scheme,
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(key.lower().encode("latin1"), value.encode("latin1")) for key, value in pairs],
        "client": ("127.0.0.1", 50000),
        "server": (_allowed_host(), 443 if scheme == "https" else 80),
        "state": {},
    }
    size = max(1, -(-len(body) // max(1, body_chunks)))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    finished = asyncio.Event()
    hang_up = disconnect or finished
    status = 0
    response_headers: list[tuple[str, str]] = []
    content: list[bytes] = []

    async def receive() -> Message:
        if pieces:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
        await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.extend(
                (bytes(k).decode("latin1").lower(), bytes(v).decode("latin1"))
                for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            content.append(message.get("body", b""))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    return AsgiResult(status, response_headers, b"".join(content), len(content))


class AsyncxClientHandler(AsyncClientHandler, ASGIHandler):
    """Django's ``AsyncClientHandler`` (a scope in, a response object out) on our handler.

    Django's request path of the test client is kept (``response.asgi_request``, the
    templates and context it captures, request bodies, ``enforce_csrf_checks``, streaming
    responses closed when consumed, ``raise_request_exception``), and every step it calls
    is :class:`~django_asyncx.handler.ASGIHandler`'s: middleware loading, error responses,
    ``TemplateResponse`` rendering, ``make_view_atomic``. Around each request it does what
    the ASGI application does: start the lifespan on this loop, start the loop-block
    detector, and give the request its own thread-sensitive context.
    """

    def __init__(
        self, enforce_csrf_checks: bool = True, *, client: AsyncxClient | None = None
    ) -> None:
        super().__init__(enforce_csrf_checks)
        # Middleware loads at the first request, as with Django's client, so settings
        # overridden after the client was made (in setUp, in the test) apply.
        self._middleware_chain = None  # type: ignore[assignment]
        self.client = client

    async def __call__(self, scope: Scope) -> HttpResponseBase:  # type: ignore[override]
        if self.client is not None:
            application = await self.client.aget_application()
            if not application.lifespan.started:
                await application.lifespan.ensure_started()
        await ensure_loop_watchdog()
        token = current_request.set(f"{scope.get('method', '')} {scope.get('path', '')}")
        thread_token = _request_thread.set(True)
        try:
            async with ThreadSensitiveContext():
                response: HttpResponseBase = await AsyncClientHandler.__call__(self, scope)
                return response
        finally:
            _request_thread.reset(thread_token)
            current_request.reset(token)


class AsyncxClient(AsyncClient):
    """Django's ``AsyncClient``, sending its requests through django_asyncx's stack.

    Takes ``AsyncClient``'s arguments, and:

    * ``application``: the :class:`~django_asyncx.asgi.AsyncxApplication` whose lifespan
      runs (a project's own, from its ``asgi.py``); by default one built with
      :func:`~django_asyncx.asgi.get_asgi_application` for each event loop the client is
      used on. Its startup hooks run before the first request on a loop and its shutdown
      hooks when that loop ends: in a Django ``TestCase``, once per async test.
    * ``upstream`` and ``upstream_clients``: a started
      :class:`~django_asyncx.testing.upstream.Upstream` that the named HTTP clients (default
      ``("default",)``) call during each request, so ``request.http`` reaches the test's
      server.
    """

    handler: AsyncxClientHandler

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        raise_request_exception: bool = True,
        *,
        application: AsyncxApplication | None = None,
        upstream: Upstream | None = None,
        upstream_clients: Sequence[str] = ("default",),
        **defaults: Any,
    ) -> None:
        super().__init__(enforce_csrf_checks, raise_request_exception, **defaults)
        self.handler = AsyncxClientHandler(enforce_csrf_checks, client=self)
        self.application = application
        self.upstream = upstream
        self.upstream_clients = tuple(upstream_clients)
        self._applications: LoopResource[AsyncxApplication] = LoopResource(
            f"django_asyncx.testing.client[{id(self):#x}]", create=get_asgi_application
        )

    async def aget_application(self) -> AsyncxApplication:
        """The application of this loop: ``application`` if given, else this loop's own."""
        if self.application is not None:
            return self.application
        return await self._applications.aget()

    async def request(self, **request: Any) -> Any:
        """Django's ``AsyncClient.request``, with the upstream's clients overridden."""
        upstream = self.upstream
        with upstream.override_clients(*self.upstream_clients) if upstream else nullcontext():
            return await super().request(**request)


_ASYNCX_OPTIONS = frozenset({"application", "upstream", "upstream_clients"})


def _asgi_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    # Django's Client takes WSGI names (HTTP_ACCEPT=...); its AsyncClient takes header names.
    converted: dict[str, Any] = {}
    for key, value in extra.items():
        if key.startswith("HTTP_"):
            key = key[5:].lower().replace("_", "-")
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = key.lower().replace("_", "-")
        converted[key] = value
    return converted


class AsyncxSyncClient(Client):
    """Django's ``Client`` for sync tests, serving each request with an :class:`AsyncxClient`.

    The same arguments as :class:`AsyncxClient`. Requests, ``follow=True``, ``login()`` and
    the session behave as with ``django.test.Client``, and share their cookies with the
    inner client (:attr:`async_client`). Headers are given as ``headers={...}`` or with
    their WSGI names (``HTTP_ACCEPT=...``). An async streaming response is read to its end
    before the call returns. Each request runs on an event loop of its own, so the lifespan
    starts and stops around every request: in async tests, use :class:`AsyncxClient` when
    startup is expensive.
    """

    def __init__(
        self,
        enforce_csrf_checks: bool = False,
        raise_request_exception: bool = True,
        **options: Any,
    ) -> None:
        self.async_client = AsyncxClient(
            enforce_csrf_checks, raise_request_exception, **_asgi_extra(options)
        )
        defaults = {k: v for k, v in options.items() if k not in _ASYNCX_OPTIONS}
        super().__init__(enforce_csrf_checks, raise_request_exception, **defaults)

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies of the inner client: one jar for both."""
        return self.async_client.cookies

    @cookies.setter
    def cookies(self, value: SimpleCookie) -> None:
        self.async_client.cookies = value

    def generic(
        self,
        method: str,
        path: Any,
        data: Any = "",
        content_type: str | None = "application/octet-stream",
        secure: bool = False,
        *,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, Any] | None = None,
        **extra: Any,
    ) -> Any:
        """Serve the request with the inner :class:`AsyncxClient`, on a loop of its own."""
        inner = self.async_client

        async def send() -> Any:
            response: Any = await inner.generic(
                method,
                path,
                data,
                content_type,
                secure,
                headers=headers,
                query_params=query_params,
                **_asgi_extra(extra),
            )
            if response.streaming and response.is_async:
                # Read on the loop that made it, which ends with this call.
                response.streaming_content = [chunk async for chunk in response.streaming_content]
            return response

        response = async_to_sync(send)()
        response.client = self
        response.wsgi_request = response.asgi_request
        return response
