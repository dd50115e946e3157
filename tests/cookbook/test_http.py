"""The HTTP cookbook recipes in docs/cookbook/ run against a real upstream."""

import asyncio
import importlib.util
from pathlib import Path

import pytest
from aiohttp import web
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient, override_settings

from tests.http.test_leaks import client_sockets

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook"


def recipe(name):
    spec = importlib.util.spec_from_file_location(f"cookbook_{name}", COOKBOOK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def served(module):
    return override_settings(
        ROOT_URLCONF=module, MIDDLEWARE=["django_asyncx.middleware.HttpClientMiddleware"]
    )


async def test_fanout_shows_what_arrived_and_degrades_on_what_did_not(asyncx_upstream):
    asyncx_upstream.route("/users/7", json={"name": "Ada"})
    asyncx_upstream.route("/orders", json=[{"id": 1}])
    asyncx_upstream.route("/recommendations", text="late", delay=5)
    with served(recipe("http_fanout")), asyncx_upstream.override_clients("default"):
        response = await AsyncClient().get("/dashboard/7/")
    assert response.status_code == 200
    assert response.json() == {
        "profile": {"name": "Ada"},
        "orders": [{"id": 1}],
        "recommendations": None,
    }
    assert asyncx_upstream.requests[1].query == {"user": "7", "limit": "5"}


async def test_fanout_without_a_profile_is_a_502(asyncx_upstream):
    asyncx_upstream.route("/users/7", status=500)
    asyncx_upstream.route("/orders", json=[])
    asyncx_upstream.route("/recommendations", json=[])
    module = recipe("http_fanout")
    with (
        served(module),
        asyncx_upstream.override_clients("default"),
        override_settings(
            ASYNCX={**_current_asyncx(), "HTTP_MIDDLEWARE": {"error_responses": True}}
        ),
    ):
        response = await AsyncClient().get("/dashboard/7/")
    assert response.status_code == 502


def _current_asyncx():
    from django.conf import settings

    return dict(getattr(settings, "ASYNCX", {}))


async def test_reads_are_retried_and_a_keyed_post_is_retried_with_the_same_key(asyncx_upstream):
    module = recipe("http_retries")
    attempts = []

    async def rates(request):
        attempts.append("rates")
        if len(attempts) == 1:
            return web.Response(status=429, headers={"Retry-After": "0"})
        return web.json_response({"USD": 1.08})

    async def charges(request):
        attempts.append(request.headers["Idempotency-Key"])
        if len(attempts) < 5:
            return web.Response(status=503)
        return web.json_response({"charged": (await request.json())["amount"]})

    asyncx_upstream.route("/v1/rates", rates)
    asyncx_upstream.route("/v1/charges", charges, methods=("POST",))
    with asyncx_upstream.override_clients("payments", base_url=asyncx_upstream.url_for("/v1/")):
        assert await module.exchange_rates() == {"USD": 1.08}
        assert await module.charge(1250, idempotency_key="key-1") == {"charged": 1250}
    assert attempts == ["rates", "rates", "key-1", "key-1", "key-1"]


async def test_streaming_relays_a_large_download_and_releases_the_connection(asyncx_upstream):
    payload = bytes(range(256)) * 16384  # 4 MiB
    asyncx_upstream.route("/files/big.bin", body=payload)
    with served(recipe("http_streaming")), asyncx_upstream.override_clients("exports"):
        response = await AsyncClient().get("/download/big.bin/")
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="big.bin"'
        received = b"".join([chunk async for chunk in response.streaming_content])
        assert received == payload
        # The relay finished: the connection is back in the pool, idle, not held open.
        assert len(client_sockets(asyncx_upstream.port)) == 1
        response = await AsyncClient().get("/download/big.bin/")
        stream = aiter(response.streaming_content)
        await anext(stream)
        await stream.aclose()  # the browser went away after one chunk
        await asyncio.sleep(0)
        assert len(client_sockets(asyncx_upstream.port)) <= 1  # the half-read one was closed


@pytest.mark.django_db  # Channels closes old DB connections around each consumer call
async def test_a_channels_consumer_calls_the_upstream(asyncx_upstream):
    asyncx_upstream.route("/forecast", json={"sky": "clear"})
    module = recipe("http_channels")
    with asyncx_upstream.override_clients("weather"):
        communicator = WebsocketCommunicator(module.WeatherConsumer.as_asgi(), "/ws/weather/")
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_json_to({"city": "Lyon"})
        assert await communicator.receive_json_from(timeout=10) == {
            "city": "Lyon",
            "forecast": {"sky": "clear"},
        }
        await communicator.disconnect()
    assert asyncx_upstream.requests[0].query == {"city": "Lyon"}
