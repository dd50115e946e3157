"""Recipe: give a slow view a deadline with ``@timeout``."""

import asyncio

from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import ASGIHandler
from django_asyncx.testing.client import arequest
from django_asyncx.views import timeout


@timeout(0.5)  # cancel after half a second and answer 504
async def report(request):
    await asyncio.sleep(10)  # stands for a slow query or upstream call
    return HttpResponse("report")


@timeout(2, status=503)  # a different status for the answer
async def quick(request):
    return HttpResponse("quick")


urlpatterns = [path("report/", report), path("quick/", quick)]


async def demo():
    """Run the recipe: the slow view is cancelled, the quick one answers."""
    import sys

    with override_settings(ROOT_URLCONF=sys.modules[__name__], MIDDLEWARE=[]):
        app = ASGIHandler()
        slow = await arequest(app, "GET", "/report/")
        fast = await arequest(app, "GET", "/quick/")
    assert slow.status == 504
    assert (fast.status, fast.body) == (200, b"quick")
