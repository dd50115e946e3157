"""Recipe: an async view on the native engine, with Django's own a-methods.

With ``"ENGINE": "django_asyncx.db.backends.postgresql"``, ``aget``, ``async for`` and friends
run on asyncpg in the request's task: no thread, no extra connection per request. The code is
plain Django.
"""

from django.http import HttpRequest, JsonResponse

from tests.support.nativeapp.models import Book  # your models here

DB = "native"  # the alias on the native engine ("default" in most projects)


async def book_detail(request: HttpRequest, pk: int) -> JsonResponse:
    """One book with its author and tags: one query with a join, one for the tags."""
    book = await (
        Book.objects.using(DB).select_related("author").prefetch_related("tags").aget(pk=pk)
    )
    return JsonResponse(
        {
            "title": book.title,
            "author": book.author.name,
            "tags": [tag.name for tag in book.tags.all()],
        }
    )


async def books_by(request: HttpRequest, author_id: int) -> JsonResponse:
    """A list page: ``async for`` over a queryset fetches it on the native path."""
    titles = [
        book.title
        async for book in Book.objects.using(DB).filter(author_id=author_id).order_by("title")
    ]
    return JsonResponse({"titles": titles, "count": len(titles)})
