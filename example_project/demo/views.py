"""The demo's views: a home page and two async JSON endpoints."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from django_asyncx.db import run_in_db

from .lifespan import page_views
from .models import Author, Book

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


async def home(request: HttpRequest) -> HttpResponse:
    """Links to the API, and which database engine serves it."""
    return render(
        request,
        "demo/home.html",
        {"vendor": connection.vendor, "engine": settings.DATABASES["default"]["ENGINE"]},
    )


def book_list(*, author_id: int | None, limit: int) -> list[dict[str, Any]]:
    """The newest books, optionally of one author, as JSON-ready dicts (sync ORM code)."""
    books = Book.objects.select_related("author").order_by("-published", "id")
    if author_id is not None:
        books = books.filter(author_id=author_id)
    return [
        {
            "id": book.pk,
            "title": book.title,
            "author": {"id": book.author.pk, "name": book.author.name},
            "published": book.published.isoformat(),
            "price": str(book.price),
        }
        for book in books[:limit]
    ]


def _int_param(
    request: HttpRequest, name: str, *, default: int | None, low: int, high: int
) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"?{name}= must be an integer from {low} to {high}, got {raw!r}")
    return value


async def api_books(request: HttpRequest) -> JsonResponse:
    """``GET /api/books/?author=<id>&limit=<1..100>``: the newest books, as JSON."""
    try:
        author_id = _int_param(request, "author", default=None, low=1, high=2**63 - 1)
        limit = _int_param(request, "limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    assert limit is not None
    books = await run_in_db(book_list, author_id=author_id, limit=limit)
    counter = await page_views.aget()
    counter.bump(request.path)
    return JsonResponse({"count": len(books), "books": books})


def _counts() -> dict[str, int]:
    return {"authors": Author.objects.count(), "books": Book.objects.count()}


async def api_stats(request: HttpRequest) -> JsonResponse:
    """``GET /api/stats/``: how many authors and books, and this event loop's page views."""
    counts = await run_in_db(_counts)
    counter = await page_views.aget()
    counter.bump(request.path)
    return JsonResponse({**counts, "page_views": counter.total, "database": connection.vendor})
