"""The native engine runs the unmodified ORM on asyncpg, in a greenlet, with no thread."""

import asyncio
import threading

import pytest
from django.core.exceptions import SynchronousOnlyOperation
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, F, Prefetch, Sum, Window
from django.db.models.functions import RowNumber

from django_asyncx.db.backends.postgresql.native import native_atomic, run_native, uses_native_path
from django_asyncx.db.backends.postgresql.pool import get_pool
from django_asyncx.exceptions import ConfigurationError
from tests.support.nativeapp.models import Author, Book, Comment, Review, Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


def run(fn, *args, **kwargs):
    return run_native(fn, *args, using=DB, **kwargs)


def seed():
    import datetime

    ann = Author.objects.using(DB).create(name="Ann", born=datetime.date(1980, 5, 1))
    bob = Author.objects.using(DB).create(name="Bob")
    red, blue = Tag.objects.using(DB).create(name="red"), Tag.objects.using(DB).create(name="blue")
    for index in range(3):
        book = Book.objects.using(DB).create(
            title=f"A{index}", author=ann, editor=bob, pages=100 + index, price="9.50"
        )
        book.tags.add(red, blue)
        Review.objects.using(DB).create(book=book, stars=index + 1)
        Comment.objects.using(DB).create(target=book, text=f"c{index}")
    Book.objects.using(DB).create(title="B0", author=bob, pages=50)
    return ann, bob


async def test_crud_round_trip_without_a_thread():
    threads_before = set(threading.enumerate())
    author = await run(lambda: Author.objects.using(DB).create(name="Ann"))
    assert author.pk is not None
    fetched = await run(lambda: Author.objects.using(DB).get(pk=author.pk))
    assert fetched.name == "Ann"

    def rename():
        Author.objects.using(DB).filter(pk=author.pk).update(name="Anna")
        return Author.objects.using(DB).get(pk=author.pk).name

    assert await run(rename) == "Anna"
    deleted = await run(lambda: Author.objects.using(DB).filter(pk=author.pk).delete())
    assert deleted == (1, {"nativeapp.Author": 1})
    assert await run(lambda: Author.objects.using(DB).count()) == 0
    assert set(threading.enumerate()) - threads_before == set()  # no thread started


async def test_select_related_prefetch_generic_and_lazy_loads():
    await run(seed)

    def read():
        books = list(
            Book.objects.using(DB)
            .select_related("author", "editor")
            .prefetch_related("tags", "reviews", "comments")
            .order_by("id")
        )
        return [
            (
                b.title,
                b.author.name,
                b.editor.name if b.editor else None,
                sorted(t.name for t in b.tags.all()),
                [r.stars for r in b.reviews.all()],
                [c.text for c in b.comments.all()],
            )
            for b in books
        ]

    rows = await run(read)
    assert rows[0] == ("A0", "Ann", "Bob", ["blue", "red"], [1], ["c0"])
    assert rows[3] == ("B0", "Bob", None, [], [], [])

    def lazy():
        review = Review.objects.using(DB).order_by("id").first()
        # Lazy forward FK and reverse access inside the function.
        return review.book.author.name, review.book.reviews.count()

    assert await run(lazy) == ("Ann", 1)

    def prefetch_object():
        authors = Author.objects.using(DB).prefetch_related(
            Prefetch("books", queryset=Book.objects.using(DB).filter(pages__gte=101))
        )
        return {a.name: [b.title for b in a.books.all()] for a in authors}

    assert await run(prefetch_object) == {"Ann": ["A1", "A2"], "Bob": []}


