"""Views and URLs the test-client tests drive (``ROOT_URLCONF`` of those tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import include, path

from django_asyncx.db import run_in_db
from tests.support.testapp.models import Author, Book, Entry

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "client/books.html": (
                            "{% for book in books %}{{ book.title }} by "
                            "{{ book.author.name }};{% endfor %}"
                        ),
                    },
                )
            ],
        },
    }
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_asyncx.middleware.HttpClientMiddleware",
]


async def books(request: HttpRequest) -> TemplateResponse:
    """A template over a queryset; the author (a FK) is loaded while rendering."""
    return TemplateResponse(request, "client/books.html", {"books": Book.objects.all()})


async def add_author(request: HttpRequest) -> HttpResponse:
    """A form POST written through the DB bridge, then a redirect to the list."""
    await run_in_db(Author.objects.create, name=request.POST["name"])
    return redirect("/client/authors/")


async def authors(request: HttpRequest) -> HttpResponse:
    names = await run_in_db(lambda: list(Author.objects.values_list("name", flat=True)))
    return HttpResponse(",".join(sorted(names)))


async def fails(request: HttpRequest) -> HttpResponse:
    await Entry.objects.acreate(label="undone")
    raise ValueError("the view failed")


async def stream(request: HttpRequest) -> StreamingHttpResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for number in range(3):
            yield f"chunk {number};".encode()

    return StreamingHttpResponse(chunks())


async def rates(request: HttpRequest) -> HttpResponse:
    """Calls the ``default`` HTTP client through ``request.http``."""
    upstream = await request.http.get("/rates/eur")  # type: ignore[attr-defined]
    return HttpResponse(
        upstream.content, status=upstream.status, content_type=upstream.headers["content-type"]
    )


async def who(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    return HttpResponse(user.get_username() or "anonymous")


urlpatterns = [
    path("client/books/", books),
    path("client/authors/", authors),
    path("client/authors/add/", add_author),
    path("client/fails/", fails),
    path("client/stream/", stream),
    path("client/rates/", rates),
    path("client/who/", who),
    path("testapp/", include("tests.support.testapp.urls")),
]
