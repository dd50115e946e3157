"""The health view, an endless event stream, a view that blocks the loop, the metrics read."""

import asyncio
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from django_asyncx.sse import EventStream
from tests.support.otel import points


async def forever(request: HttpRequest) -> EventStream:
    """One event, then heartbeats until the client goes away."""

    async def events():
        yield "hello"
        await asyncio.Event().wait()

    return EventStream(events(), heartbeat=0.05)


async def block(request: HttpRequest) -> HttpResponse:
    """Block the event loop with a sync sleep: what the watchdog is there to catch."""
    time.sleep(float(request.GET.get("ms", "200")) / 1000)  # noqa: ASYNC251
    return HttpResponse("slept")


async def otel(request: HttpRequest) -> JsonResponse:
    """The points of the metric named ``?name=``, collected now from this process's SDK."""
    from tests.support.observability_site.asgi import reader

    return JsonResponse({"points": points(reader, request.GET["name"])})


urlpatterns = [
    path("health/", include("django_asyncx.observability.urls")),
    path("health-now/", include("django_asyncx.observability.urls"), {"block_window": 0}),
    path("forever/", forever),
    path("block/", block),
    path("otel/", otel),
]
