"""The metrics under a real OpenTelemetry SDK (an in-memory reader) after real work: bridge
calls, native queries, upstream calls, event streams and a blocked loop.
"""

import asyncio
import contextlib

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import get_asgi_application
from django_asyncx.concurrency import gather
from django_asyncx.db import atomic, run_in_db
from django_asyncx.exceptions import UpstreamConnectionError, UpstreamStatusError
from django_asyncx.executors import executor_stats
from django_asyncx.http import get_client
from django_asyncx.observability import metrics
from django_asyncx.sse import EventStream
from django_asyncx.testing.client import arequest
from django_asyncx.testing.servers import free_port
from tests.observability.conftest import until
from tests.support.asgi_calls import asgi_get
from tests.support.nativeapp.models import Tag
from tests.support.otel import points, value

DB = "native"


def count_users() -> int:
    return User.objects.count()


def count_tags() -> int:
    return Tag.objects.using(DB).count()


@pytest.mark.django_db(transaction=True)
async def test_bridge_calls_are_counted_with_the_db_pool_threads(reader):
    before = executor_stats().get("db")
    await gather(*(run_in_db(count_users) for _ in range(6)))
    stats = executor_stats()["db"]
    pool = {"asyncx.executor.name": "db"}
    assert stats.completed == (before.completed if before else 0) + 6
    assert value(reader, "asyncx.executor.calls", pool) == stats.completed
    assert value(reader, "asyncx.executor.threads.max", pool) == stats.max_workers
    busy, idle = (
        value(reader, "asyncx.executor.threads", {**pool, "asyncx.executor.thread.state": state})
        for state in ("busy", "idle")
    )
    assert (busy, idle) == (0, stats.threads)
    assert value(reader, "asyncx.executor.queue.size", pool) == 0
    assert value(reader, "asyncx.executor.queue.wait_time", pool) == stats.queue_wait_total


@contextlib.asynccontextmanager
async def holding_the_connection():
    """Another task holds a native connection in an atomic block while the body runs."""
    held, release = asyncio.Event(), asyncio.Event()

    async def hold():
        async with atomic(using=DB):
            await run_in_db(count_tags, using=DB)
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await held.wait()
    try:
        yield
    finally:
        release.set()
        await holder


@pytest.mark.django_db(transaction=True, databases=[DB])
async def test_native_connections_used_idle_and_waiting(reader, native_pool_size):
    native_pool_size(1)
    pool = {"db.client.connection.pool.name": DB}
    used = {**pool, "db.client.connection.state": "used"}
    idle = {**pool, "db.client.connection.state": "idle"}
    assert await gather(*(run_in_db(count_tags, using=DB) for _ in range(4))) == [0] * 4
    assert value(reader, "db.client.connection.max", pool) == 1
    assert (value(reader, "db.client.connection.count", used),
            value(reader, "db.client.connection.count", idle)) == (0, 1)  # fmt: skip

    async with holding_the_connection():
        waiting = asyncio.create_task(run_in_db(count_tags, using=DB))
        await until(lambda: metrics.figures().native_pools[DB].waiting == 1)
        assert value(reader, "db.client.connection.pending_requests", pool) == 1
        assert value(reader, "db.client.connection.count", used) == 1
    assert await waiting == 0
    assert value(reader, "db.client.connection.pending_requests", pool) == 0
    assert value(reader, "db.client.connection.count", idle) == 1


def durations(reader):
    return {
        (p["attributes"]["http.response.status_code"] if "http.response.status_code"
         in p["attributes"] else p["attributes"]["error.type"]): p["count"]
        for p in points(reader, "asyncx.http.client.call.duration")
    }  # fmt: skip


async def test_upstream_calls_and_retries_per_client(reader, asyncx_upstream):
    asyncx_upstream.route("/ok", json={"ok": True})
    asyncx_upstream.route("/busy", status=503, headers={"Retry-After": "0"})
    retries = {"max_retries": 2, "backoff": 0.001}
    with asyncx_upstream.override_clients("default", "api", retries=retries):
        for _ in range(3):
            await get_client("api").get("/ok")
        with pytest.raises(UpstreamStatusError):
            await get_client("api").get("/busy")
        with pytest.raises(UpstreamConnectionError):
            await get_client("default").get(f"http://127.0.0.1:{free_port()}/", retries=0)
    assert asyncx_upstream.request_count == 3 + 3
    assert durations(reader) == {200: 3, 503: 1, "UpstreamConnectionError": 1}
    [ok] = [p for p in points(reader, "asyncx.http.client.call.duration")
            if p["attributes"].get("http.response.status_code") == 200]  # fmt: skip
    assert ok["attributes"] == {
        "asyncx.http.client.name": "api", "http.request.method": "GET",
        "server.address": "127.0.0.1", "server.port": asyncx_upstream.port,
        "http.response.status_code": 200,
    }  # fmt: skip
    [retried] = points(reader, "asyncx.http.client.retries")
    assert retried["value"] == 2
    assert retried["attributes"]["error.type"] == "503"
    assert retried["attributes"]["asyncx.http.client.name"] == "api"


async def endless_stream(request):
    async def events():
        yield "one"
        await asyncio.Event().wait()

    return EventStream(events())


urlpatterns = [path("stream/", endless_stream)]


@override_settings(ROOT_URLCONF=__name__)
async def test_event_streams_are_open_until_the_client_hangs_up(reader):
    app = get_asgi_application()
    hang_up = asyncio.Event()
    clients = [asyncio.create_task(arequest(app, "GET", "/stream/", disconnect=hang_up))
               for _ in range(2)]  # fmt: skip
    await until(lambda: metrics.figures().connections.sse == 2)
    assert value(reader, "asyncx.sse.connections") == 2
    hang_up.set()
    for client in clients:
        assert b"data: one" in (await client).body
    assert value(reader, "asyncx.sse.connections") == 0


@pytest.mark.django_db(transaction=True)
@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": 50})
async def test_a_blocked_loop_is_counted_with_its_duration(reader):
    app = get_asgi_application()
    assert await asgi_get(app, "/testapp/block/") == (200, b"slept")
    await until(lambda: metrics.figures().loops.blocked_for is None)
    loops = metrics.figures().loops
    assert loops.blocks >= 1
    assert value(reader, "asyncx.loop.blocks") == loops.blocks
    assert value(reader, "asyncx.loop.block.time") == loops.blocked_time > 0
    assert value(reader, "asyncx.loop.blocked") == 0
