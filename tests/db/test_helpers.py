"""alist / aresolve: one hop per queryset, concurrency, nothing left behind.

agather, now a deprecated alias of django_asyncx.concurrency.gather, is tested with it.
"""

import threading

import pytest
from django.db import connections

from django_asyncx.db import Related, alist, aresolve, atomic, run_in_db
from django_asyncx.executors import shutdown_executors
from tests.support.db_aliases import on_databases
from tests.support.testapp.models import Author, Book


@pytest.fixture(autouse=True)
def fresh_pools():
    shutdown_executors()
    yield
    shutdown_executors()


def seed(alias: str) -> None:
    for name in ("Ann", "Bob"):
        author = Author.objects.using(alias).create(name=name)
        for i in range(3):
            Book.objects.using(alias).create(title=f"{name} {i}", author=author)


@on_databases()
async def test_alist_evaluates_with_prefetches_in_one_bridge_call(alias):
    await run_in_db(seed, alias)
    authors = await alist(Author.objects.using(alias).prefetch_related("books").order_by("name"))
    # Reading prefetched relations afterwards runs no query (it would raise on the loop).
    assert [[b.title for b in a.books.all()] for a in authors] == [
        ["Ann 0", "Ann 1", "Ann 2"],
        ["Bob 0", "Bob 1", "Bob 2"],
    ]
    books = await alist(Book.objects.using(alias).select_related("author").order_by("title"))
    assert books[0].author.name == "Ann"


async def test_alist_refuses_what_is_not_a_queryset():
    with pytest.raises(TypeError, match="alist\\(\\) takes a QuerySet, got list"):
        await alist([1, 2])


@on_databases()
async def test_aresolve_resolves_querysets_relations_awaitables_and_keeps_the_rest(alias):
    await run_in_db(seed, alias)
    ann = await run_in_db(Author.objects.using(alias).get, name="Ann")
    book = await run_in_db(Book.objects.using(alias).filter(title="Bob 1").get)

    async def forecast() -> str:
        return "sunny"

    context = await aresolve(
        {
            "authors": Author.objects.using(alias).order_by("name"),
            "ann": Related(ann, "books"),
            "book": Related(book, "author"),
            "weather": forecast(),
            "title": "Home",
        }
    )
    assert [a.name for a in context["authors"]] == ["Ann", "Bob"]
    assert context["ann"] is ann
    assert sorted(b.title for b in ann.books.all()) == ["Ann 0", "Ann 1", "Ann 2"]
    assert context["book"].author.name == "Bob"
    assert context["weather"] == "sunny"
    assert context["title"] == "Home"


@pytest.mark.django_db(transaction=True, databases=["postgres"])
async def test_aresolve_runs_querysets_in_parallel():
    threads = set()
    barrier = threading.Barrier(3, timeout=10)

    def sleepy(alias: str) -> list[int]:
        threads.add(threading.current_thread().name)
        barrier.wait()  # passes only if the three run at once
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return [cursor.fetchone()[0]]

    context = await aresolve({k: run_in_db(sleepy, "postgres") for k in ("a", "b", "c")})
    assert context == {"a": [1], "b": [1], "c": [1]}
    assert len(threads) == 3


@on_databases("default")
async def test_aresolve_inside_a_transaction_sees_its_writes(alias):
    async with atomic(alias):
        await run_in_db(seed, alias)
        context = await aresolve({"books": Book.objects.all(), "n": Author.objects.acount()})
    assert (len(context["books"]), context["n"]) == (6, 2)
