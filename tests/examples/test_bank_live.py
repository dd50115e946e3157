"""500 concurrent requests to the example's DB view over a live uvicorn server on loopback:
the server holds at most the pool size of connections, reuses them (CONN_MAX_AGE=60), and
none remain after its lifespan shutdown. Counted in pg_stat_activity / PROCESSLIST.

Twice: uvicorn in a thread of this process (the process lives on, so the connections closed
after shutdown were closed by the lifespan shutdown itself), and uvicorn in a subprocess
through the testing harness (``django_asyncx.testing.servers.LiveServer``).
"""

import asyncio
import json
import signal
import threading
import time
from pathlib import Path

import aiohttp
import pytest
import uvicorn
from bank.models import Account
from django.db import connections

from django_asyncx.asgi import get_asgi_application
from django_asyncx.executors import executor_stats, shutdown_executors
from django_asyncx.testing.servers import LiveServer as ProcessServer
from tests.examples.test_bank import BankRouter
from tests.support.db_aliases import (
    on_databases,
    server_connections,
    settled_connections,
    stable_connections,
)

pytestmark = pytest.mark.servers


ROOT = Path(__file__).resolve().parent.parent.parent


def seed(alias: str | None = None) -> None:
    Account.objects.using(alias).create(owner="ann", balance=50_000)
    Account.objects.using(alias).create(owner="bob", balance=900)
    connections.close_all()  # this worker thread's own


class LiveServer:
    """uvicorn serving ``app`` in a thread of this process, on a free loopback port."""

    def __init__(self, app) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            lifespan="on",
            loop="asyncio",
            log_level="warning",
            access_log=False,
            backlog=1024,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="live-uvicorn")

    def start(self) -> int:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self.server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@on_databases("postgres", "mariadb")
async def test_500_concurrent_requests_over_uvicorn(alias, settings):
    BankRouter.alias = alias
    settings.DATABASE_ROUTERS = ["tests.examples.test_bank.BankRouter"]
    settings.ASYNCX = {"EXECUTORS": {"db": {"max_workers": 8, "queue_warn_ms": None}}}
    entry = connections.settings[alias]
    saved_age, entry["CONN_MAX_AGE"] = entry["CONN_MAX_AGE"], 60
    shutdown_executors()
    server = LiveServer(get_asgi_application())
    try:
        await asyncio.to_thread(seed)
        baseline = await asyncio.to_thread(stable_connections, alias)
        port = await asyncio.to_thread(server.start)
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                count = await asyncio.to_thread(server_connections, alias)
                peak = max(peak, count - baseline)

        url = f"http://127.0.0.1:{port}/bank/summary/"
        connector = aiohttp.TCPConnector(limit=0)  # 500 sockets at once
        async with aiohttp.ClientSession(connector=connector) as client:

            async def get() -> int:
                async with client.get(url) as response:
                    await response.read()
                    return response.status

            watcher = asyncio.create_task(watch())
            try:
                statuses = await asyncio.gather(*(get() for _ in range(500)))
            finally:
                watcher.cancel()
        held = await asyncio.to_thread(server_connections, alias) - baseline
        assert statuses == [200] * 500
        assert peak <= 8
        assert 1 <= held <= 8  # kept by the pool threads for reuse, not one per request
        assert executor_stats()["db"].completed == 500 * 4  # four bridge calls per request
    finally:
        await asyncio.to_thread(server.stop)
        entry["CONN_MAX_AGE"] = saved_age
    assert not server.thread.is_alive()
    # Lifespan shutdown stopped the pool threads, which closed their connections.
    assert await asyncio.to_thread(settled_connections, alias, baseline) == baseline


async def hammer(url: str, count: int) -> list[int]:
    """``count`` concurrent GETs of ``url``, each on its own connection; their statuses."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def get() -> int:
            async with client.get(url) as response:
                await response.read()
                return response.status

        return await asyncio.gather(*(get() for _ in range(count)))


@on_databases("postgres", "mariadb")
async def test_500_concurrent_requests_over_uvicorn_in_a_subprocess(alias):
    await asyncio.to_thread(seed, alias)
    baseline = await asyncio.to_thread(stable_connections, alias)
    entry = {k: v for k, v in connections[alias].settings_dict.items() if k != "TEST"}
    server = ProcessServer(
        "django_asyncx.asgi:get_asgi_application",
        cwd=ROOT,
        env={
            "DJANGO_SETTINGS_MODULE": "tests.support.bank_live_settings",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'example_project'}",
            "ASYNCX_BANK_DATABASE": json.dumps(entry, default=str),
        },
        args=["--factory", "--no-access-log", "--log-level", "warning"],
        ready_path="/summary/",
    )
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, await asyncio.to_thread(server_connections, alias) - baseline)

    await asyncio.to_thread(server.start)
    try:
        watcher = asyncio.create_task(watch())
        try:
            statuses = await hammer(f"{server.url}/summary/", 500)
        finally:
            watcher.cancel()
        held = await asyncio.to_thread(server_connections, alias) - baseline
    finally:
        returncode = await asyncio.to_thread(server.stop)
    assert statuses == [200] * 500
    assert peak <= 8
    assert 1 <= held <= 8
    # A graceful stop (uvicorn re-raises the SIGTERM it handled), not a kill.
    assert returncode in (0, -signal.SIGTERM), server.output
    assert not server.killed
    assert "Traceback" not in server.output
    assert await asyncio.to_thread(settled_connections, alias, baseline) == baseline
