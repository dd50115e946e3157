"""One page, three upstream services, called at once.

The weather service is slow, the headlines flaky, the stocks mostly broken. The three calls
run concurrently, so the page takes about as long as the slowest answer; a failing service
costs its panel, not the page. ``?format=json`` returns the same data as JSON.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from django_asyncx.concurrency import gather
from django_asyncx.exceptions import UpstreamError
from django_asyncx.http import get_client

PANELS = {
    "weather": "/weather",
    "headlines": "/headlines",
    "stocks": "/stocks",
}


@dataclass
class Panel:
    name: str
    data: Any = None
    error: str | None = None
    ms: float = 0.0


async def fetch(name: str, path: str) -> Panel:
    loop = asyncio.get_running_loop()
    started = loop.time()
    panel = Panel(name)
    try:
        panel.data = (await get_client("upstream").get(path)).json()
    except UpstreamError as exc:
        panel.error = type(exc).__name__
        status = getattr(exc, "status", None)
        if status is not None:
            panel.error += f" ({status})"
    panel.ms = round((loop.time() - started) * 1000, 1)
    return panel


async def index(request: HttpRequest) -> HttpResponse:
    loop = asyncio.get_running_loop()
    started = loop.time()
    panels = await gather(*(fetch(name, path) for name, path in PANELS.items()))
    total_ms = round((loop.time() - started) * 1000, 1)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "total_ms": total_ms,
                "panels": {p.name: {"data": p.data, "error": p.error, "ms": p.ms} for p in panels},
            }
        )
    return render(request, "aggregator/index.html", {"panels": panels, "total_ms": total_ms})
