"""on_loop_close: callbacks run once, newest first, while the loop's resources are open."""

import asyncio
import logging
import threading

import pytest

from django_asyncx import loops
from django_asyncx.loops import LoopResource, aclose_loop_resources, on_loop_close


def test_callbacks_run_at_the_loops_end_newest_first_before_its_resources_close():
    events = []
    session = LoopResource(
        "loops.session", create=lambda: "open", close=lambda value: events.append("close")
    )

    async def main():
        await session.aget()

        async def flush():
            events.append(f"flush sees {session.peek()}")

        on_loop_close(flush)
        on_loop_close(lambda: events.append("sync callback"))

    asyncio.run(main())
    assert events == ["sync callback", "flush sees open", "close"]
    assert loops._states == {}


def test_a_failing_callback_is_logged_and_the_others_still_run(caplog):
    events = []

    def broken():
        raise RuntimeError("callback failed")

    async def main():
        on_loop_close(lambda: events.append("first"))
        on_loop_close(broken)

    with caplog.at_level(logging.ERROR, "django_asyncx.lifespan"):
        asyncio.run(main())
    assert events == ["first"]
    assert "closing" in caplog.text
    assert "broken" in caplog.text


def test_a_callback_runs_once_when_the_resources_are_closed_early():
    events = []

    async def main():
        on_loop_close(lambda: events.append("closed"))
        await aclose_loop_resources()
        assert events == ["closed"]

    asyncio.run(main())
    assert events == ["closed"]


async def test_on_loop_close_takes_a_callable():
    with pytest.raises(TypeError, match="on_loop_close\\(\\) takes a callable, got 'nope'"):
        on_loop_close("nope")


def test_values_lists_each_open_loops_value_from_any_thread():
    resource = LoopResource("test.values", create=object)
    seen = {}

    async def serve(name, ready, go_on):
        seen[name] = await resource.aget()
        ready.set()
        await asyncio.to_thread(go_on.wait)

    ready = [threading.Event(), threading.Event()]
    go_on = threading.Event()
    threads = [threading.Thread(target=asyncio.run, args=(serve(n, ready[n], go_on),))
               for n in (0, 1)]  # fmt: skip
    for thread in threads:
        thread.start()
    for event in ready:
        event.wait(10)
    try:
        assert sorted(map(id, resource.values())) == sorted(map(id, seen.values()))
        assert len(set(map(id, seen.values()))) == 2  # one value per loop
    finally:
        go_on.set()
        for thread in threads:
            thread.join(10)
    assert resource.values() == []  # each closed with its loop
