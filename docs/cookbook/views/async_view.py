"""Recipe: migrate a sync view with ``@async_view`` instead of rewriting it."""

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import count_hops
from django_asyncx.testing.client import arequest
from django_asyncx.views import async_view


@async_view  # the sync ORM code runs on the bounded DB pool; the stack stays async
def legacy_report(request):
    names = ", ".join(User.objects.order_by("username").values_list("username", flat=True))
    return HttpResponse(f"users: {names}")


urlpatterns = [path("legacy/", legacy_report)]


async def demo():
    """Run the recipe: one thread hop (the pool) instead of two."""
    import sys

    await User.objects.acreate(username="cookbook-legacy")
    urls = override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[])
    with urls, count_hops() as hops:
        result = await arequest(ASGIHandler(), "GET", "/legacy/")
    assert b"cookbook-legacy" in result.body
    assert hops.count == 1
