"""The example pages (example_project/pages): arender, streaming and Jinja2, in process."""

import io
from pathlib import Path

import pytest
from demo.models import Author, Book
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = ROOT / "example_project" / "pages"

# What the lead adds to example_project/config/settings.py, without installing the app here.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PAGES / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
    {
        "BACKEND": "django_asyncx.templates.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [PAGES / "jinja2"],
        "OPTIONS": {"environment": "pages.jinja2.environment"},
    },
]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("pages.urls"),
]


@pytest.fixture(autouse=True)
def seeded():
    call_command("seed_demo", "--authors", "3", "--books-per-author", "4", stdout=io.StringIO())
    with override_settings(TEMPLATES=TEMPLATES):
        yield


async def test_bookshop_resolves_querysets_and_the_upstream_call(async_client):
    response = await async_client.get("/bookshop/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Forecast: clear, 21°C" in page
    async for book in Book.objects.select_related("author").order_by("-published", "id")[:20]:
        assert f"<td>{book.title}</td><td>{book.author.name}</td>" in page
    assert page.count("<li>") == await Author.objects.acount()


async def test_streamed_page_sends_the_head_then_the_summary(async_client):
    response = await async_client.get("/streamed/")
    chunks = [chunk async for chunk in response.streaming_content]
    assert len(chunks) == 2
    assert chunks[0].rstrip().endswith(b"</head>")
    books, authors = await Book.objects.acount(), await Author.objects.acount()
    assert f"{books} books by {authors} authors.".encode() in chunks[1]
    buffered = await async_client.get("/buffered/")
    assert buffered.content == b"".join(chunks)


async def test_jinja2_page_awaits_its_async_global_and_filter(async_client):
    response = await async_client.get("/jinja/")
    page = response.content.decode()
    async for author in Author.objects.order_by("name"):
        count = await Book.objects.filter(author=author).acount()
        assert f"<li>{author.name}: {count} books</li>" in page
    cheapest = await Book.objects.select_related("author").order_by("price", "id").afirst()
    assert f"{cheapest.title} ({cheapest.author.name}) ${cheapest.price}" in page
