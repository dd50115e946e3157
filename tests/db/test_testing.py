"""Inside Django's TestCase the bridge, atomic() and the native engine use the test's connection.

Each scenario runs on SQLite (``default``), PostgreSQL (``postgres``), the native engine
(``native``) and MariaDB (``mariadb``), as an ordinary ``django.test.TestCase`` and in pytest
style; ``TransactionTestCase`` keeps the pool threads and the native pool.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError, OperationalError, connections
from django.db import transaction as django_transaction
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, TransactionTestCase, override_settings
from django.urls import path

from django_asyncx.asgi import get_asgi_application
from django_asyncx.db import aon_commit, atomic, database_sync_to_async, run_in_db
from django_asyncx.db.backends.postgresql.native import native_atomic
from django_asyncx.db.backends.postgresql.wrapper import NativeDatabaseWrapper
from django_asyncx.db.testing import find_test_route, holds_test_transaction
from django_asyncx.exceptions import TransactionTaskError
from tests.support.asgi_calls import asgi_get
from tests.support.db_aliases import ALL_ALIASES as ALIASES
from tests.support.db_aliases import OnAlias, on_each_alias, require
from tests.support.testapp.models import Author, Book, Entry


class _SyncClosedResponse(HttpResponse):
    """A response whose own close() the handler runs in the request's thread."""

    def close(self) -> None:
        super().close()


async def _count_view(request: HttpRequest, alias: str) -> HttpResponse:
    return _SyncClosedResponse(str(await Entry.objects.using(alias).acount()))


urlpatterns = [path("count/<str:alias>/", _count_view)]


def _count(alias: str) -> int:
    return Entry.objects.using(alias).count()


def _labels(alias: str) -> list[str]:
    return sorted(Entry.objects.using(alias).values_list("label", flat=True))


