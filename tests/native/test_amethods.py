"""Django's own a-methods take the native path for native-engine aliases (no code change)."""

import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, models

from django_asyncx.db import atomic
from django_asyncx.db.backends.postgresql import amethods
from tests.support.nativeapp.models import Author, Book, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


def test_the_app_installed_them_because_an_alias_uses_the_engine():
    assert amethods.installed()
    assert models.QuerySet.aget.__doc__.startswith("Django's ``aget()``, on the native path")


@pytest.fixture
def no_threads(monkeypatch):
    """Fail if anything hops to a thread through asgiref."""

    def refuse(*args, **kwargs):
        raise AssertionError("an a-method took a thread")

    monkeypatch.setattr(sync_to_async, "__call__", refuse, raising=False)
    monkeypatch.setattr("asgiref.sync.SyncToAsync.__call__", refuse)


async def test_queryset_and_model_a_methods_run_natively(no_threads):
    threads = set(threading.enumerate())
    manager = Author.objects.using(DB)
    ann = await manager.acreate(name="Ann")
    assert (await manager.aget(pk=ann.pk)).name == "Ann"
    assert await manager.acount() == 1
    assert await manager.aexists()
    assert (await manager.afirst()).pk == ann.pk
    assert (await manager.alast()).pk == ann.pk
    bob, created = await manager.aget_or_create(name="Bob")
    assert created
    _, created = await manager.aupdate_or_create(name="Bob", defaults={"born": None})
    assert not created
    assert await manager.filter(name="Bob").aupdate(name="Rob") == 1
    assert sorted(await manager.ain_bulk([ann.pk, bob.pk])) == sorted([ann.pk, bob.pk])
    assert await manager.aaggregate(n=models.Count("id")) == {"n": 2}
    await Book.objects.using(DB).abulk_create([Book(title=f"b{i}", author=ann) for i in range(5)])
    assert [b.title async for b in Book.objects.using(DB).order_by("id")] == [
        f"b{i}" for i in range(5)
    ]
    streamed = [b.title async for b in Book.objects.using(DB).order_by("id").aiterator(2)]
    assert streamed == [f"b{i}" for i in range(5)]
    raw = [a.name async for a in Author.objects.using(DB).raw("SELECT * FROM nativeapp_author")]
    assert sorted(raw) == ["Ann", "Rob"]
    ann.name = "Anna"
    await ann.asave(using=DB)
    await ann.arefresh_from_db()
    assert ann.name == "Anna"
    assert await Book.objects.using(DB).acontains(await Book.objects.using(DB).afirst())
    deleted, _ = await bob.adelete(using=DB)
    assert deleted == 1
    assert await Book.objects.using(DB).filter(title="b0").adelete() == (1, {"nativeapp.Book": 1})
    assert set(threading.enumerate()) - threads == set()  # no thread started


async def test_a_methods_join_an_enclosing_native_transaction(no_threads):
    counted = []

    async def fail():
        async with atomic(DB):
            await Tag.objects.using(DB).acreate(name="inside")
            counted.append(await Tag.objects.using(DB).acount())
            raise LookupError

    with pytest.raises(LookupError):
        await fail()
    assert counted == [1]
    assert await Tag.objects.using(DB).acount() == 0


async def test_aiterator_streams_chunks_and_returns_the_connection_when_left_early():
    from django_asyncx.db.backends.postgresql.pool import get_pool

    ann = await Author.objects.using(DB).acreate(name="Ann")
    await Book.objects.using(DB).abulk_create([Book(title=f"b{i}", author=ann) for i in range(30)])
    seen = []
    stream = Book.objects.using(DB).order_by("id").aiterator(chunk_size=10)
    async for book in stream:
        seen.append(book.title)
        if len(seen) == 15:
            break
    pool = await get_pool(DB)
    assert seen[-1] == "b14"
    assert pool.free == 0  # the stream holds its connection (and cursor) until closed
    await stream.aclose()
    assert pool.free == pool.size == 1
    # The connection came back clean: no server-side cursor left open.
    assert await Book.objects.using(DB).acount() == 30


