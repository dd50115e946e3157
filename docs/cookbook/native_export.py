"""Recipe: stream a large table as CSV with bounded memory.

``aiterator(chunk_size)`` on the native engine reads through a server-side cursor, one chunk
at a time, on one connection held until the stream ends (or the client goes away).
"""

from collections.abc import AsyncIterator

from django.http import HttpRequest, StreamingHttpResponse

from tests.support.nativeapp.models import Book  # your models here

DB = "native"


async def rows(chunk_size: int = 500) -> AsyncIterator[str]:
    """CSV lines, header first."""
    yield "id,title,pages\n"
    books = Book.objects.using(DB).order_by("id").values_list("id", "title", "pages")
    async for book_id, title, pages in books.aiterator(chunk_size=chunk_size):
        yield f'{book_id},"{title.replace(chr(34), chr(34) * 2)}",{pages}\n'


async def export_books(request: HttpRequest) -> StreamingHttpResponse:
    """The whole table, streamed."""
    return StreamingHttpResponse(rows(), content_type="text/csv")
