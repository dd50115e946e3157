"""One view that uses the per-loop resource."""

import os

from django.http import HttpRequest, JsonResponse
from django.urls import path

from .hooks import record, tracker


async def ping(request: HttpRequest) -> JsonResponse:
    resource = await tracker.aget()
    resource.uses += 1
    record("request")
    return JsonResponse({"uses": resource.uses, "pid": os.getpid()})


urlpatterns = [path("ping/", ping)]
