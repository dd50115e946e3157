"""Lazy lifespan (servers that send no lifespan events): shutdown hooks still see resources.

Under daphne the shutdown hooks run from the loop's resource keeper when the loop (or the
Twisted reactor) ends; they must run while this loop's per-loop resources are still open,
as they do under a lifespan-speaking server.
"""

import asyncio

import pytest

from django_asyncx import lifespan, loops
from django_asyncx.asgi import AsyncxApplication
from django_asyncx.lifespan import LoopResource, aclose_loop_resources, on_shutdown, on_startup


@pytest.fixture(autouse=True)
def no_hooks(monkeypatch):
    monkeypatch.setattr(lifespan, "_steps", [])


def make_resource(events):
    return LoopResource(
        "lazy.session",
        create=lambda: events.append("create") or {"open": True},
        close=lambda value: events.append("close"),
    )


def test_shutdown_hook_sees_this_loops_resource_when_the_loop_ends():
    events = []
    session = make_resource(events)

    @on_startup
    async def start():
        events.append("start")

    @on_shutdown
    async def stop():
        value = session.peek()
        events.append(f"stop sees {value}")
        events.append(f"stop gets the same value: {await session.aget() is value}")

    app = AsyncxApplication(http=None)

    async def first_request():
        await app.lifespan.ensure_started()
        await session.aget()

    asyncio.run(first_request())
    assert events == [
        "start",
        "create",
        "stop sees {'open': True}",
        "stop gets the same value: True",
        "close",
    ]
    assert loops._states == {}


def test_resource_first_used_by_a_shutdown_hook_is_closed_too():
    events = []
    session = make_resource(events)

    @on_shutdown
    async def stop():
        await session.aget()
        events.append("stop")

    app = AsyncxApplication(http=None)
    asyncio.run(app.lifespan.ensure_started())
    assert events == ["create", "stop", "close"]
    assert loops._states == {}


def test_closing_resources_explicitly_runs_the_lazy_shutdown_once():
    # The Twisted reactor's shutdown trigger calls aclose_loop_resources() (daphne).
    events = []
    session = make_resource(events)
    on_shutdown(lambda: events.append("stop"))
    app = AsyncxApplication(http=None)

    async def serve_then_stop():
        await app.lifespan.ensure_started()
        await session.aget()
        await aclose_loop_resources()
        await aclose_loop_resources()  # a second call finds nothing left to close

    asyncio.run(serve_then_stop())
    assert events == ["create", "stop", "close"]
    assert loops._states == {}