class _Routed(OnAlias):
    """The scenarios; a subclass per alias below."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.seed = Entry.objects.using(cls.alias).create(label="seed")
        cls.author = Author.objects.using(cls.alias).create(name="Ann")

    def count(self) -> int:
        return _count(self.alias)

    async def test_run_in_db_sees_the_test_data(self) -> None:
        assert await run_in_db(self.count, using=self.alias) == 1

    async def test_database_sync_to_async_sees_the_test_data(self) -> None:
        count = database_sync_to_async(using=self.alias)(self.count)
        assert await count() == 1

    async def test_a_gather_of_calls_runs_them_in_turn(self) -> None:
        calls = [run_in_db(self.count, using=self.alias) for _ in range(5)]
        assert await asyncio.gather(*calls) == [1] * 5

    async def test_a_call_nested_through_async_to_sync_does_not_deadlock(self) -> None:
        def nested() -> int:
            return async_to_sync(run_in_db)(self.count, using=self.alias)

        assert await run_in_db(nested, using=self.alias) == 1

    async def test_calls_run_on_the_test_thread(self) -> None:
        def where() -> tuple[bool, bool]:
            wrapper = connections[self.alias]
            return threading.current_thread() is threading.main_thread(), isinstance(
                wrapper, NativeDatabaseWrapper
            )

        assert await run_in_db(where, using=self.alias) == (True, False)

    async def test_writes_first_of_a_pair(self) -> None:
        await self._write_after_seeing_only_the_seed()

    async def test_writes_second_of_a_pair(self) -> None:
        await self._write_after_seeing_only_the_seed()

    async def _write_after_seeing_only_the_seed(self) -> None:
        # Whichever of the pair runs second sees the other's write rolled back.
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["seed"]
        await run_in_db(Entry.objects.using(self.alias).create, label="mine", using=self.alias)
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["mine", "seed"]

    async def test_a_duplicate_key_fails_at_once_instead_of_waiting(self) -> None:
        create = partial(Entry.objects.using(self.alias).create, pk=self.seed.pk, label="dup")
        with pytest.raises(IntegrityError):
            async with atomic(self.alias):
                await run_in_db(create, using=self.alias)
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["seed"]

    async def test_atomic_sees_the_rows_its_foreign_keys_point_to(self) -> None:
        async with atomic(self.alias):
            book = await run_in_db(
                Book.objects.using(self.alias).create,
                title="Dune",
                author_id=self.author.pk,
                using=self.alias,
            )
        assert await Book.objects.using(self.alias).filter(author=self.author).acount() == 1
        assert book.author_id == self.author.pk

    async def test_a_rolled_back_block_keeps_the_test_data(self) -> None:
        seen: list[int] = []

        async def fail() -> None:
            async with atomic(self.alias):
                await run_in_db(
                    Entry.objects.using(self.alias).create, label="gone", using=self.alias
                )
                seen.append(await run_in_db(self.count, using=self.alias))
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            await fail()
        assert seen == [2]
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["seed"]

    async def test_nested_and_durable_blocks(self) -> None:
        async with atomic(self.alias, durable=True):
            await run_in_db(Entry.objects.using(self.alias).create, label="outer", using=self.alias)
            with pytest.raises(KeyError):
                await self._failing_block(label="inner")
            with pytest.raises(RuntimeError, match="durable"):
                await self._empty_block(durable=True)
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["outer", "seed"]

    async def _failing_block(self, label: str) -> None:
        async with atomic(self.alias):
            await run_in_db(Entry.objects.using(self.alias).create, label=label, using=self.alias)
            raise KeyError(label)

    async def _empty_block(self, *, durable: bool = False) -> None:
        async with atomic(self.alias, durable=durable):
            pass

    async def test_blocks_of_a_gather_take_turns(self) -> None:
        order: list[str] = []

        async def block(name: str) -> int:
            async with atomic(self.alias):
                order.append(f"{name} in")
                await asyncio.sleep(0)
                await run_in_db(
                    Entry.objects.using(self.alias).create, label=name, using=self.alias
                )
                order.append(f"{name} out")
            return await run_in_db(self.count, using=self.alias)

        counts = await asyncio.gather(block("a"), block("b"), block("c"))
        assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
        assert counts == [2, 3, 4]

    @override_settings(ASYNCX={"TEST_WAIT_TIMEOUT": 0.2})
    async def test_a_block_waiting_for_another_tasks_block_fails_with_a_message(self) -> None:
        started = asyncio.Event()

        async def other() -> None:
            await started.wait()
            await self._empty_block()

        async def wait_for_other() -> None:
            task = asyncio.create_task(other())  # outside the block: a task of its own
            async with atomic(self.alias):
                started.set()
                await task

        with pytest.raises(TransactionTaskError, match="TransactionTestCase"):
            await wait_for_other()
        # The turn was given back: a new block runs.
        async with atomic(self.alias):
            assert await run_in_db(self.count, using=self.alias) == 1

    def test_on_commit_callbacks_are_captured(self) -> None:
        ran: list[str] = []

        async def register() -> None:
            async with atomic(self.alias):
                await aon_commit(lambda: ran.append("sync"), using=self.alias)

                async def callback() -> None:
                    ran.append("async")

                await aon_commit(callback, using=self.alias)

        with self.captureOnCommitCallbacks(using=self.alias, execute=True) as callbacks:
            async_to_sync(register)()
            assert ran == []
        assert len(callbacks) == 2
        assert ran == ["sync", "async"]

    async def test_django_amethods_and_async_iteration(self) -> None:
        entries = Entry.objects.using(self.alias)
        await entries.abulk_create([Entry(label=f"e{index}") for index in range(5)])
        assert await entries.acount() == 6
        labels = [entry.label async for entry in entries.order_by("pk").aiterator(chunk_size=2)]
        assert labels == ["seed", "e0", "e1", "e2", "e3", "e4"]
        author = await Author.objects.using(self.alias).aget(pk=self.author.pk)
        author.name = "Anna"
        await author.asave(using=self.alias)
        await author.books.acreate(title="Emma")
        assert [book.title async for book in author.books.all()] == ["Emma"]

    async def test_a_request_through_the_asgi_application_keeps_the_test_connection(
        self,
    ) -> None:
        # The view's a-method hops to the request's thread, which is the test's; closing the
        # response runs request_finished's receivers there, which must not close the
        # test's connection.
        app = get_asgi_application()
        with override_settings(ROOT_URLCONF=__name__):
            for _ in range(2):
                assert await asgi_get(app, f"/count/{self.alias}/") == (200, b"1")
        assert await run_in_db(_labels, self.alias, using=self.alias) == ["seed"]

        def still_in_the_test_transaction() -> bool:
            return holds_test_transaction(connections[self.alias])

        assert await run_in_db(still_in_the_test_transaction, using=self.alias)

    def test_a_sync_test_counts_the_bridge_queries(self) -> None:
        with self.assertNumQueries(1, using=self.alias):
            assert async_to_sync(run_in_db)(self.count, using=self.alias) == 1


on_each_alias(_Routed, TestCase, globals())


class NativeAtomicRouted(OnAlias, TestCase):
    alias = "native"
    databases = {"native"}

    @classmethod
    def setUpTestData(cls) -> None:
        Entry.objects.using("native").create(label="seed")

    async def test_native_atomic_is_a_savepoint_on_the_test_connection(self) -> None:
        async def fail() -> None:
            async with native_atomic(using="native"):
                await run_in_db(Entry.objects.using("native").create, label="x", using="native")
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            await fail()
        async with native_atomic(using="native"):
            await run_in_db(Entry.objects.using("native").create, label="y", using="native")
        assert await run_in_db(_labels, "native", using="native") == ["seed", "y"]


class UndeclaredDatabase(TestCase):
    databases = {"default"}

    async def test_a_call_for_an_alias_the_test_did_not_declare_raises_djangos_error(
        self,
    ) -> None:
        with pytest.raises(AssertionError, match="Database queries to 'postgres' are not allowed"):
            await run_in_db(_count, "postgres", using="postgres")


class _Unrouted(OnAlias):
    """TransactionTestCase: the pool threads and the native pool, as in production."""

    async def test_run_in_db_runs_on_the_usual_path(self) -> None:
        def where() -> tuple[str, bool]:
            native = isinstance(connections[self.alias], NativeDatabaseWrapper)
            return threading.current_thread().name, native

        name, native = await run_in_db(where, using=self.alias)
        if self.alias == "native":
            assert native
        else:
            assert name.startswith("asyncx-db-")
        assert await find_test_route(self.alias) is None


on_each_alias(_Unrouted, TransactionTestCase, globals())


class _LockWaits(OnAlias):
    """Code on its own thread and connection waits for the test's rows: bounded, explained."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.seed = Entry.objects.using(cls.alias).create(label="seed")

    @override_settings(ASYNCX={"TEST_WAIT_TIMEOUT": 1})
    def test_a_lock_wait_on_the_test_rows_fails_with_a_note(self) -> None:
        create = partial(Entry.objects.using(self.alias).create, pk=self.seed.pk, label="dup")
        raised: list[BaseException] = []

        def elsewhere() -> None:
            # A loop of its own on another thread: no test route, the usual pool.
            try:
                asyncio.run(run_in_db(create, using=self.alias))
            except BaseException as exc:
                raised.append(exc)

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        [error] = raised
        assert isinstance(error, OperationalError)
        notes = "\n".join(getattr(error, "__notes__", []))
        assert "TransactionTestCase" in notes
        assert "TEST_WAIT_TIMEOUT" in notes


