"""Recipe: a transaction across awaits, with row locks, on the native engine.

``async with atomic(using)`` binds the task to one asyncpg connection for the block; the
a-methods and ``run_in_db`` calls inside it run in that transaction. Raising (or being
cancelled) rolls it back.
"""

from django.db.models import F

from django_asyncx.db import atomic, run_in_db
from tests.support.nativeapp.models import Book  # your models here

DB = "native"


class OutOfStock(Exception):
    """Not enough pages to move."""


async def move_pages(source_id: int, target_id: int, pages: int) -> None:
    """Move ``pages`` from one book to another, atomically."""
    async with atomic(DB):
        source = await Book.objects.using(DB).select_for_update().aget(pk=source_id)
        if source.pages < pages:
            raise OutOfStock(f"book {source_id} has {source.pages} pages, {pages} asked")
        await Book.objects.using(DB).filter(pk=source_id).aupdate(pages=F("pages") - pages)
        # A sync helper joins the same transaction.
        await run_in_db(
            lambda: Book.objects.using(DB).filter(pk=target_id).update(pages=F("pages") + pages),
            using=DB,
        )
