"""A raw ASGI application for the realtime benchmark's reference figure: no Django, no Channels.

It accepts every WebSocket and holds it until the client goes away, and answers HTTP with 200
(the readiness check): what the server alone costs per idle connection.
"""

from __future__ import annotations

from typing import Any

__all__ = ["application"]


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept WebSockets and hold them; answer HTTP with ``ok``."""
    if scope["type"] == "websocket":
        while (kind := (await receive())["type"]) != "websocket.disconnect":
            if kind == "websocket.connect":
                await send({"type": "websocket.accept"})
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    elif scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
