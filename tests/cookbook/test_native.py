"""Every native-engine recipe in docs/cookbook/native_*.py is imported and run."""

import importlib.util
from pathlib import Path

import pytest
from django.test import AsyncRequestFactory

from django_asyncx.db import run_in_db
from tests.support.nativeapp.models import Author, Book, Tag

COOKBOOK = Path(__file__).resolve().parent.parent.parent / "docs" / "cookbook"
DB = "native"

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


def recipe(name):
    spec = importlib.util.spec_from_file_location(f"cookbook_{name}", COOKBOOK / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_native_recipe_is_tested():
    tested = {"native_view", "native_transfer", "native_export", "native_sync_block"}
    assert {path.stem for path in COOKBOOK.glob("native_*.py")} == tested


def make_books():
    ann = Author.objects.using(DB).create(name="Ann")
    red = Tag.objects.using(DB).create(name="red")
    first = Book.objects.using(DB).create(title='The "B"', author=ann, pages=10)
    first.tags.add(red)
    second = Book.objects.using(DB).create(title="A", author=ann, pages=0)
    return ann.pk, first.pk, second.pk


async def test_native_view():
    import json

    module = recipe("native_view")
    author, first, _ = await run_in_db(make_books, using=DB)
    request = AsyncRequestFactory().get("/")
    detail = json.loads((await module.book_detail(request, first)).content)
    assert detail == {"title": 'The "B"', "author": "Ann", "tags": ["red"]}
    listing = json.loads((await module.books_by(request, author)).content)
    assert listing == {"titles": ["A", 'The "B"'], "count": 2}


async def test_native_transfer_commits_or_rolls_back():
    module = recipe("native_transfer")
    _, first, second = await run_in_db(make_books, using=DB)
    await module.move_pages(first, second, 4)
    with pytest.raises(module.OutOfStock):
        await module.move_pages(second, first, 5)
    pages = await run_in_db(
        lambda: dict(Book.objects.using(DB).values_list("pk", "pages")), using=DB
    )
    assert pages == {first: 6, second: 4}


async def test_native_export_streams_csv_in_chunks():
    module = recipe("native_export")
    _, first, second = await run_in_db(make_books, using=DB)
    lines = [line async for line in module.rows(chunk_size=1)]
    assert lines == ["id,title,pages\n", f'{first},"The ""B""",10\n', f'{second},"A",0\n']
    response = await module.export_books(AsyncRequestFactory().get("/"))
    assert response["Content-Type"] == "text/csv"
    assert b"".join([chunk async for chunk in response]).count(b"\n") == 3


async def test_native_sync_block():
    module = recipe("native_sync_block")
    _, first, _ = await run_in_db(make_books, using=DB)
    assert await module.review_summary(first) == {"author": "Ann", "reviews": 1, "average": 5.0}
