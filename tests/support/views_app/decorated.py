"""Views wrapped in django_asyncx.views decorators, for the decorator tests."""

import asyncio
import threading

from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View

from django_asyncx.db import run_in_db
from django_asyncx.views import async_view, cache_page, limit_concurrency, timeout
from tests.support.testapp.models import Entry

STATE: dict = {}


def reset():
    STATE.clear()
    STATE.update(
        entered=0, calls=0, release=asyncio.Event(), events=[], sync_release=threading.Event()
    )


@timeout(0.3)
async def writes_then_hangs(request):
    await run_in_db(Entry.objects.create, label="before")
    STATE["events"].append("wrote")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        STATE["events"].append("cancelled")
        raise
    await run_in_db(Entry.objects.create, label="after")
    return HttpResponse("done")


@timeout(0.2, status=503)
def sync_hangs(request):
    STATE["sync_release"].wait(10)
    STATE["events"].append("sync finished")
    return HttpResponse("late")


@timeout(5)
async def quick(request):
    return HttpResponse("quick")


@method_decorator(timeout(0.2), name="dispatch")
class HangingView(View):
    async def get(self, request):
        await asyncio.sleep(30)
        return HttpResponse("never")


@limit_concurrency(5)
async def gated(request):
    STATE["entered"] += 1
    await STATE["release"].wait()
    return HttpResponse("served")


@limit_concurrency(2, key=lambda request: request.GET["user"])
async def gated_per_user(request):
    STATE["entered"] += 1
    await STATE["release"].wait()
    return HttpResponse(f"served {request.GET['user']}")


async def user_key(request):
    return request.GET["user"]


@limit_concurrency(1, key=user_key, wait=30)
async def queued(request):
    STATE["entered"] += 1
    await STATE["release"].wait()
    return HttpResponse("served")


@limit_concurrency(1, wait=0.05, retry_after=7)
async def short_wait(request):
    STATE["entered"] += 1
    await STATE["release"].wait()
    return HttpResponse("served")


@limit_concurrency(1)
def sync_gated(request):
    STATE["entered"] += 1
    STATE["sync_release"].wait(10)
    return HttpResponse("sync served")


@cache_page(60)
async def cached(request):
    STATE["calls"] += 1
    return JsonResponse({"calls": STATE["calls"]})


@cache_page(60, cache="slow")
async def cached_slow(request):
    STATE["calls"] += 1
    return HttpResponse("slow page")


@cache_page(60)
def cached_sync(request):
    STATE["calls"] += 1
    return HttpResponse(f"sync calls={STATE['calls']}")


@async_view
def sync_orm(request):
    return HttpResponse(f"entries={Entry.objects.count()}")


@async_view(using="default")
def sync_orm_called(request):
    return HttpResponse(f"entries={Entry.objects.count()}")


def plain_sync_orm(request):
    return HttpResponse(f"entries={Entry.objects.count()}")


async def plain(request):
    return HttpResponse("plain")


class SlowCache(LocMemCache):
    """A cache whose reads block their thread until the test lets them go."""

    def get(self, key, default=None, version=None):
        STATE["events"].append("slow get started")
        gate = STATE.get("cache_gate")
        if gate is not None:
            STATE["events"].append("released" if gate.wait(10) else "gate timed out")
        return super().get(key, default, version)


@cache_page(60, key_prefix="tpl")
async def cached_template(request):
    from django.template.response import TemplateResponse

    STATE["calls"] += 1
    return TemplateResponse(request, "views_app/hello.html", {"who": STATE["calls"]})


@method_decorator(limit_concurrency(1), name="dispatch")
class GatedClassView(View):
    async def get(self, request):
        STATE["entered"] += 1
        await STATE["release"].wait()
        return HttpResponse("class served")


@method_decorator(cache_page(60), name="dispatch")
class CachedClassView(View):
    async def get(self, request):
        STATE["calls"] += 1
        return HttpResponse(f"class calls={STATE['calls']}")


@async_view
def sync_write(request):
    Entry.objects.create(label=request.GET["label"])
    if "fail" in request.GET:
        raise ValueError("undo")
    return HttpResponse("written")
