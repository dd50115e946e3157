"""A health view for load balancers and people: the figures as JSON, 503 when unhealthy.

In the project's URLconf::

    path("health/", include("django_asyncx.observability.urls")),

``GET /health/`` answers 200 with ``{"status": "ok", ...}``, or 503 with ``"status":
"unhealthy"`` and the reasons in ``"problems"``, when:

* an event loop is blocked now, or a block ended less than ``block_window`` seconds ago
  (30 by default; the loop watchdog must be on: ``ASYNCX["LOOP_BLOCK_WARN_MS"]``);
* a thread pool is exhausted: all its threads are busy and at least one call waits;
* a native engine pool is exhausted: on some loop all its ``native_max_size`` connections
  are in use and at least one caller waits.

The view runs on the event loop: no thread hop, no database query. ``?db=default`` (repeat
it for more aliases) also runs ``SELECT 1`` on those databases, through the DB bridge, and
answers 503 if one fails or takes more than ``db_timeout`` seconds (5 by default).
Keyword arguments of the URL pattern (or of ``include()``) set ``block_window`` and
``db_timeout``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any

from django.db import connections
from django.http import HttpRequest, JsonResponse

from django_asyncx.db import run_in_db

from .metrics import Figures, executor_exhausted, figures

__all__ = ["health", "problems"]


def problems(current: Figures, *, block_window: float = 30.0) -> list[str]:
    """What makes ``current`` unhealthy, one sentence each; empty when healthy."""
    found = []
    loops = current.loops
    if loops.blocked_for is not None:
        found.append(f"an event loop is blocked, for {loops.blocked_for * 1000:.0f} ms so far")
    elif loops.last_block_ago is not None and loops.last_block_ago < block_window:
        found.append(
            f"an event loop was blocked {loops.last_block_ago:.1f} s ago "
            f"(within block_window={block_window:g} s)"
        )
    for name, stats in current.executors.items():
        if executor_exhausted(stats):
            found.append(
                f"executor {name!r} is exhausted: {stats.busy}/{stats.max_workers} threads "
                f"busy, {stats.queued} call(s) waiting"
            )
    for alias, pool in current.native_pools.items():
        if pool.exhausted:
            found.append(
                f"native pool {alias!r} is exhausted: {pool.in_use}/{pool.max} connections in "
                f"use, {pool.waiting} caller(s) waiting"
            )
    return found


def _ping(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


async def _check_databases(aliases: list[str], seconds: float) -> dict[str, str]:
    async def check(alias: str) -> str:
        if alias not in connections.settings:
            return f"unknown alias; configured: {', '.join(connections.settings)}"
        started = time.monotonic()
        try:
            async with asyncio.timeout(seconds):
                await run_in_db(_ping, alias, using=alias)
        except TimeoutError:
            return f"no answer within {seconds:g} s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return f"ok in {(time.monotonic() - started) * 1000:.1f} ms"

    results = await asyncio.gather(*(check(alias) for alias in aliases))
    return dict(zip(aliases, results, strict=True))


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _document(current: Figures) -> dict[str, Any]:
    loops = current.loops
    return {
        "loops": {
            "watched": loops.watched,
            "threshold_ms": _ms(loops.threshold),
            "blocks": loops.blocks,
            "blocked_ms_total": _ms(loops.blocked_time),
            "blocked_ms_now": _ms(loops.blocked_for),
            "last_block_ms_ago": _ms(loops.last_block_ago),
        },
        "executors": {
            name: {**asdict(stats), "exhausted": executor_exhausted(stats)}
            for name, stats in current.executors.items()
        },
        "native_pools": {alias: asdict(pool) for alias, pool in current.native_pools.items()},
        "connections": asdict(current.connections),
    }


async def health(
    request: HttpRequest, *, block_window: float = 30.0, db_timeout: float = 5.0
) -> JsonResponse:
    """The figures as JSON; 503 when :func:`problems` finds any or an asked database fails."""
    current = figures()
    found = problems(current, block_window=block_window)
    document = _document(current)
    aliases = request.GET.getlist("db")
    if aliases:
        databases = document["databases"] = await _check_databases(aliases, db_timeout)
        found += [f"database {a!r}: {r}" for a, r in databases.items() if not r.startswith("ok")]
    body = {"status": "unhealthy" if found else "ok", "problems": found, **document}
    response = JsonResponse(body, status=503 if found else 200)
    response["Cache-Control"] = "no-store"
    return response
