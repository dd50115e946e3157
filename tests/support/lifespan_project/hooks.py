"""Startup/shutdown hooks and a per-loop resource that record each step in LIFESPAN_EVENTS."""

import os
from collections.abc import AsyncIterator

from django_asyncx.lifespan import LoopResource, on_shutdown, on_startup


def record(event: str) -> None:
    with open(os.environ["LIFESPAN_EVENTS"], "a") as events:
        events.write(event + "\n")


class Tracker:
    """The per-loop resource: counts the requests that used it."""

    def __init__(self) -> None:
        self.uses = 0
        record("resource created")

    def close(self) -> None:
        record(f"resource closed after {self.uses} uses")


tracker = LoopResource("lifespan_project.tracker", create=Tracker, close=Tracker.close)


@on_startup
def first_startup() -> None:
    record("startup first")


@on_shutdown
def first_shutdown() -> None:
    record("shutdown first")


@on_startup
async def second_startup() -> None:
    record("startup second")
    await tracker.aget()  # created at startup: a failed startup must close it too


@on_shutdown
async def second_shutdown() -> None:
    # Shutdown hooks run before the per-loop resources are closed, so they can still use them.
    record(f"shutdown second, resource still open: {tracker.peek() is not None}")


if os.environ.get("LIFESPAN_FAIL"):

    @on_startup
    async def broken_startup() -> None:
        raise RuntimeError("the cache server refused the connection")


async def around() -> AsyncIterator[None]:
    """A lifespan context listed in ASYNCX["LIFESPAN"] after the module."""
    record("context enter")
    yield
    record("context exit")
