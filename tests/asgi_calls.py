"""Call an ASGI application in-process, the way a server would (http scope only)."""

from __future__ import annotations

import asyncio
from typing import Any


async def asgi_get(app: Any, path: str, query: str = "") -> tuple[int, bytes]:
    """Send one GET through ``app``; return the status and the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent_request = False
    disconnected = asyncio.Event()
    status = 0
    body = b""

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"")

    try:
        await app(scope, receive, send)
    finally:
        disconnected.set()
    return status, body
