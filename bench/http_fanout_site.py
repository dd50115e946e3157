"""Django settings, URLs and views for the P4 benchmark (``bench/http_fanout.py``).

One module is the settings (``DJANGO_SETTINGS_MODULE=bench.http_fanout_site``) and the URLconf.
``UPSTREAM_URL`` names the upstream server the views call. DEBUG is off, the only middleware
is ``HttpClientMiddleware``, no database is used.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from django_asyncx.concurrency import gather

UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:8001")

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
DATABASES: dict[str, Any] = {}
USE_TZ = True
MIDDLEWARE = ["django_asyncx.middleware.HttpClientMiddleware"]
ASYNCX = {
    "HTTP_CLIENTS": {
        # 256 connections x 3 calls: let the pool open what the load needs.
        "default": {"base_url": UPSTREAM_URL, "allow_private": True, "limit": 2000},
    },
}

_local = threading.local()


def _requests_session() -> Any:
    import requests

    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def sync_sequential(request: HttpRequest) -> HttpResponse:
    """The sync baseline: three calls one after another with a kept-alive requests.Session."""
    session = _requests_session()
    path_ = request.GET.get("path", "/delay")
    bodies = [session.get(UPSTREAM_URL + path_, timeout=30).json() for _ in range(3)]
    return JsonResponse({"n": len(bodies)})


async def async_gather(request: HttpRequest) -> HttpResponse:
    """request.http and gather: the three calls at once, on the shared per-loop session."""
    http = request.http  # type: ignore[attr-defined]
    path_ = request.GET.get("path", "/delay")
    responses = await gather(http.get(path_), http.get(path_), http.get(path_))
    return JsonResponse({"n": len(responses)})


async def aiohttp_per_request(request: HttpRequest) -> HttpResponse:
    """The anti-pattern: a new aiohttp ClientSession (new connections) for each request."""
    import aiohttp

    url = UPSTREAM_URL + request.GET.get("path", "/fast")
    async with aiohttp.ClientSession() as session:

        async def one() -> Any:
            async with session.get(url) as response:
                return await response.json()

        bodies = await asyncio.gather(one(), one(), one())
    return JsonResponse({"n": len(bodies)})


async def httpx_per_request(request: HttpRequest) -> HttpResponse:
    """A new httpx.AsyncClient for each request, as often seen in tutorials."""
    import httpx

    url = UPSTREAM_URL + request.GET.get("path", "/fast")
    async with httpx.AsyncClient() as client:
        responses = await asyncio.gather(client.get(url), client.get(url), client.get(url))
    return JsonResponse({"n": len([r.json() for r in responses])})


urlpatterns = [
    path("sync-sequential", sync_sequential),
    path("async-gather", async_gather),
    path("aiohttp-per-request", aiohttp_per_request),
    path("httpx-per-request", httpx_per_request),
]
