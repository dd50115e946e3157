"""arender_to_string / arender: same output as Django, context resolved concurrently, errors."""

import asyncio
import inspect
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.db import OperationalError
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings

from django_asyncx.db import Related, run_in_db
from django_asyncx.templates import arender, arender_to_string, aresolve_context
from tests.support.template_support import engines
from tests.support.testapp.models import Author, Book

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books():
    ada = Author.objects.create(name="Ada")
    bob = Author.objects.create(name="Bob")
    return [Book.objects.create(title=f"Book {i}", author=ada if i % 2 else bob) for i in range(5)]


@pytest.fixture
def request_():
    return RequestFactory().get("/shelf/")


def shelf_context():
    return {
        "title": "Shelf <&>",
        "books": Book.objects.order_by("id"),
        "count": Book.objects.count(),
        "first": Book.objects.order_by("id").first(),
    }


@pytest.mark.parametrize("with_request", [False, True], ids=["no-request", "request"])
@override_settings(TEMPLATES=engines())
async def test_same_output_as_render_to_string_for_django_templates(books, request_, with_request):
    request = request_ if with_request else None
    expected = await sync_to_async(render_to_string)(
        "asyncx/shelf.html", await sync_to_async(shelf_context)(), request, using="django"
    )
    context = {
        "title": "Shelf <&>",
        "books": Book.objects.order_by("id"),  # a lazy queryset
        "count": run_in_db(Book.objects.count),  # an awaitable
        "first": await run_in_db(lambda: Book.objects.order_by("id").first()),  # FK not loaded
    }
    got = await arender_to_string("asyncx/shelf.html", context, request, using="django")
    assert got == expected
    assert "Book 3 by Ada" in got
    assert ("path /shelf/; tag T-/shelf/" in got) is with_request


@override_settings(TEMPLATES=engines(processors=["tests.support.template_support.async_site_tag"]))
async def test_async_context_processor_gives_what_the_sync_one_gives_to_django(books, request_):
    got = await arender_to_string(
        "asyncx/shelf.html", {"title": "x", "books": []}, request_, using="django"
    )
    with override_settings(TEMPLATES=engines()):
        expected = await sync_to_async(render_to_string)(
            "asyncx/shelf.html", {"title": "x", "books": []}, request_, using="django"
        )
    assert got == expected
    assert "tag T-/shelf/" in got


@override_settings(TEMPLATES=engines())
async def test_context_values_override_context_processors_as_in_django(request_):
    got = await arender_to_string(
        "asyncx/shelf.html", {"site_tag": "mine", "books": []}, request_, using="django"
    )
    assert "tag mine;" in got


@override_settings(TEMPLATES=engines())
async def test_arender_is_renders_response(books, request_):
    response = await arender(
        request_, "asyncx/shelf.html", {"books": Book.objects.all()}, status=201,
        content_type="text/x-shelf", using="django",
    )  # fmt: skip
    assert response.status_code == 201
    assert response["Content-Type"] == "text/x-shelf"
    assert b"Book 0 by Bob" in response.content


async def test_lazy_queryset_and_lazy_foreign_key_work_in_an_async_view(books, async_client):
    stock = None
    try:
        await async_client.get("/templates/stock-render/")
    except SynchronousOnlyOperation as exc:
        stock = exc  # what Django's render() does in an async view
    assert stock is not None
    response = await async_client.get("/templates/arender/")
    assert response.status_code == 200
    text = response.content.decode()
    for book in books:
        assert f"<li>{book.title} by {'Ada' if int(book.title[-1]) % 2 else 'Bob'}</li>" in text


async def test_values_resolve_concurrently():
    # Each awaitable waits for an event only the other sets: resolved one after the other,
    # this would never finish (the timeout only turns a hang into a failure).
    a_started, b_started = asyncio.Event(), asyncio.Event()

    async def a():
        a_started.set()
        await b_started.wait()
        return "A"

    async def b():
        b_started.set()
        await a_started.wait()
        return "B"

    async def items():
        for item in ("x", "y"):
            await asyncio.sleep(0)
            yield item

    async with asyncio.timeout(10):
        got = await aresolve_context({"a": a(), "b": b(), "items": items(), "plain": 1})
    assert got == {"a": "A", "b": "B", "items": ["x", "y"], "plain": 1}


@override_settings(TEMPLATES=engines(processors=["tests.support.template_support.async_site_tag"]))
async def test_async_processors_run_concurrently_with_the_context(request_, monkeypatch):
    from tests.support import template_support

    processor_ran, value_ran = asyncio.Event(), asyncio.Event()

    async def processor(request):
        processor_ran.set()
        await value_ran.wait()
        return {"site_tag": "from-processor"}

    async def value():
        value_ran.set()
        await processor_ran.wait()
        return []

    monkeypatch.setattr(template_support, "async_site_tag", processor)
    with override_settings(
        TEMPLATES=engines(processors=["tests.support.template_support.async_site_tag"])
    ):
        async with asyncio.timeout(10):
            got = await arender_to_string(
                "asyncx/shelf.html", {"books": value()}, request_, using="django"
            )
    assert "tag from-processor;" in got


async def test_related_preloads_relations_before_rendering(books):
    book = await run_in_db(lambda: Book.objects.order_by("id").first())
    got = await aresolve_context({"book": Related(book, "author")})
    assert got["book"].author.name == "Bob"  # loaded: no query on the loop


