"""Recipe: reuse sync ORM code as is, lazy loads included, from async code.

A sync function run with ``run_in_db`` on a native alias runs in a greenlet on the event
loop: lazy foreign keys, ``refresh_from_db`` and ``transaction.atomic`` work inside it as in
a sync view, each query awaited on asyncpg.
"""

from django.db import transaction

from django_asyncx.db import database_sync_to_async
from tests.support.nativeapp.models import Book, Review  # your models here

DB = "native"


@database_sync_to_async(using=DB)
def review_summary(book_id: int) -> dict[str, object]:
    """A sync report: lazy relation access and an atomic write, unchanged sync code."""
    book = Book.objects.using(DB).get(pk=book_id)
    with transaction.atomic(using=DB):
        Review.objects.using(DB).create(book=book, stars=5)
    reviews = list(book.reviews.all())  # reverse relation, loaded lazily
    return {
        "author": book.author.name,  # forward FK, loaded lazily
        "reviews": len(reviews),
        "average": sum(r.stars for r in reviews) / len(reviews),
    }
