"""The example's chat served live: a migrated database, a user, and clients for both sides.

:class:`ChatProject` prepares the example project in a temporary directory's SQLite database
(or the ``database_url`` given) and starts it under a real server with
:func:`~django_asyncx.testing.servers.LiveServer`; :func:`login` gets a session cookie through
the admin's login form, as a browser would, and :func:`join` opens a room over a real
WebSocket (the ``websockets`` client).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import websockets

from django_asyncx.testing.servers import LiveServer

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "example_project"
PASSWORD = "chat-test-password"


class ChatProject:
    def __init__(self, database_url: str, *, redis_url: str | None = None) -> None:
        self.env = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url or "",
            "DJANGO_DEBUG": "0",
        }

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=EXAMPLE,
            env={**os.environ, **self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def prepare(self, *users: str) -> None:
        self.manage("migrate", "--no-input", "-v0")
        for user in users:
            self.manage("createsuperuser", "--no-input", "--username", user,
                        "--email", f"{user}@example.com",
                        DJANGO_SUPERUSER_PASSWORD=PASSWORD)  # fmt: skip

    def server(self, server: str, app: str = "application", **options: Any) -> LiveServer:
        return LiveServer(f"config.asgi:{app}", server=server, cwd=EXAMPLE, env=self.env,
                          ready_path="/chat/", **options)  # fmt: skip


async def login(base_url: str, username: str) -> str:
    """The ``Cookie`` header of a session logged in as ``username`` on the server."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{base_url}/admin/login/") as response:
            page = await response.text()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page
        form = {"username": username, "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1), "next": "/chat/"}  # fmt: skip
        async with session.post(f"{base_url}/admin/login/", data=form) as response:
            assert response.status == 200, await response.text()
        cookies = {cookie.key: cookie.value for cookie in session.cookie_jar}
    assert "sessionid" in cookies, f"login as {username} failed"
    return "; ".join(f"{key}={value}" for key, value in cookies.items())


def join(base_url: str, room: str, *, cookie: str | None = None,
         origin: str | None = None) -> Any:  # fmt: skip
    """Connect to ``room`` (an async context manager yielding the websocket)."""
    headers = {"Cookie": cookie} if cookie else {}
    ws_url = base_url.replace("http://", "ws://") + f"/ws/chat/{room}/"
    return websockets.connect(ws_url, additional_headers=headers, open_timeout=10,
                              origin=origin or base_url)  # fmt: skip


async def receive(ws: Any) -> dict[str, Any]:
    """The next JSON event on ``ws``."""
    return json.loads(await ws.recv())  # type: ignore[no-any-return]
