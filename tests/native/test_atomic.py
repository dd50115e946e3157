"""``atomic()`` on a native-engine alias takes Django's arguments, by keyword too."""

import pytest

from django_asyncx.db import atomic
from tests.support.nativeapp.models import Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


async def names() -> list[str]:
    return sorted([tag.name async for tag in Tag.objects.using(DB).all()])


async def test_async_with_atomic_takes_using_savepoint_and_durable_by_keyword():
    async with atomic(using=DB, savepoint=True, durable=True):
        await Tag.objects.using(DB).acreate(name="kept")
    async with atomic(using=DB):
        await Tag.objects.using(DB).acreate(name="doomed")
        with pytest.raises(KeyError):
            async with atomic(using=DB, savepoint=False):
                raise KeyError("no savepoint to roll back to: the whole block rolls back")
    assert await names() == ["kept"]
    async with atomic(using=DB):
        with pytest.raises(RuntimeError, match="durable atomic block cannot be nested"):
            async with atomic(using=DB, durable=True):
                pass


async def test_decorator_takes_using_by_keyword_and_djangos_positional_order():
    @atomic(using=DB)
    async def create(name: str) -> None:
        await Tag.objects.using(DB).acreate(name=name)
        if name == "bad":
            raise RuntimeError("rolled back")

    @atomic(DB, False, True)
    async def create_durably(name: str) -> None:
        await Tag.objects.using(DB).acreate(name=name)

    await create("good")
    with pytest.raises(RuntimeError):
        await create("bad")
    await create_durably("durable")
    async with atomic(using=DB):
        with pytest.raises(RuntimeError, match="durable atomic block cannot be nested"):
            await create_durably("nested")
    assert await names() == ["durable", "good"]