async def test_other_aliases_keep_djangos_thread_path():
    # "default" is SQLite: Django's a-method runs it in a thread, as before.
    assert connections["default"].vendor == "sqlite"
    assert amethods._queryset_alias(Author.objects.using("default").all(), False) == "default"
    assert not amethods.uses_native_path("default")


async def test_related_managers_a_methods_run_natively(no_threads):
    ann = await Author.objects.using(DB).acreate(name="Ann")
    red = await Tag.objects.using(DB).acreate(name="red")
    blue = await Tag.objects.using(DB).acreate(name="blue")
    book = await ann.books.acreate(title="t")
    await book.tags.aadd(red, blue)
    assert sorted([t.name async for t in book.tags.all()]) == ["blue", "red"]
    await book.tags.aremove(red)
    await book.tags.aset([red])
    assert [t.name async for t in book.tags.all()] == ["red"]
    _, created = await book.tags.aget_or_create(name="green")
    assert created
    await book.tags.aclear()
    assert await book.tags.acount() == 0
    edited, _ = await ann.edited.aupdate_or_create(title="e", defaults={"author": ann})
    await ann.edited.aremove(edited)  # nullable FK: the reverse manager has aremove
    assert await ann.edited.acount() == 0
    assert not hasattr(ann.books, "aremove")  # non-nullable FK: no aremove, as in Django


async def test_generic_relations_and_aprefetch_related_objects_run_natively(no_threads):
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import aprefetch_related_objects

    from django_asyncx.db import run_in_db
    from tests.support.nativeapp.models import Comment

    # Getting a generic relation's manager looks the content type up synchronously (Django
    # does this for any async code): warm Django's content-type cache first.
    await run_in_db(lambda: ContentType.objects.db_manager(DB).get_for_model(Book), using=DB)
    ann = await Author.objects.using(DB).acreate(name="Ann")
    book = await Book.objects.using(DB).acreate(title="t", author=ann)
    await book.comments.acreate(text="first")
    comment = await Comment.objects.using(DB).acreate(target=book, text="second")
    await book.comments.aremove(comment)  # deletes it, as Django does for generic relations
    assert [c.text async for c in book.comments.all()] == ["first"]
    books = [b async for b in Book.objects.using(DB).all()]
    await aprefetch_related_objects(books, "comments", "author")
    assert [c.text for c in books[0].comments.all()] == ["first"]
    assert books[0].author.name == "Ann"


def test_the_replacements_keep_djangos_method_flags():
    # Django marks its a-methods: alters_data keeps templates from calling them,
    # queryset_only keeps Manager.from_queryset() from copying them onto managers.
    assert models.QuerySet.adelete.queryset_only is True
    assert models.QuerySet.adelete.alters_data is True
    for name in ("acreate", "aupdate", "abulk_create", "abulk_update", "aget_or_create"):
        assert getattr(models.QuerySet, name).alters_data is True, name
    for name in ("asave", "adelete"):
        assert getattr(models.Model, name).alters_data is True, name
    assert not hasattr(models.QuerySet.aget, "alters_data")
    assert models.QuerySet.adelete.__wrapped__ is amethods._DJANGO_QUERYSET["adelete"]
    assert amethods.NativeQuerySetMixin.adelete.queryset_only is True


async def test_related_managers_a_methods_keep_alters_data():
    ann = await Author.objects.using(DB).acreate(name="Ann")
    book = await ann.books.acreate(title="t")
    for manager, names in ((book.tags, amethods.RELATED_METHODS), (ann.books, ("acreate",))):
        for name in names:
            assert getattr(manager, name).alters_data is True, name


def test_a_manager_built_after_install_has_no_adelete():
    # Django refuses Model.objects.adelete(): a manager built from a QuerySet subclass after
    # install must not get the table-wide delete either.
    class PlainQuerySet(models.QuerySet):
        pass

    for queryset_class in (PlainQuerySet, amethods.NativeQuerySet):
        manager_class = models.Manager.from_queryset(queryset_class)
        assert not hasattr(manager_class, "adelete"), queryset_class
        assert hasattr(manager_class, "acreate"), queryset_class
    assert not hasattr(amethods.NativeManager, "adelete")
