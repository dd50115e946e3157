"""Recipe: a page whose context holds two querysets and an upstream call, resolved at once.

``arender`` resolves every value of the context concurrently before rendering: each queryset
in its own bridge call (in parallel up to the ``db`` pool size), each awaitable awaited, so
the page waits for the slowest value, not for the sum of them.
"""

import asyncio
from datetime import date

from demo.models import Author, Book
from django.test import RequestFactory, override_settings

from django_asyncx.templates import arender

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "home.html": (
                            "{{ authors|length }} authors, {{ recent|length }} recent books, "
                            "{{ weather.sky }} sky"
                        )
                    },
                )
            ]
        },
    }
]


async def fetch_weather():
    """Stands for an upstream HTTP call (``await request.http.get(...)``)."""
    await asyncio.sleep(0.05)
    return {"sky": "clear"}


async def home(request):
    return await arender(request, "home.html", {
        "authors": Author.objects.order_by("name"),
        "recent": Book.objects.select_related("author").order_by("-published")[:10],
        "weather": fetch_weather(),
    })  # fmt: skip


async def demo():
    """Run the recipe."""
    author = await Author.objects.acreate(name="Concurrent")
    await Book.objects.acreate(author=author, title="One", published=date(2024, 1, 1), price=1)
    with override_settings(TEMPLATES=TEMPLATES):
        response = await home(RequestFactory().get("/"))
    assert response.content == b"1 authors, 1 recent books, clear sky"