@override_settings(TEMPLATES=engines())
async def test_missing_template_raises_what_django_raises():
    with pytest.raises(TemplateDoesNotExist) as ours:
        await arender_to_string("asyncx/nope.html")
    with pytest.raises(TemplateDoesNotExist) as django:
        await sync_to_async(render_to_string)("asyncx/nope.html")
    assert str(ours.value) == str(django.value) == "asyncx/nope.html"
    with pytest.raises(TemplateDoesNotExist, match=r"asyncx/a\.html, asyncx/b\.html"):
        await arender_to_string(["asyncx/a.html", "asyncx/b.html"])


@override_settings(TEMPLATES=engines())
async def test_an_exception_in_an_awaitable_keeps_its_type_and_names_key_and_template():
    cancelled = []

    async def forecast():
        raise ValueError("upstream answered 503")

    async def other():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    tasks_before = len(asyncio.all_tasks())
    with pytest.raises(ValueError, match=r"^upstream answered 503") as failure:
        await arender_to_string("asyncx/shelf.html", {"forecast": forecast(), "o": other()})
    assert str(failure.value) == "upstream answered 503"
    assert failure.value.__notes__ == [
        "while resolving key 'forecast'",
        "in the context of template 'asyncx/shelf.html'",
    ]
    assert cancelled == [True]  # the other value stopped, nothing left running
    assert len(asyncio.all_tasks()) == tasks_before


@override_settings(TEMPLATES=engines())
async def test_a_queryset_that_cannot_be_evaluated_names_key_and_template(books):
    books = Book.objects.annotate(x=RawSQL("no_such_column", []))
    with pytest.raises(OperationalError, match=r"no such column: no_such_column") as failure:
        await arender_to_string("asyncx/shelf.html", {"books": books})
    assert failure.value.__notes__ == [
        "while resolving key 'books'",
        "in the context of template 'asyncx/shelf.html'",
    ]


@override_settings(TEMPLATES=engines())
async def test_an_error_while_rendering_is_djangos():
    from tests.support.template_support import Exploding

    with pytest.raises(ZeroDivisionError, match=r"exploded on purpose"):
        await arender_to_string("asyncx/broken.html", {"book": Exploding()})


async def test_context_must_be_a_mapping():
    with pytest.raises(TypeError, match=r"context of 'asyncx/shelf.html' must be a dict, got list"):
        await aresolve_context([1], template_name="asyncx/shelf.html")


@override_settings(TEMPLATES=engines(debug=True), DEBUG=True)
async def test_debug_page_shows_template_debug_info_and_the_context_key(async_client):
    async_client.raise_request_exception = False
    response = await async_client.get("/templates/broken/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Error during template rendering" in page
    assert "asyncx/broken.html" in page
    assert "exploded on purpose" in page
    response = await async_client.get("/templates/failing-context/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "upstream answered 503" in page
    assert "while resolving key &#x27;forecast&#x27;" in page
    assert "in the context of template &#x27;asyncx/shelf.html&#x27;" in page


@override_settings(TEMPLATES=engines(), USE_I18N=True)
async def test_the_active_language_reaches_the_render_thread():
    from django.template import engines as template_engines
    from django.utils import translation

    from django_asyncx.templates import arender_template

    template = template_engines["django"].from_string(
        "{% load i18n %}{% get_current_language as lang %}{{ lang }}"
    )
    with translation.override("fr"):
        assert await arender_template(template) == "fr"
    with translation.override("de"):
        assert await arender_template(template) == "de"


class MeetingQuerySet(QuerySet):
    """Evaluating it waits, in its bridge thread, until another one is being evaluated too."""

    barrier = threading.Barrier(2)

    def _fetch_all(self):
        # A 10 s guard turns a hang into a failure; evaluated one after the other, the first
        # would never meet the second.
        self.barrier.wait(timeout=10)
        super()._fetch_all()


@override_settings(TEMPLATES=engines())
async def test_two_querysets_are_evaluated_at_the_same_time_in_the_bridge(books):
    MeetingQuerySet.barrier.reset()
    got = await arender_to_string(
        "asyncx/shelf.html",
        {
            "books": MeetingQuerySet(model=Book).order_by("id"),
            "authors": MeetingQuerySet(model=Author).order_by("id"),
        },
    )
    assert "<li>Book 4 by Bob</li>" in got


@override_settings(TEMPLATES=engines())
async def test_a_missing_template_closes_the_contexts_coroutines():
    from django_asyncx.templates import AsyncTemplateResponse

    async def value():
        return 1

    first, second = value(), value()
    with pytest.raises(TemplateDoesNotExist):
        await arender_to_string("asyncx/nope.html", {"v": first})
    response = AsyncTemplateResponse(RequestFactory().get("/"), "asyncx/nope.html", {"v": second})
    with pytest.raises(TemplateDoesNotExist):
        await response.render()
    assert inspect.getcoroutinestate(first) == inspect.CORO_CLOSED
    assert inspect.getcoroutinestate(second) == inspect.CORO_CLOSED


async def test_the_lazy_user_of_the_auth_context_processor_loads_in_the_render(async_client):
    from django.contrib.auth.models import User

    user = await User.objects.acreate(username="reader")
    await async_client.aforce_login(user)
    response = await async_client.get("/templates/whoami/")  # the default engine: auth processor
    assert response.content == b"user reader\n"
