"""The health view: 200 with the figures, 503 when the loop was blocked (for real, with the
watchdog on) or a thread pool or a native pool is exhausted (for real); no thread hop, and
a database query only when asked.
"""

import asyncio
import json
import threading

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import include, path

from django_asyncx.asgi import get_asgi_application
from django_asyncx.db import run_in_db
from django_asyncx.db.queries import acapture_queries
from django_asyncx.executors import run_in_executor
from django_asyncx.hops import count_hops
from django_asyncx.middleware import async_native
from django_asyncx.observability import metrics
from django_asyncx.testing.client import arequest
from tests.observability.conftest import until
from tests.observability.test_metrics import DB, count_tags, holding_the_connection
from tests.support.testapp.views import block_the_loop

urlpatterns = [
    path("health/", include("django_asyncx.observability.urls")),
    path("health-now/", include("django_asyncx.observability.urls"), {"block_window": 0}),
    path("block/", block_the_loop),
]

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", DB]),
    pytest.mark.urls(__name__),
]


async def health(app, path="/health/"):
    result = await arequest(app, "GET", path)
    return result.status, json.loads(result.body)


async def test_healthy_is_200_with_the_figures_on_the_loop_without_a_query():
    with override_settings(MIDDLEWARE=async_native(settings.MIDDLEWARE)):
        await served_without_hop_or_query()


async def served_without_hop_or_query():
    app = get_asgi_application()
    await run_in_db(lambda: None)  # the db pool exists
    await health(app)  # the first request sets the handler up
    async with acapture_queries() as queries:
        with count_hops() as hops:
            status, body = await health(app)
    assert (status, body["status"], body["problems"]) == (200, "ok", [])
    assert (hops.by_owner(), len(queries)) == ({}, 0)
    assert body["executors"]["db"]["exhausted"] is False
    assert body["executors"]["db"]["max_workers"] >= 1
    assert body["connections"] == {"sse": 0, "websocket": 0}
    assert "databases" not in body


async def test_a_database_is_queried_only_when_asked():
    app = get_asgi_application()
    async with acapture_queries() as default, acapture_queries(DB) as native:
        status, body = await health(app, f"/health/?db=default&db={DB}&db=nowhere")
    assert status == 503
    assert body["databases"]["default"].startswith("ok in ")
    assert body["databases"][DB].startswith("ok in ")
    assert body["databases"]["nowhere"].startswith("unknown alias; configured: default")
    assert body["problems"] == [f"database 'nowhere': {body['databases']['nowhere']}"]
    assert [q["sql"] for q in [*default, *native]] == ["SELECT 1", "SELECT 1"]


@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": 50})
async def test_a_blocked_loop_fails_the_check_within_the_window():
    app = get_asgi_application()
    assert (await arequest(app, "GET", "/block/")).body == b"slept"
    await until(lambda: metrics.figures().loops.blocked_for is None)
    status, body = await health(app)
    assert status == 503
    [problem] = body["problems"]
    assert problem.startswith("an event loop was blocked ")
    assert problem.endswith(" s ago (within block_window=30 s)")
    assert body["loops"]["watched"] == 1
    assert body["loops"]["blocks"] >= 1
    assert body["loops"]["threshold_ms"] == 50
    status, body = await health(app, "/health-now/")  # block_window=0: the block is past
    assert (status, body["problems"]) == (200, [])


def queued(executor):
    stats = metrics.figures().executors.get(executor)
    return stats.queued if stats else 0


@override_settings(ASYNCX={"EXECUTORS": {"health": {"max_workers": 1}}})
async def test_an_exhausted_executor_fails_the_check():
    app = get_asgi_application()
    release = threading.Event()
    calls = [asyncio.create_task(run_in_executor(release.wait, executor="health"))
             for _ in range(2)]  # fmt: skip
    try:
        await until(lambda: queued("health") == 1)
        status, body = await health(app)
    finally:
        release.set()
        await asyncio.gather(*calls)
    assert status == 503
    assert body["problems"] == [
        "executor 'health' is exhausted: 1/1 threads busy, 1 call(s) waiting"
    ]
    assert body["executors"]["health"]["exhausted"] is True
    status, body = await health(app)
    assert (status, body["executors"]["health"]["exhausted"]) == (200, False)


async def test_an_exhausted_native_pool_fails_the_check(native_pool_size):
    native_pool_size(1)
    app = get_asgi_application()
    async with holding_the_connection():
        status, body = await health(app)
        assert (status, body["native_pools"][DB]["in_use"]) == (200, 1)  # busy, nobody waits
        waiting = asyncio.create_task(run_in_db(count_tags, using=DB))
        await until(lambda: metrics.figures().native_pools[DB].waiting == 1)
        status, body = await health(app)
        assert status == 503
        assert body["problems"] == [
            f"native pool '{DB}' is exhausted: 1/1 connections in use, 1 caller(s) waiting"
        ]
        assert body["native_pools"][DB] == {
            "alias": DB, "max": 1, "size": 1, "in_use": 1, "idle": 0, "waiting": 1,
            "exhausted": True,
        }  # fmt: skip
    assert await waiting == 0
    status, body = await health(app)
    assert (status, body["native_pools"][DB]["exhausted"]) == (200, False)
