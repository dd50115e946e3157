"""The example project's aggregator page, against the example's own upstream service."""

import asyncio

import pytest
from aiohttp import web
from django.test import AsyncClient, override_settings
from upstream_service import UpstreamService

MIDDLEWARE = ["django_asyncx.middleware.HttpClientMiddleware"]


@pytest.fixture
def service(asyncx_upstream):
    service = UpstreamService(failure_rate=0.3, seed=3)
    for name in ("weather", "headlines", "stocks"):
        asyncx_upstream.route(f"/{name}", getattr(service, name))
    options = {"timeout": {"total": 2, "read": 1}, "retries": {"max_retries": 2, "backoff": 0.01}}
    with (
        override_settings(MIDDLEWARE=MIDDLEWARE, DEBUG=True),
        asyncx_upstream.override_clients("upstream", **options),
    ):
        yield service


async def test_the_page_shows_every_panel_and_a_failing_one_as_unavailable(
    asyncx_upstream, service
):
    service.failure_rate = 0.0  # headlines answer
    asyncx_upstream.route("/stocks", status=500, json={"error": "database on fire"})
    response = await AsyncClient().get("/aggregator/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="weather"' in html
    assert "clear" in html
    assert "Async Django ships" in html
    assert "Unavailable: UpstreamStatusError (500)" in html
    assert response["Server-Timing"].count("upstream-") == 3


async def test_flaky_headlines_are_retried_and_the_calls_run_concurrently(asyncx_upstream, service):
    service.failure_rate = 0.5
    response = await AsyncClient().get("/aggregator/?format=json")
    body = response.json()
    assert set(body["panels"]) == {"weather", "headlines", "stocks"}
    assert body["panels"]["weather"]["data"]["sky"] == "clear"
    headline_calls = sum(r.path == "/headlines" for r in asyncx_upstream.requests)
    assert headline_calls >= 1
    if body["panels"]["headlines"]["error"] is None:
        assert body["panels"]["headlines"]["data"]["headlines"]


async def test_the_three_calls_are_in_flight_at_once(asyncx_upstream, service):
    arrived = set()
    others_in = asyncio.Event()  # used on the upstream's loop only

    def waiting_for_the_others(name, handler):
        async def wrapped(request):
            arrived.add(name)
            if {"weather", "headlines", "stocks"} <= arrived:
                others_in.set()
            await others_in.wait()  # sequential calls would never get past this
            return await handler(request)

        return wrapped

    async def stocks(request):
        return web.json_response({"DJAX": 1})

    service.failure_rate = 0.0
    handlers = {"weather": service.weather, "headlines": service.headlines, "stocks": stocks}
    for name, handler in handlers.items():
        asyncx_upstream.route(f"/{name}", waiting_for_the_others(name, handler))
    body = (await AsyncClient().get("/aggregator/?format=json")).json()
    assert {name: panel["error"] for name, panel in body["panels"].items()} == {
        "weather": None,
        "headlines": None,
        "stocks": None,
    }
    assert asyncx_upstream.request_count == 3


async def test_a_slow_stocks_service_times_out_its_panel_only(asyncx_upstream, service):
    asyncx_upstream.route("/stocks", json={"DJAX": 1}, delay=5)
    body = (await AsyncClient().get("/aggregator/?format=json")).json()
    assert body["panels"]["stocks"]["error"] == "UpstreamTimeout"
    assert body["panels"]["weather"]["error"] is None
