"""Recipe: protect an expensive view with ``@limit_concurrency``."""

import asyncio

from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.testing.client import arequest
from django_asyncx.views import limit_concurrency

release = asyncio.Event()


@limit_concurrency(2)  # two at a time; the third gets 503 with Retry-After
async def export(request):
    await release.wait()  # stands for a heavy export
    return HttpResponse("export")


def client_ip(request):
    return request.META.get("REMOTE_ADDR")


@limit_concurrency(1, key=client_ip, wait=5)  # one per client; others wait up to 5 s
async def search(request):
    return HttpResponse("results")


urlpatterns = [path("export/", export), path("search/", search)]


async def demo():
    """Run the recipe: 3 concurrent exports, one is refused; searches queue and pass."""
    import sys

    global release
    release = asyncio.Event()
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]):
        app = ASGIHandler()
        exports = [asyncio.create_task(arequest(app, "GET", "/export/")) for _ in range(3)]
        refused = await next(asyncio.as_completed(exports))
        assert (refused.status, refused.header("retry-after")) == (503, "1")
        release.set()
        statuses = sorted(r.status for r in await asyncio.gather(*exports))
        assert statuses == [200, 200, 503]
        searches = await asyncio.gather(*(arequest(app, "GET", "/search/") for _ in range(3)))
        assert [r.status for r in searches] == [200, 200, 200]
