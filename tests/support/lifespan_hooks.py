"""Hooks that tests name by dotted path in ASYNCX["LIFESPAN"]; each records into EVENTS."""

from collections.abc import AsyncIterator

from django_asyncx.lifespan import on_shutdown, on_startup

EVENTS: list[str] = []


@on_startup
def module_startup() -> None:
    EVENTS.append("module startup")


@on_shutdown
async def module_shutdown() -> None:
    EVENTS.append("module shutdown")


async def plain_hook() -> None:
    EVENTS.append("plain hook")


async def context() -> AsyncIterator[dict[str, str]]:
    EVENTS.append("context enter")
    yield {"greeting": "hello"}
    EVENTS.append("context exit")


NOT_CALLABLE = 42
