"""The lazy-access guard: in async code, an unloaded relation or deferred field raises an
error naming the model, the field and the fix; sync code still loads lazily."""

import pickle

import pytest
from django.core.exceptions import SynchronousOnlyOperation

from django_asyncx.db import Related, alist, aresolve, atomic, lazy_access, run_in_db
from django_asyncx.exceptions import LazyAccessError
from django_asyncx.executors import shutdown_executors
from tests.support.db_aliases import on_databases
from tests.support.testapp.models import Author, Book

pytestmark = on_databases()


@pytest.fixture(autouse=True)
def fresh_pools():
    shutdown_executors()
    yield
    shutdown_executors()


@pytest.fixture
def book(alias):
    """A saved book whose author is in the database."""

    def create() -> int:
        author = Author.objects.using(alias).create(name="Ann")
        return Book.objects.using(alias).create(title="T", summary="S", author=author).pk

    return create


async def test_lazy_foreign_key_in_async_code_names_model_field_and_fix(alias, book):
    pk = await run_in_db(book)
    loaded = await run_in_db(Book.objects.using(alias).get, pk=pk)
    with pytest.raises(LazyAccessError) as info:
        loaded.author  # noqa: B018
    message = str(info.value)
    assert "Book.author is not loaded" in message
    assert "select_related('author')" in message
    assert "prefetch_related('author')" in message
    assert "Related(obj, 'author')" in message
    assert isinstance(info.value, SynchronousOnlyOperation)  # existing handlers still catch it


async def test_django_a_methods_results_are_guarded_too(alias, book):
    pk = await run_in_db(book)
    async with atomic(alias):  # Django's a-methods then run on a thread of the db pool
        loaded = await Book.objects.using(alias).aget(pk=pk)
    with pytest.raises(LazyAccessError, match=r"Book\.author"):
        loaded.author  # noqa: B018


async def test_deferred_field_names_only_and_arefresh(alias, book):
    pk = await run_in_db(book)
    [loaded] = await alist(Book.objects.using(alias).only("title").filter(pk=pk))
    with pytest.raises(LazyAccessError) as info:
        loaded.summary  # noqa: B018
    assert "Book.summary was deferred" in str(info.value)
    assert "arefresh_from_db(fields=['summary'])" in str(info.value)
    async with atomic(alias):  # Django's a-methods then run on a thread of the db pool
        await loaded.arefresh_from_db(fields=["summary"], using=alias)
    assert loaded.summary == "S"


async def test_reverse_one_to_one_is_guarded_by_accessor_name(alias, book):
    # Author has no one-to-one; the reverse FK manager is a queryset, not a lazy attribute.
    await run_in_db(book)
    [author] = await alist(Author.objects.using(alias).prefetch_related("books"))
    assert [b.title for b in author.books.all()] == ["T"]


async def test_loaded_relations_do_not_raise(alias, book):
    pk = await run_in_db(book)
    [with_author] = await alist(Book.objects.using(alias).select_related("author").filter(pk=pk))
    assert with_author.author.name == "Ann"
    [prefetched] = await alist(Book.objects.using(alias).prefetch_related("author").filter(pk=pk))
    assert prefetched.author.name == "Ann"
    plain = await run_in_db(Book.objects.using(alias).get, pk=pk)
    resolved = await aresolve({"book": Related(plain, "author")})
    assert resolved["book"].author.name == "Ann"


async def test_sync_code_in_the_bridge_still_loads_lazily(alias, book):
    pk = await run_in_db(book)
    loaded = await run_in_db(Book.objects.using(alias).get, pk=pk)
    assert await run_in_db(lambda: loaded.author.name) == "Ann"
    assert loaded.author.name == "Ann"  # now cached


async def test_guarded_querysets_and_instances_pickle(alias, book):
    pk = await run_in_db(book)
    loaded = await run_in_db(Book.objects.using(alias).get, pk=pk)
    again = pickle.loads(pickle.dumps(loaded))
    with pytest.raises(LazyAccessError):
        again.author  # noqa: B018
    # Pickling a queryset evaluates it (a query): do it where queries may run.
    qs = await run_in_db(lambda: pickle.loads(pickle.dumps(Book.objects.using(alias).all())))
    [cached] = list(qs)  # the unpickled result cache
    with pytest.raises(LazyAccessError):
        cached.author  # noqa: B018
    assert await run_in_db(lambda: qs.filter(pk=pk).get().author.name) == "Ann"


async def test_without_the_guard_django_raises_its_own_error(alias, book):
    pk = await run_in_db(book)
    lazy_access.uninstall()
    try:
        loaded = await run_in_db(Book.objects.using(alias).get, pk=pk)
        with pytest.raises(SynchronousOnlyOperation) as info:
            loaded.author  # noqa: B018
        assert not isinstance(info.value, LazyAccessError)
    finally:
        lazy_access.install()
