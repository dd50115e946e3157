"""on_loop_close: callbacks run once, newest first, while the loop's resources are open."""

import asyncio
import logging

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
