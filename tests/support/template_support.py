"""Context processors, a Jinja2 environment, engines and views for the template tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from django.http import HttpRequest
from django.shortcuts import render
from django.urls import path
from django.views.generic import TemplateView
from jinja2 import Environment

from django_asyncx.db import run_in_db
from django_asyncx.templates import AsyncTemplateResponse, arender, astream_template
from django_asyncx.views.generic import AsyncTemplateView
from tests.support.testapp.models import Book

HERE = Path(__file__).resolve().parent


def site_tag(request: HttpRequest) -> dict[str, str]:
    return {"site_tag": f"T-{request.path}"}


async def async_site_tag(request: HttpRequest) -> dict[str, str]:
    await asyncio.sleep(0)
    return {"site_tag": f"T-{request.path}"}


async def book_count() -> int:
    return await run_in_db(Book.objects.count)


async def aupper(value: str) -> str:
    await asyncio.sleep(0)
    return value.upper()


def environment(**options):
    env = Environment(**options)
    env.globals["book_count"] = book_count
    env.filters["shout"] = lambda value: f"{value}!"
    env.filters["aupper"] = aupper
    return env


def engines(*, processors=("tests.support.template_support.site_tag",), debug=False):
    """TEMPLATES: "django", "jinja2" (ours), "stockjinja2" (Django's, not async)."""
    processors = ["django.template.context_processors.request", *processors]
    jinja_options = {
        "environment": "tests.support.template_support.environment",
        "context_processors": processors,
    }
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "NAME": "django",
            "DIRS": [HERE / "templates"],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": processors, "debug": debug},
        },
        {
            "BACKEND": "django_asyncx.templates.backends.jinja2.Jinja2",
            "NAME": "jinja2",
            "DIRS": [HERE / "jinja2"],
            "OPTIONS": jinja_options,
        },
        {
            "BACKEND": "django.template.backends.jinja2.Jinja2",
            "NAME": "stockjinja2",
            "DIRS": [HERE / "jinja2"],
            "OPTIONS": {
                **jinja_options,
                "context_processors": [p for p in processors if "async" not in p],
            },
        },
    ]


# --------------------------------------------------------------------------- views


async def shelf_arender(request):
    return await arender(
        request, "asyncx/shelf.html", {"title": "Shelf", "books": Book.objects.order_by("id")}
    )


async def shelf_stock_render(request):
    return render(
        request, "asyncx/shelf.html", {"title": "Shelf", "books": Book.objects.order_by("id")}
    )


async def shelf_response(request):
    return AsyncTemplateResponse(
        request, "asyncx/shelf.html", {"title": "Shelf", "books": Book.objects.order_by("id")}
    )


def shelf_response_sync_view(request):
    return AsyncTemplateResponse(
        request, "asyncx/shelf.html", {"title": "Sync", "books": Book.objects.order_by("id")}
    )


async def whoami(request):
    return await arender(request, "asyncx/user.html")


async def whoami_jinja2(request):
    return await arender(request, "asyncx/user.html", using="jinja2")


async def response_plain(request):
    async def title():
        return "Deferred"

    return AsyncTemplateResponse(request, "asyncx/stream.html", {"title": title(), "slow": "s"})


async def broken(request):
    return await arender(request, "asyncx/broken.html", {"book": Exploding()})


async def failing_context(request):
    async def forecast():
        raise ValueError("upstream answered 503")

    return await arender(request, "asyncx/shelf.html", {"forecast": forecast()})


class Exploding:
    @property
    def explode(self):
        raise ZeroDivisionError("exploded on purpose")


class ShelfView(TemplateView):
    template_name = "asyncx/shelf.html"
    response_class = AsyncTemplateResponse

    async def get(self, request, *args, **kwargs):
        return self.render_to_response({"title": "CBV", "books": Book.objects.order_by("id")})


class AsyncxShelfView(AsyncTemplateView):
    """django_asyncx's async CBV with AsyncTemplateResponse: its context is resolved."""

    template_name = "asyncx/shelf.html"
    response_class = AsyncTemplateResponse

    async def get_context_data(self, **kwargs):
        return {"title": "AsyncCBV", "books": Book.objects.order_by("id"), "count": count()}


async def count():
    return await Book.objects.acount()


def _marker(request, name: str) -> Path:
    return Path(request.GET["dir"]) / name


async def stream_until_file(request):
    """Streams the head, then waits until the test creates ``<dir>/go``."""

    async def slow():
        _marker(request, "started").touch()
        try:
            # The test, in another process, says when to go by creating a file.
            while not _marker(request, "go").exists():  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        except asyncio.CancelledError:
            _marker(request, "cancelled").touch()
            raise
        return "slow part done"

    return astream_template(request, "asyncx/stream.html", {"title": "Streamed", "slow": slow()})


urlpatterns = [
    path("arender/", shelf_arender),
    path("stock-render/", shelf_stock_render),
    path("response/", shelf_response),
    path("response-sync-view/", shelf_response_sync_view),
    path("cbv/", ShelfView.as_view()),
    path("asyncx-cbv/", AsyncxShelfView.as_view()),
    path("whoami/", whoami),
    path("whoami-jinja2/", whoami_jinja2),
    path("response-plain/", response_plain),
    path("broken/", broken),
    path("failing-context/", failing_context),
    path("stream-until-file/", stream_until_file),
]
