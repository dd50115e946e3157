"""Recipe: migrating ``render()`` to ``arender()``.

Before: a sync view. Made ``async def`` as is, it breaks: the lazy queryset and the lazy
foreign key in the context are evaluated while the template renders, on the event loop, and
Django raises ``SynchronousOnlyOperation``.

After: ``await arender(...)`` with the same arguments. The queryset is evaluated in the DB
bridge before rendering, and the template is rendered through the bridge, so the lazy
``book.author`` still works (no ``select_related`` needed, though it saves queries).
"""

from datetime import date

from demo.models import Author, Book
from django.core.exceptions import SynchronousOnlyOperation
from django.shortcuts import render
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
                        "books.html": (
                            "{% for b in books %}{{ b.title }} by {{ b.author }}; {% endfor %}"
                        )
                    },
                )
            ]
        },
    }
]


def books_sync(request):  # before, in a sync view: fine
    return render(request, "books.html", {"books": Book.objects.order_by("title")})


async def books_naive(request):  # before, made async as is: breaks
    return render(request, "books.html", {"books": Book.objects.order_by("title")})


async def books(request):  # after
    return await arender(request, "books.html", {"books": Book.objects.order_by("title")})


async def demo():
    """Run the recipe: the naive async view fails, the arender one gives the sync output."""
    from asgiref.sync import sync_to_async

    author = await Author.objects.acreate(name="Cookbook Author")
    await Book.objects.acreate(author=author, title="Migrated", published=date(2024, 1, 1), price=1)
    request = RequestFactory().get("/books/")
    with override_settings(TEMPLATES=TEMPLATES):
        try:
            await books_naive(request)
        except SynchronousOnlyOperation:
            pass
        else:
            raise AssertionError("render() in an async view evaluated the queryset on the loop")
        before = await sync_to_async(books_sync)(request)
        after = await books(request)
    assert after.content == before.content
    assert b"Migrated by Cookbook Author;" in after.content
