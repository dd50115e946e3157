"""Recipe: stream a page so its head reaches the browser before the slow part is ready.

``astream_template`` returns a ``StreamingHttpResponse``. Everything before the first
``{% flush %}`` is sent at once (the browser starts loading CSS and scripts); the values that
need resolving are resolved meanwhile and awaited at the flush.
"""

import asyncio

from django.test import RequestFactory, override_settings

from django_asyncx.templates import astream_template

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "report.html": (
                            "{% load asyncx %}<html><head><title>{{ title }}</title>"
                            '<link rel="stylesheet" href="/app.css"></head>{% flush %}'
                            "<body>{{ total }} sales</body></html>"
                        )
                    },
                )
            ]
        },
    }
]


async def slow_total():
    await asyncio.sleep(0.2)  # a slow query or upstream call
    return 42


async def report(request):
    return astream_template(request, "report.html", {"title": "Sales", "total": slow_total()})


async def demo():
    """Run the recipe: two chunks, the head first."""
    with override_settings(TEMPLATES=TEMPLATES):
        response = await report(RequestFactory().get("/report/"))
        chunks = [chunk async for chunk in response.streaming_content]
    assert chunks == [
        b'<html><head><title>Sales</title><link rel="stylesheet" href="/app.css"></head>',
        b"<body>42 sales</body></html>",
    ]
