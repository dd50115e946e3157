"""Example pages: concurrent context with arender, a streamed page, a Jinja2 async page."""

from __future__ import annotations

import asyncio
from typing import Any

from demo.models import Author, Book
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from django_asyncx.templates import arender, astream_template

UPSTREAM_DELAY = 0.1
SLOW_SECTION_DELAY = 0.2


async def fetch_forecast() -> dict[str, Any]:
    """Stands for an upstream HTTP call (with django_asyncx.http: ``request.http.get``)."""
    await asyncio.sleep(UPSTREAM_DELAY)
    return {"sky": "clear", "high": 21}


async def bookshop(request: HttpRequest) -> HttpResponse:
    """Two querysets and an upstream call, resolved concurrently, then rendered."""
    return await arender(
        request,
        "pages/bookshop.html",
        {
            "authors": Author.objects.order_by("name")[:10],
            # No select_related: the template's {{ book.author.name }} loads lazily, which
            # works because the template renders through the DB bridge.
            "recent": Book.objects.order_by("-published", "id")[:20],
            "forecast": fetch_forecast(),
        },
    )


async def slow_summary() -> dict[str, Any]:
    """A slow section: an expensive aggregate or a slow upstream."""
    await asyncio.sleep(SLOW_SECTION_DELAY)
    return {"books": await Book.objects.acount(), "authors": await Author.objects.acount()}


async def streamed(request: HttpRequest) -> StreamingHttpResponse:
    """The head is sent at once; the slow summary is awaited at the {% flush %}."""
    return astream_template(
        request,
        "pages/streamed.html",
        {"title": "Catalogue summary", "summary": slow_summary()},
    )


async def buffered(request: HttpRequest) -> HttpResponse:
    """The same page rendered whole: nothing is sent before the slow summary is ready."""
    return await arender(
        request,
        "pages/streamed.html",
        {"title": "Catalogue summary", "summary": slow_summary()},
    )


async def jinja_authors(request: HttpRequest) -> HttpResponse:
    """A Jinja2 page: an async global queries through the bridge, an async filter."""
    return await arender(
        request,
        "pages/authors.html",
        {
            "authors": Author.objects.order_by("name")[:10],
            "cheapest": Book.objects.select_related("author").order_by("price", "id")[:5],
        },
        using="jinja2",
    )
