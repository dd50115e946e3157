"""A view making three bridge queries and three of Django's a-method queries."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from django_asyncx.db import run_in_db
from tests.support.testapp.models import Entry


async def six_queries(request: HttpRequest, alias: str) -> HttpResponse:
    entries = Entry.objects.using(alias)
    counts = [await run_in_db(entries.count) for _ in range(3)]
    counts += [await entries.acount() for _ in range(3)]
    return HttpResponse(",".join(map(str, counts)), content_type="text/plain")


urlpatterns = [
    path("six/<str:alias>/", six_queries),
    path("__debug__/", include("debug_toolbar.urls")),
]