async def test_annotate_aggregate_window_values_dates_defer_raw():
    await run(seed)

    def queries():
        annotated = list(
            Author.objects.using(DB)
            .annotate(n=Count("books"), total=Sum("books__pages"))
            .order_by("name")
            .values_list("name", "n", "total")
        )
        aggregate = Book.objects.using(DB).aggregate(pages=Sum("pages"))
        window = list(
            Book.objects.using(DB)
            .annotate(rank=Window(RowNumber(), order_by=F("pages").desc()))
            .order_by("rank")
            .values_list("title", "rank")[:2]
        )
        values = list(Book.objects.using(DB).filter(title__startswith="A").values("title")[:1])
        dates = list(Author.objects.using(DB).dates("born", "year"))
        deferred = Book.objects.using(DB).defer("title").order_by("id").first()
        only = Book.objects.using(DB).only("title").order_by("id").first()
        raw = [
            (b.title, b.pages)
            for b in Book.objects.using(DB).raw(
                "SELECT id, title, pages FROM nativeapp_book WHERE pages > %s ORDER BY id", [100]
            )
        ]
        return annotated, aggregate, window, values, dates, deferred.title, only.pages, raw

    annotated, aggregate, window, values, dates, deferred_title, only_pages, raw = await run(
        queries
    )
    assert annotated == [("Ann", 3, 303), ("Bob", 1, 50)]
    assert aggregate == {"pages": 353}
    assert window == [("A2", 1), ("A1", 2)]
    assert values == [{"title": "A0"}]
    assert [d.year for d in dates] == [1980]
    assert deferred_title == "A0"  # loaded lazily, inside the function
    assert only_pages == 100
    assert raw == [("A1", 101), ("A2", 102)]


async def test_iterator_streams_with_a_server_side_cursor():
    def make():
        author = Author.objects.using(DB).create(name="Ann")
        Book.objects.using(DB).bulk_create(
            [Book(title=f"t{i}", author=author, pages=i) for i in range(250)]
        )

    await run(make)

    def stream():
        wrapper = connections[DB]
        seen, open_cursors = [], []
        for book in Book.objects.using(DB).order_by("pages").iterator(chunk_size=100):
            seen.append(book.pages)
            open_cursors.append(wrapper.open_server_cursors)
        return seen, max(open_cursors), wrapper.open_server_cursors

    seen, open_during, open_after = await run(stream)
    assert seen == list(range(250))
    assert open_during == 1
    assert open_after == 0

    def two_shapes_in_one_transaction():
        # The same cursor name serves two queries of different row types in a row.
        with transaction.atomic(using=DB):
            books = [b.pages for b in Book.objects.using(DB).order_by("pages").iterator(100)]
            titles = list(
                Book.objects.using(DB)
                .order_by("pages")
                .values_list("title", flat=True)
                .iterator(100)
            )
        return books[:2], titles[:2]

    assert await run(two_shapes_in_one_transaction) == ([0, 1], ["t0", "t1"])


async def test_bulk_operations_get_or_create_update_or_create_and_cascades():
    from django.db.models.signals import post_delete

    deleted = []

    def on_delete(sender, instance, **kwargs):
        deleted.append(type(instance).__name__)

    post_delete.connect(on_delete, sender=Review)
    try:

        def work():
            author = Author.objects.using(DB).create(name="Ann")
            books = Book.objects.using(DB).bulk_create(
                [Book(title=f"t{i}", author=author) for i in range(3)]
            )
            for book in books:
                book.pages = 7
            Book.objects.using(DB).bulk_update(books, ["pages"])
            Tag.objects.using(DB).bulk_create(
                [Tag(name="x"), Tag(name="y")],
            )
            Tag.objects.using(DB).bulk_create(
                [Tag(name="x")],
                update_conflicts=True,
                unique_fields=["name"],
                update_fields=["name"],
            )
            _tag, created = Tag.objects.using(DB).get_or_create(name="x")
            _tag2, created2 = Tag.objects.using(DB).update_or_create(
                name="z", defaults={"name": "z"}
            )
            Review.objects.using(DB).create(book=books[0], stars=5)
            cascade = Author.objects.using(DB).filter(pk=author.pk).delete()
            return (
                [b.pk is not None for b in books],
                sorted(Book.objects.using(DB).values_list("pages", flat=True)),
                Tag.objects.using(DB).count(),
                created,
                created2,
                cascade,
            )

        pks, pages, tag_count, created, created2, cascade = await run(work)
    finally:
        post_delete.disconnect(on_delete, sender=Review)
    assert pks == [True, True, True]
    assert pages == []  # deleted with the author
    assert tag_count == 3
    assert created is False
    assert created2 is True
    assert cascade == (
        5,
        {"nativeapp.Review": 1, "nativeapp.Book": 3, "nativeapp.Author": 1},
    )
    assert deleted == ["Review"]


