"""The views of ``templates``: one 100-row table (a foreign key per row) rendered four ways,
and a page with a 200 ms slow section, streamed and buffered."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from demo.models import Book
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from django_asyncx.templates import arender, astream_template

SLOW_SECTION_S = 0.2


def _books() -> QuerySet[Book]:
    return Book.objects.select_related("author").order_by("id")[:100]


def table_sync(request: HttpRequest) -> HttpResponse:
    """Django's render() in a sync view (served by WSGI)."""
    return render(request, "bench_table.html", {"books": _books()})


async def table_stock_async(request: HttpRequest) -> HttpResponse:
    """What an async view does without django_asyncx: render() through sync_to_async."""
    return await sync_to_async(render)(request, "bench_table.html", {"books": _books()})


async def table_arender(request: HttpRequest) -> HttpResponse:
    """arender(): the queryset resolved in the DB bridge, the template rendered through it."""
    return await arender(request, "bench_table.html", {"books": _books()})


async def _slow_section() -> str:
    await asyncio.sleep(SLOW_SECTION_S)
    return "slow section ready"


async def streamed(request: HttpRequest) -> StreamingHttpResponse:
    """The head is sent before the slow section is ready."""
    return astream_template(request, "bench_streamed.html", {"slow": _slow_section()})


async def buffered(request: HttpRequest) -> HttpResponse:
    """The same page rendered whole."""
    return await arender(request, "bench_streamed.html", {"slow": _slow_section()})
