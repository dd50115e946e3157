"""A real HTTP server for tests to call: an aiohttp app on a loopback port.

The server runs in a background thread on its own event loop, so it serves sync and async
tests alike and outlives each test's event loop. Routes are declared by the test, at any
time::

    def test_profile(upstream):
        upstream.route("/users/1", json={"name": "Ada"})
        upstream.route("/flaky", status=503, headers={"Retry-After": "0"})

        async def slow(request):
            await asyncio.sleep(0.2)
            return web.json_response({"late": True})

        upstream.route("/slow", slow)
        with upstream.override_clients("default", "github"):
            ...  # get_client("github") now calls this server

It records every request (:attr:`Upstream.requests`) and counts the distinct client TCP
connections it saw (:attr:`Upstream.connection_count`), which is how tests prove connection
reuse. The ``upstream`` pytest fixture (in :mod:`django_asyncx.testing.plugin`) starts one
per test.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from django.conf import settings
from django.test import override_settings
from multidict import CIMultiDict

from django_asyncx.http.client import confine_to_loopback

__all__ = ["RecordedRequest", "Upstream"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the upstream received: method, path, query, headers, body, client peer."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: CIMultiDict[str]
    body: bytes
    peer: tuple[str, int]


class Upstream:
    """An aiohttp server on ``host`` (127.0.0.1) and a free port, in its own thread.

    Use it as a context manager, or :meth:`start`/:meth:`stop`. Requests to a path with no
    route get a 404. With ``ssl_context`` (a server-side context with its certificate
    loaded) it serves https.
    """

    def __init__(self, host: str = "127.0.0.1", *, ssl_context: ssl.SSLContext | None = None):
        self.host = host
        self.ssl_context = ssl_context
        self.port = 0
        self.requests: list[RecordedRequest] = []
        self._routes: dict[str, tuple[frozenset[str] | None, Handler]] = {}
        self._peers: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Upstream:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Upstream:
        """Start serving; returns once the port is bound."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(ready)), name="asyncx-upstream", daemon=True
        )
        self._thread.start()
        ready.wait(timeout=30)
        if self._error is not None:
            raise RuntimeError(f"the upstream server did not start: {self._error}")
        return self

    def stop(self) -> None:
        """Stop serving: in-flight handlers are cancelled, connections closed, thread joined."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._thread = None

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        try:
            await runner.setup()
            site = web.TCPSite(runner, self.host, 0, ssl_context=self.ssl_context)
            await site.start()
            server = site._server
            assert isinstance(server, asyncio.Server)
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:
            self._error = exc
            ready.set()
            await runner.cleanup()
            raise
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    # ------------------------------------------------------------------ routes

    @property
    def url(self) -> str:
        """The server's base URL, ``http://127.0.0.1:<port>`` (``https``, ``[::1]``...)."""
        scheme = "https" if self.ssl_context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + "/" + path.lstrip("/")

    def route(
        self,
        path: str,
        handler: Handler | None = None,
        *,
        methods: tuple[str, ...] | None = None,
        status: int = 200,
        json: Any = _UNSET,
        text: str | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer ``path`` with ``handler`` (an async aiohttp handler), or a fixed response.

        Without a handler, the response has ``status``, ``headers`` and one of ``json``,
        ``text`` or ``body``, sent after ``delay`` seconds. ``methods`` restricts the
        methods served (others get 405). Declaring a path again replaces its route.
        """
        if handler is None:
            payload = (
                jsonlib.dumps(json).encode() if json is not _UNSET else
                text.encode() if text is not None else body or b""
            )  # fmt: skip
            content_type = "application/json" if json is not _UNSET else "text/plain"

            async def fixed(request: web.Request) -> web.StreamResponse:
                if delay:
                    await asyncio.sleep(delay)
                return web.Response(
                    status=status, body=payload, headers=headers, content_type=content_type
                )

            handler = fixed
        allowed = frozenset(m.upper() for m in methods) if methods else None
        with self._lock:
            self._routes["/" + path.lstrip("/")] = (allowed, handler)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        peer = transport.get_extra_info("peername")[:2] if transport else ("", 0)
        body = await request.read()
        with self._lock:
            self._peers.add(peer)
            headers = CIMultiDict(request.headers)
            record = RecordedRequest(
                request.method, request.path, dict(request.query), headers, body, peer
            )
            self.requests.append(record)
            allowed, handler = self._routes.get(request.path, (None, None))
        if handler is None:
            return web.Response(status=404, text=f"no route for {request.path}")
        if allowed is not None and request.method not in allowed:
            return web.Response(status=405)
        return await handler(request)

    # ------------------------------------------------------------------ counts

    @property
    def request_count(self) -> int:
        """How many requests were received (since the last :meth:`reset`)."""
        return len(self.requests)

    @property
    def connection_count(self) -> int:
        """How many distinct client TCP connections sent requests (by peer address)."""
        with self._lock:
            return len(self._peers)

    def reset(self) -> None:
        """Forget recorded requests and connections (routes stay)."""
        with self._lock:
            self.requests.clear()
            self._peers.clear()

    # ------------------------------------------------------------------ settings

    def client_settings(self, **options: Any) -> dict[str, Any]:
        """Options for an ``ASYNCX["HTTP_CLIENTS"]`` entry pointing at this server.

        ``base_url`` is the server and ``allow_private`` is on, since it is on loopback;
        ``options`` add to or replace these.
        """
        return {"base_url": self.url, "allow_private": True, **options}

    def override_clients(self, *names: str, **options: Any) -> override_settings:
        """``override_settings`` pointing the named clients (default: ``"default"``) here.

        Other ``ASYNCX`` keys and other clients are kept. Use it as a context manager or a
        decorator. While it is on, no call of these clients leaves the machine: a call to a
        host that is not loopback (an absolute URL to the real service, a redirect there)
        raises :class:`~django_asyncx.exceptions.BlockedDestination` naming the override,
        and a ``Client`` got before the override (at import time) calls this server too.
        """
        names = names or ("default",)
        current = dict(getattr(settings, "ASYNCX", {}))
        clients = dict(current.get("HTTP_CLIENTS", {}))
        for name in names:
            clients[name] = {**clients.get(name, {}), **self.client_settings(**options)}
        return _ClientsOverride(names, ASYNCX={**current, "HTTP_CLIENTS": clients})


class _ClientsOverride(override_settings):
    """``override_settings`` that also confines the overridden clients to loopback."""

    def __init__(self, names: tuple[str, ...], **settings: Any) -> None:
        super().__init__(**settings)
        self.names = names
        self.confinement: ExitStack | None = None

    def enable(self) -> None:
        super().enable()
        self.confinement = ExitStack()
        for name in self.names:
            self.confinement.enter_context(confine_to_loopback(name))

    def disable(self) -> None:
        if self.confinement is not None:
            self.confinement.close()
            self.confinement = None
        super().disable()
