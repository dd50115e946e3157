"""Views the bridge tests drive through the ASGI entry."""

import asyncio
import time

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from tests.support.testapp.models import Entry


async def create_entry(request: HttpRequest, alias: str) -> HttpResponse:
    """Write a row, then fail if asked to: ATOMIC_REQUESTS must undo the write."""
    await Entry.objects.using(alias).acreate(label=request.GET["label"])
    if "fail" in request.GET:
        raise RuntimeError("failing after the write")
    return HttpResponse("created")


@transaction.non_atomic_requests
async def create_entry_non_atomic(request: HttpRequest, alias: str) -> HttpResponse:
    """The same, opted out of ATOMIC_REQUESTS: the write stays."""
    return await create_entry(request, alias)


async def block_the_loop(request: HttpRequest) -> HttpResponse:
    """A sync sleep in an async view: the mistake the loop-block detector is for."""
    time.sleep(0.3)  # noqa: ASYNC251
    return HttpResponse("slept")


async def sleep_politely(request: HttpRequest) -> HttpResponse:
    """The same wait, awaited: the loop stays free."""
    await asyncio.sleep(0.3)
    return HttpResponse("slept")


async def count_entries(request: HttpRequest, alias: str) -> HttpResponse:
    """Django's own a-method, outside any transaction: it runs on the request's thread."""
    return HttpResponse(str(await Entry.objects.using(alias).acount()))
