"""AsyncTemplateResponse: rendered by Django's async handler; middleware and decorators first."""

import pytest
from django.test import RequestFactory, override_settings

from django_asyncx.templates import AsyncTemplateResponse
from tests.support.template_support import engines
from tests.support.testapp.models import Author, Book

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books():
    ada = Author.objects.create(name="Ada")
    return [Book.objects.create(title=f"Book {i}", author=ada) for i in range(3)]


class RetitleMiddleware:
    """Changes the context before rendering, as template-response middleware may."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)

    def process_template_response(self, request, response):
        response.context_data["title"] = "Retitled"
        return response


async def test_function_view_response_is_rendered_by_the_async_handler(books, async_client):
    response = await async_client.get("/templates/response/")
    assert response.status_code == 200
    assert b"<li>Book 2 by Ada</li>" in response.content
    assert b"<h1>Shelf</h1>" in response.content


async def test_a_sync_view_under_the_async_handler_may_return_it_too(books, async_client):
    response = await async_client.get("/templates/response-sync-view/")
    assert b"<h1>Sync</h1>" in response.content
    assert b"<li>Book 1 by Ada</li>" in response.content


@override_settings(MIDDLEWARE=["tests.templates.test_template_response.RetitleMiddleware"])
async def test_middleware_changes_the_context_before_rendering(books, async_client):
    response = await async_client.get("/templates/response/")
    assert b"<h1>Retitled</h1>" in response.content
    assert b"<li>Book 0 by Ada</li>" in response.content


async def test_class_based_view_with_response_class(books, async_client):
    response = await async_client.get("/templates/cbv/")
    assert b"<h1>CBV</h1>" in response.content
    assert b"<li>Book 1 by Ada</li>" in response.content


async def test_django_asyncx_async_template_view_with_the_response_class(books, async_client):
    response = await async_client.get("/templates/asyncx-cbv/")
    assert b"<h1>AsyncCBV</h1>" in response.content
    assert b"<li>Book 2 by Ada</li>" in response.content
    assert b"<p>3 books;" in response.content  # an awaitable in get_context_data, resolved


@override_settings(TEMPLATES=engines())
async def test_render_is_a_coroutine_once_only_with_sync_and_async_callbacks(books):
    calls = []
    response = AsyncTemplateResponse(
        RequestFactory().get("/"), "asyncx/shelf.html", {"title": "T", "books": Book.objects.all()}
    )
    response.template_name = ["asyncx/missing.html", "asyncx/shelf.html"]  # as a decorator may

    def sync_callback(r):
        calls.append("sync")

    async def async_callback(r):
        calls.append("async")

    response.add_post_render_callback(sync_callback)
    response.add_post_render_callback(async_callback)
    assert not response.is_rendered
    assert await response.render() is response
    assert await response.render() is response
    assert calls == ["sync", "async"]
    assert b"<h1>T</h1>" in response.content


@override_settings(TEMPLATES=engines())
async def test_a_callback_may_replace_the_response():
    response = AsyncTemplateResponse(RequestFactory().get("/"), "asyncx/shelf.html", {})
    replacement = AsyncTemplateResponse(RequestFactory().get("/"), "asyncx/shelf.html", {})

    async def replace(r):
        return replacement

    response.add_post_render_callback(replace)
    assert await response.render() is replacement
