"""Views calling upstreams, for the HttpClientMiddleware tests."""

import threading

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from django_asyncx.concurrency import gather
from django_asyncx.http import get_client


async def fanout(request: HttpRequest) -> HttpResponse:
    a, b = await gather(request.http.get("/a"), request.http.get("/b"))
    return JsonResponse({"a": a.text(), "b": b.text(), "thread": threading.get_ident()})


async def named(request: HttpRequest) -> HttpResponse:
    response = await get_client("other").get("/a")
    return HttpResponse(response.text())


async def upstream_path(request: HttpRequest, name: str) -> HttpResponse:
    response = await request.http.get("/" + name, timeout={"read": 0.2}, retries=0)
    return HttpResponse(response.text())


async def with_note(request: HttpRequest) -> HttpResponse:
    # A header value taken from user input, as a view might forward it.
    response = await request.http.get("/a", headers={"X-Note": request.GET["note"]})
    return HttpResponse(response.text())


urlpatterns = [
    path("fanout/", fanout),
    path("named/", named),
    path("call/<str:name>/", upstream_path),
    path("note/", with_note),
]