async def test_transactions_savepoints_on_commit_and_errors():
    committed = []

    def work():
        with transaction.atomic(using=DB):
            Author.objects.using(DB).create(name="kept")
            transaction.on_commit(lambda: committed.append("outer"), using=DB)
            try:
                with transaction.atomic(using=DB):
                    Author.objects.using(DB).create(name="rolled back")
                    raise ValueError("inner")
            except ValueError:
                pass
            try:
                with transaction.atomic(using=DB):
                    Tag.objects.using(DB).create(name="dup")
                    Tag.objects.using(DB).create(name="dup")
            except IntegrityError:
                pass
            assert committed == []
        try:
            with transaction.atomic(using=DB):
                Author.objects.using(DB).create(name="outer rollback")
                raise RuntimeError
        except RuntimeError:
            pass
        return sorted(Author.objects.using(DB).values_list("name", flat=True))

    assert await run(work) == ["kept"]
    assert committed == ["outer"]


async def test_select_for_update_and_refresh_from_db():
    def work():
        author = Author.objects.using(DB).create(name="Ann")
        with transaction.atomic(using=DB):
            locked = Author.objects.using(DB).select_for_update().get(pk=author.pk)
            Author.objects.using(DB).filter(pk=author.pk).update(name="Anna")
            locked.refresh_from_db()
            return locked.name

    assert await run(work) == "Anna"


async def test_native_atomic_block_spans_calls_and_rolls_back_on_error():
    counted = []

    async def fail():
        async with native_atomic(using=DB):
            await run(lambda: Author.objects.using(DB).create(name="gone"))
            counted.append(await run(lambda: Author.objects.using(DB).count()))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await fail()
    assert counted == [1]
    assert await run(lambda: Author.objects.using(DB).count()) == 0

    async with native_atomic(using=DB):
        await run(lambda: Author.objects.using(DB).create(name="kept"))

        @native_atomic(using=DB)
        async def duplicate():
            await run(lambda: Tag.objects.using(DB).create(name="d"))
            await run(lambda: Tag.objects.using(DB).create(name="d"))

        with pytest.raises(IntegrityError):
            await duplicate()
    assert await run(lambda: list(Author.objects.using(DB).values_list("name", flat=True))) == [
        "kept"
    ]
    assert await run(lambda: Tag.objects.using(DB).count()) == 0


async def test_concurrent_tasks_are_isolated_from_each_other():
    """Two tasks in transactions at once: neither sees the other's uncommitted row, and each
    task gets its own wrapper (and server backend)."""
    created, read = asyncio.Barrier(2), asyncio.Barrier(2)
    seen = {}

    async def task(name):
        async with native_atomic(using=DB):
            pid = await run(lambda: connections[DB].connection.info.backend_pid)
            await run(lambda: Author.objects.using(DB).create(name=name))
            await created.wait()  # both rows exist, neither is committed
            seen[name] = (
                pid,
                await run(lambda: sorted(Author.objects.using(DB).values_list("name", flat=True))),
                await run(lambda: connections[DB].in_atomic_block),
            )
            await read.wait()

    await asyncio.gather(task("a"), task("b"))
    assert seen["a"][1] == ["a"]
    assert seen["b"][1] == ["b"]
    assert seen["a"][0] != seen["b"][0]
    assert seen["a"][2] is seen["b"][2] is True
    assert await run(lambda: Author.objects.using(DB).count()) == 2


async def test_fifty_concurrent_tasks_share_a_bounded_pool():
    await run(lambda: Author.objects.using(DB).create(name="Ann"))
    pool = await get_pool(DB)
    threads_before = set(threading.enumerate())
    names = await asyncio.gather(
        *(run(lambda: Author.objects.using(DB).get(name="Ann").name) for _ in range(50))
    )
    assert names == ["Ann"] * 50
    assert pool.size <= pool.options.max_size
    assert pool.free == pool.size
    assert set(threading.enumerate()) - threads_before == set()  # no thread started


