"""A view limited to 5 at a time, held until /release/, and the counters the test reads."""

import asyncio

from django.http import HttpResponse, JsonResponse
from django.urls import path

from django_asyncx.views import limit_concurrency

STATE = {"entered": 0, "release": None}


def _release_event():
    if STATE["release"] is None:
        STATE["release"] = asyncio.Event()
    return STATE["release"]


@limit_concurrency(5)
async def gated(request):
    STATE["entered"] += 1
    await _release_event().wait()
    return HttpResponse("served")


async def entered(request):
    return JsonResponse({"entered": STATE["entered"]})


async def release(request):
    _release_event().set()
    return HttpResponse("released")


urlpatterns = [
    path("gated/", gated),
    path("entered/", entered),
    path("release/", release),
]
