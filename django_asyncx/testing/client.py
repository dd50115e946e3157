"""An in-process test client: :func:`arequest` sends one HTTP request to an ASGI application.

::

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from django_asyncx.types import ASGIApplication, Message, Scope

__all__ = ["AsgiResult", "arequest"]


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