async def test_sync_orm_on_the_loop_still_raises_synchronous_only_operation():
    with pytest.raises(SynchronousOnlyOperation):
        Author.objects.using(DB).count()
    with pytest.raises(SynchronousOnlyOperation):
        connections[DB].cursor()
    # A wrapper smuggled out of the greenlet refuses to work on the loop.
    leaked = await run(lambda: connections[DB])
    with pytest.raises(SynchronousOnlyOperation):
        leaked.cursor()
    # Inside the function, other aliases keep Django's guard.
    with pytest.raises(SynchronousOnlyOperation):
        await run(lambda: connections["default"].cursor())
    # After native calls, this task's connections[DB] is Django's guarded wrapper again.
    assert type(connections[DB]).__name__ == "DatabaseWrapper"
    with pytest.raises(SynchronousOnlyOperation):
        Author.objects.using(DB).exists()


async def test_run_native_rejects_an_alias_on_another_engine():
    assert uses_native_path(DB)
    assert not uses_native_path("postgres")
    with pytest.raises(ConfigurationError, match="'postgres' does not use the native engine"):
        await run_native(lambda: None, using="postgres")


async def test_raw_cursors_named_parameters_executemany_and_query_capture():
    from django.test.utils import CaptureQueriesContext

    def work():
        with connections[DB].cursor() as cursor:
            cursor.executemany(
                "INSERT INTO nativeapp_tag (name) VALUES (%s)", [["a"], ["b%"], ["c"]]
            )
            cursor.execute(
                "SELECT name FROM nativeapp_tag WHERE name LIKE %(pattern)s OR name = %(pattern)s "
                "ORDER BY name",
                {"pattern": "b%%"},
            )
            named = cursor.fetchall()
            cursor.execute("SELECT 100 %% 7, %s::text", ["50%"])
            modulo = cursor.fetchone()
            cursor.execute("SELECT 1 AS one WHERE false")
            columns = [column.name for column in cursor.description]
            cursor.callproc("lower", ["ABC"])
            called = cursor.fetchone()
            cursor.execute(
                "CREATE TEMPORARY TABLE scratch (n int); INSERT INTO scratch VALUES (1), (2)"
            )
            cursor.execute("SELECT sum(n) FROM scratch")
            called += cursor.fetchone()
            cursor.execute("DROP TABLE scratch")
        with CaptureQueriesContext(connections[DB]) as captured:
            Tag.objects.using(DB).filter(name="a").count()
        return named, modulo, columns, called, [q["sql"] for q in captured.captured_queries]

    named, modulo, columns, called, queries = await run(work)
    assert called == ("abc", 3)
    assert named == [("b%",)]
    assert modulo == (2, "50%")
    assert columns == ["one"]
    assert len(queries) == 1
    assert "'a'" in queries[0]  # parameters inlined, as psycopg's client-side binding shows


async def test_what_cannot_work_natively_says_so():
    from django.db import NotSupportedError

    def copy():
        with connections[DB].cursor() as cursor:
            cursor.copy("COPY nativeapp_tag TO STDOUT")

    with pytest.raises(NotSupportedError, match="COPY"):
        await run(copy)


async def test_strings_where_the_server_expects_another_type_work_as_with_psycopg():
    import datetime

    from django.db.models import IntegerField, Value
    from django.db.models.functions import Cast

    def work():
        tag = Tag.objects.using(DB).create(name="x")
        with connections[DB].cursor() as cursor:
            cursor.execute("SELECT name FROM nativeapp_tag WHERE id = %s", [str(tag.pk)])
            by_string_id = cursor.fetchone()
            cursor.execute("SELECT %s::date, %s", ["2024-02-29", "plain"])
            dates = cursor.fetchone()
            cursor.execute("SELECT name FROM nativeapp_tag WHERE id = %s", [str(tag.pk)])
            again = cursor.fetchone()  # the rewrite is cached
        cast = Tag.objects.using(DB).annotate(n=Cast(Value("41"), IntegerField())).get().n
        return by_string_id, dates, again, cast

    assert await run(work) == (("x",), (datetime.date(2024, 2, 29), "plain"), ("x",), 41)