on_each_alias(_LockWaits, TestCase, globals(), aliases=("postgres", "native", "mariadb"))


# -- pytest style ---------------------------------------------------------------------------


@pytest.fixture(params=ALIASES)
def db_alias(request: pytest.FixtureRequest) -> str:
    require(request.param)
    request.applymarker(pytest.mark.django_db(databases=[request.param]))
    request.getfixturevalue("_django_db_helper")
    return str(request.param)


def test_a_sync_pytest_test_routes_bridge_calls(db_alias: str) -> None:
    request_db = Entry.objects.using(db_alias)
    request_db.create(label="fixture")
    assert holds_test_transaction(connections[db_alias])
    assert async_to_sync(run_in_db)(_labels, db_alias, using=db_alias) == ["fixture"]

    async def block() -> None:
        async with atomic(db_alias):
            await run_in_db(request_db.create, label="block", using=db_alias)

    async_to_sync(block)()
    assert _labels(db_alias) == ["block", "fixture"]


@pytest.mark.parametrize("alias", ALIASES)
def test_a_transactional_pytest_test_keeps_the_pool(alias: str, request) -> None:
    require(alias)
    request.applymarker(pytest.mark.django_db(transaction=True, databases=[alias]))
    request.getfixturevalue("_django_db_helper")
    assert not holds_test_transaction(connections[alias])

    async def route() -> object:
        return await find_test_route(alias)

    assert async_to_sync(route)() is None


def test_a_sync_test_sees_a_block_commit_inside_its_own_atomic(db_alias: str) -> None:
    # Django's own atomic() around the call: the block is a savepoint inside it.
    with django_transaction.atomic(using=db_alias):
        async_to_sync(run_in_db)(Entry.objects.using(db_alias).create, label="x", using=db_alias)
    assert _count(db_alias) == 1


def test_outside_a_test_environment_nothing_is_routed() -> None:
    code = (
        "import django.test.utils, django_asyncx.db.testing as t;"
        "print(t.in_test_environment());"
        "django.test.utils.setup_test_environment();"
        "print(t.in_test_environment())"
    )
    root = Path(__file__).resolve().parents[2]
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": f"{root}{os.pathsep}{root / 'example_project'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=True,
    )
    assert done.stdout.split() == ["False", "True"]
