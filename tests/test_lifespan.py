"""Lifespan hooks (order, failures, settings entries) and per-loop resources."""

import asyncio
import logging
import sys

import pytest
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings

from django_asyncx import lifespan, loops
from django_asyncx.asgi import AsyncxApplication
from django_asyncx.exceptions import LifespanError
from django_asyncx.lifespan import LoopResource, on_shutdown, on_startup
from tests.support import lifespan_hooks


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Each test starts with no registered hooks and an empty event log."""
    monkeypatch.setattr(lifespan, "_steps", [])
    monkeypatch.delitem(sys.modules, "tests.support.lifespan_hooks", raising=False)
    lifespan_hooks.EVENTS.clear()
    return lifespan_hooks.EVENTS


def recorder(events, name, *, fail=False):
    async def hook():
        events.append(name)
        if fail:
            raise RuntimeError(f"{name} exploded")

    hook.__qualname__ = name
    return hook


def resource(events, name):
    return LoopResource(
        name,
        create=lambda: events.append(f"create {name}") or name,
        close=lambda value: events.append(f"close {value}"),
    )


async def run_lifespan(app, *, state=None):
    """Drive a full lifespan over the ASGI protocol; return the two replies."""
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    if state is not None:
        scope["state"] = state
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "lifespan.startup"})
    started = await communicator.receive_output(5)
    if started["type"] != "lifespan.startup.complete":
        await communicator.wait(5)
        return started, None
    await app_work(app)
    await communicator.send_input({"type": "lifespan.shutdown"})
    stopped = await communicator.receive_output(5)
    await communicator.wait(5)
    return started, stopped


async def app_work(app):
    """What requests do between startup and shutdown: create a per-loop resource."""
    for res in getattr(app, "resources", ()):
        await res.aget()


def make_app(*resources):
    app = AsyncxApplication(http=None)  # lifespan never touches http
    app.resources = resources
    return app


async def test_startup_in_registration_order_shutdown_in_reverse_then_resources(fresh_registry):
    events = fresh_registry
    on_startup(recorder(events, "start 1"))
    on_shutdown(recorder(events, "stop 1"))
    on_startup(recorder(events, "start 2"))
    on_shutdown(recorder(events, "stop 2"))
    app = make_app(resource(events, "pool"), resource(events, "session"))

    started, stopped = await run_lifespan(app)

    assert started == {"type": "lifespan.startup.complete"}
    assert stopped == {"type": "lifespan.shutdown.complete"}
    assert events == [
        "start 1",
        "start 2",
        "create pool",
        "create session",
        "stop 2",
        "stop 1",
        "close session",
        "close pool",
    ]


async def test_failing_startup_hook_reports_its_name_and_unwinds(fresh_registry):
    events = fresh_registry
    res = resource(events, "pool")

    async def make_resource():
        await res.aget()

    on_startup(make_resource)
    on_shutdown(recorder(events, "stop before failure"))
    on_startup(recorder(events, "broken", fail=True))
    on_shutdown(recorder(events, "stop after failure"))

    started, _ = await run_lifespan(make_app())

    assert started["type"] == "lifespan.startup.failed"
    assert "broken" in started["message"]
    assert "RuntimeError: broken exploded" in started["message"]
    # What was started is undone; what comes after the failure never ran.
    assert events == ["create pool", "broken", "stop before failure", "close pool"]
    assert res.peek() is None


async def test_every_shutdown_hook_runs_and_failures_are_reported(fresh_registry, caplog):
    events = fresh_registry
    on_shutdown(recorder(events, "first registered"))
    on_shutdown(recorder(events, "fails", fail=True))
    on_shutdown(recorder(events, "last registered"))

    with caplog.at_level(logging.ERROR, "django_asyncx.lifespan"):
        started, stopped = await run_lifespan(make_app())

    assert started["type"] == "lifespan.startup.complete"
    assert stopped["type"] == "lifespan.shutdown.failed"
    assert "fails failed: RuntimeError: fails exploded" in stopped["message"]
    assert events == ["last registered", "fails", "first registered"]
    assert "fails exploded" in caplog.text


async def test_settings_entries_module_function_and_context(fresh_registry):
    state = {}
    with override_settings(
        ASYNCX={
            "LIFESPAN": [
                "tests.support.lifespan_hooks",
                "tests.support.lifespan_hooks.plain_hook",
                "tests.support.lifespan_hooks.context",
            ]
        }
    ):
        started, stopped = await run_lifespan(make_app(), state=state)

    assert (started["type"], stopped["type"]) == (
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    )
    events = sys.modules["tests.support.lifespan_hooks"].EVENTS
    assert events == [
        "module startup",
        "plain hook",
        "context enter",
        "context exit",
        "module shutdown",
    ]
    assert state == {"greeting": "hello"}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "tests.support.lifespan_hooks.NOT_CALLABLE",
            "is a int; accepted: a module, a hook function",
        ),
        ("tests.no_such_module", "cannot be imported"),
    ],
)
async def test_bad_settings_entry_fails_startup_naming_the_entry(entry, expected):
    with override_settings(ASYNCX={"LIFESPAN": [entry]}):
        started, _ = await run_lifespan(make_app())
    assert started["type"] == "lifespan.startup.failed"
    assert f'ASYNCX["LIFESPAN"][0] = {entry!r}' in started["message"]
    assert expected in started["message"]


def test_decorators_reject_misuse_at_decoration_time():
    with pytest.raises(TypeError, match="decorates a function"):
        on_startup(42)
    with pytest.raises(TypeError, match=r'ASYNCX\["LIFESPAN"\]'):
        on_shutdown(lifespan_hooks.context)


def test_registering_twice_runs_once(fresh_registry):
    hook = recorder(fresh_registry, "once")
    on_startup(hook)
    on_startup(hook)
    assert lifespan._steps == [("startup", hook)]


async def test_lazy_startup_runs_once_for_concurrent_first_requests(fresh_registry):
    events = fresh_registry

    async def slow_start():
        await asyncio.sleep(0.01)
        events.append("started")

    on_startup(slow_start)
    app = make_app()
    await asyncio.gather(*(app.lifespan.ensure_started() for _ in range(10)))
    assert events == ["started"]
    assert app.lifespan.started


async def test_lazy_startup_failure_is_raised_and_retried(fresh_registry):
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("database not up yet")

    on_startup(flaky)
    app = make_app()
    with pytest.raises(LifespanError, match="database not up yet"):
        await app.lifespan.ensure_started()
    await app.lifespan.ensure_started()
    assert len(attempts) == 2
    assert app.lifespan.started


def test_lazy_start_shuts_down_when_asyncio_run_ends(fresh_registry):
    events = fresh_registry
    on_startup(recorder(events, "start"))
    on_shutdown(recorder(events, "stop"))
    res = resource(events, "session")
    app = make_app()

    async def first_request():
        await app.lifespan.ensure_started()
        await res.aget()

    asyncio.run(first_request())
    assert events == ["start", "create session", "stop", "close session"]


# ------------------------------------------------------------------ LoopResource


async def test_resource_is_created_once_per_loop_even_when_raced():
    created = []

    async def create():
        await asyncio.sleep(0.01)
        created.append(object())
        return created[-1]

    res = LoopResource("raced", create=create)
    values = await asyncio.gather(*(res.aget() for _ in range(20)))
    assert len(created) == 1
    assert all(value is created[0] for value in values)
    assert res.peek() is created[0]


def test_each_loop_gets_its_own_value_closed_when_its_run_ends():
    closed = []
    res = LoopResource("per-loop", create=object, close=closed.append)

    async def use():
        first = await res.aget()
        assert await res.aget() is first
        return first

    one = asyncio.run(use())
    two = asyncio.run(use())
    assert one is not two
    assert closed == [one, two]


async def test_failed_creation_is_not_cached():
    calls = []

    def create():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("first try fails")
        return "ok"

    res = LoopResource("flaky", create=create)
    with pytest.raises(OSError, match="first try fails"):
        await res.aget()
    assert res.peek() is None
    assert await res.aget() == "ok"


async def test_aclose_closes_now_and_next_aget_recreates():
    closed = []
    res = LoopResource("recreated", create=object, close=closed.append)
    first = await res.aget()
    await res.aclose()
    assert closed == [first]
    second = await res.aget()
    assert second is not first


async def test_a_failing_close_is_logged_and_the_others_still_close(caplog):
    closed = []

    def broken_close(value):
        raise RuntimeError("close failed")

    good = LoopResource("good", create=lambda: "good", close=closed.append)
    bad = LoopResource("bad", create=lambda: "bad", close=broken_close)
    await good.aget()
    await bad.aget()
    with caplog.at_level(logging.ERROR, "django_asyncx.lifespan"):
        await lifespan.aclose_loop_resources()
    assert closed == ["good"]
    assert "closing per-loop resource 'bad' failed" in caplog.text


def test_constructor_rejects_non_callables():
    with pytest.raises(TypeError, match="needs a callable create="):
        LoopResource("x", create=None)
    with pytest.raises(TypeError, match="needs a callable close="):
        LoopResource("x", create=object, close="nope")


def test_loop_closed_without_shutdown_asyncgens_is_reported_at_exit(caplog):
    closed = []
    res = LoopResource("orphan", create=object, close=closed.append)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(res.aget())
    loop.close()  # no shutdown_asyncgens(): nothing could close the resource in time

    with caplog.at_level(logging.WARNING, "django_asyncx.lifespan"):
        loops._close_at_exit()

    assert closed == []
    assert "per-loop resources orphan were not closed" in caplog.text
    assert loop not in loops._states


def test_open_loop_is_closed_at_exit():
    closed = []
    res = LoopResource("left open", create=object, close=closed.append)
    loop = asyncio.new_event_loop()
    try:
        value = loop.run_until_complete(res.aget())
        loops._close_at_exit()
        assert closed == [value]
        assert loop not in loops._states
    finally:
        loop.close()


async def test_cancelled_creator_lets_a_waiting_caller_create_instead():
    release = asyncio.Event()
    calls = []

    async def create():
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(3600)  # the first creator hangs until it is cancelled
        await release.wait()
        return "made by the second caller"

    res = LoopResource("cancelled creator", create=create)
    first = asyncio.create_task(res.aget())
    await asyncio.sleep(0)
    second = asyncio.create_task(res.aget())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    assert await second == "made by the second caller"
    assert len(calls) == 2
    assert not second.cancelled()


async def test_concurrent_callers_share_the_creators_error():
    gate = asyncio.Event()

    async def create():
        await gate.wait()
        raise ConnectionRefusedError("pool down")

    res = LoopResource("shared error", create=create)
    tasks = [asyncio.create_task(res.aget()) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionRefusedError] * 3
    assert res.peek() is None
