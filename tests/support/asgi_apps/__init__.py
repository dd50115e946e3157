"""Raw ASGI applications that misbehave on purpose, for the live-server harness tests."""

import asyncio
import os


async def stuck_at_shutdown(scope, receive, send):
    """Serves 200 OK; at lifespan shutdown it never answers, so the server cannot exit."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await asyncio.sleep(3600)
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})


raise_at_import = os.environ.get("ASGI_APPS_FAIL_IMPORT")
if raise_at_import:
    raise RuntimeError(raise_at_import)
