"""pytest-asyncio tests with pytest-django's ``db`` see the test's data (the plugin lends it).

The loop of these tests runs on the thread that holds the test's transaction; the plugin's
autouse fixture lends that thread's connections to one worker thread for the test, so stock
a-methods and this library's calls run on them.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from django.db import connections

from django_asyncx.db import atomic, run_in_db
from django_asyncx.db.backends.postgresql.wrapper import NativeDatabaseWrapper
from tests.support.db_aliases import ALL_ALIASES as ALIASES
from tests.support.db_aliases import on_databases, require
from tests.support.testapp.models import Entry


def _in_test_transaction(*aliases: str) -> pytest.MarkDecorator:
    params = [
        pytest.param(alias, marks=pytest.mark.django_db(databases=[alias]), id=alias)
        for alias in aliases or ALIASES
    ]
    return pytest.mark.parametrize("alias", params, indirect=True)


def _labels(alias: str) -> list[str]:
    return sorted(Entry.objects.using(alias).values_list("label", flat=True))


@pytest.fixture
def seed(alias: str) -> Entry:
    """A row written by a sync fixture, inside the test's transaction."""
    require(alias)
    return Entry.objects.using(alias).create(label="seed")


@_in_test_transaction()
async def test_stock_amethods_see_a_fixture_row(alias: str, seed: Entry) -> None:
    assert await Entry.objects.using(alias).acount() == 1
    assert (await Entry.objects.using(alias).aget(pk=seed.pk)).label == "seed"


@_in_test_transaction()
async def test_run_in_db_and_atomic_see_a_fixture_row(alias: str, seed: Entry) -> None:
    assert await run_in_db(_labels, alias, using=alias) == ["seed"]
    async with atomic(alias):
        await run_in_db(Entry.objects.using(alias).create, label="block", using=alias)
    calls = [run_in_db(_labels, alias, using=alias) for _ in range(3)]
    assert await asyncio.gather(*calls) == [["block", "seed"]] * 3


@_in_test_transaction()
async def test_writes_first_of_a_pair(alias: str, seed: Entry) -> None:
    await _write_after_seeing_only_the_seed(alias)


@_in_test_transaction()
async def test_writes_second_of_a_pair(alias: str, seed: Entry) -> None:
    await _write_after_seeing_only_the_seed(alias)


async def _write_after_seeing_only_the_seed(alias: str) -> None:
    # Whichever of the pair runs second sees the other's write rolled back.
    assert await run_in_db(_labels, alias, using=alias) == ["seed"]
    await Entry.objects.using(alias).acreate(label="mine")
    assert await run_in_db(_labels, alias, using=alias) == ["mine", "seed"]


@_in_test_transaction("default")
async def test_calls_run_on_the_lent_thread(alias: str, seed: Entry) -> None:
    name = await run_in_db(lambda: threading.current_thread().name, using=alias)
    assert name.startswith("asyncx-test-db")


@on_databases(*ALIASES)
async def test_a_transactional_test_keeps_the_usual_paths(alias: str) -> None:
    def where() -> tuple[str, bool]:
        native = isinstance(connections[alias], NativeDatabaseWrapper)
        return threading.current_thread().name, native

    name, native = await run_in_db(where, using=alias)
    if alias == "native":
        assert native
    else:
        assert name.startswith("asyncx-db-")
