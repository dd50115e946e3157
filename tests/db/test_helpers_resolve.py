"""aresolve() additions for template contexts: async generators, the failing key named."""

import asyncio

import pytest

from django_asyncx.db import aresolve
from django_asyncx.db.helpers import needs_resolving


async def test_async_generators_are_collected():
    async def rows():
        for n in range(3):
            await asyncio.sleep(0)
            yield n

    assert await aresolve({"rows": rows(), "plain": "x"}) == {"rows": [0, 1, 2], "plain": "x"}


async def test_the_error_names_the_key_and_keeps_type_and_message():
    async def fails():
        raise LookupError("not there")

    with pytest.raises(LookupError) as failure:
        await aresolve({"ok": asyncio.sleep(0, "fine"), "bad": fails()})
    assert str(failure.value) == "not there"
    assert failure.value.__notes__ == ["while resolving key 'bad'"]


def test_needs_resolving_says_what_aresolve_replaces():
    async def agen():
        yield 1

    coroutine = asyncio.sleep(0)
    generator = agen()
    assert needs_resolving(coroutine)
    assert needs_resolving(generator)
    assert not needs_resolving([1])
    assert not needs_resolving("text")
    coroutine.close()
