"""Recipe: cache a page with ``@cache_page``, without blocking the loop."""

from django.http import JsonResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import count_hops
from django_asyncx.testing.client import arequest
from django_asyncx.views import cache_page

calls = 0


@cache_page(60)  # same signature as Django's; Redis is reached natively async
async def prices(request):
    global calls
    calls += 1
    return JsonResponse({"computed": calls})


urlpatterns = [path("prices/", prices)]


async def demo():
    """Run the recipe: the second request is a cache hit; no thread hop for either."""
    import sys

    global calls
    calls = 0
    caches = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[], CACHES=caches):
        app = ASGIHandler()
        with count_hops() as hops:
            first = await arequest(app, "GET", "/prices/")
            second = await arequest(app, "GET", "/prices/")
    assert first.body == second.body == b'{"computed": 1}'
    assert second.header("cache-control") == "max-age=60"
    assert hops.count == 0
