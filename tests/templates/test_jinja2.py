"""The native async Jinja2 backend: same output as Django's, async filters, sync rendering."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import SynchronousOnlyOperation
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template import engines as template_engines
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings

from django_asyncx.db import run_in_db
from django_asyncx.exceptions import ConfigurationError, RenderInEventLoopError
from django_asyncx.templates import arender_to_string
from tests.support.template_support import engines
from tests.support.testapp.models import Author, Book

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("jinja_engines"),
]


@pytest.fixture
def jinja_engines():
    with override_settings(TEMPLATES=engines()):
        yield


@pytest.fixture
def books():
    ada = Author.objects.create(name="Ada")
    return [Book.objects.create(title=f"Book {i}", author=ada) for i in range(3)]


def plain_context():
    books = list(Book.objects.select_related("author").order_by("id"))
    return {"title": "Shelf <&>", "books": books, "count": len(books), "first": books[0]}


@pytest.mark.parametrize("with_request", [False, True], ids=["no-request", "request"])
async def test_same_output_as_djangos_jinja2_backend(books, with_request):
    request = RequestFactory().get("/shelf/") if with_request else None
    context = await run_in_db(plain_context)
    expected = await sync_to_async(render_to_string)(
        "asyncx/shelf.html", dict(context), request, using="stockjinja2"
    )
    lazy = {**context, "books": Book.objects.select_related("author").order_by("id")}
    got = await arender_to_string("asyncx/shelf.html", lazy, request, using="jinja2")
    assert got == expected
    assert "<li>Book 2 by Ada</li>" in got
    assert ("path /shelf/; tag T-/shelf/" in got) is with_request


async def test_async_global_and_filters_are_awaited_on_the_loop(books):
    threads = set()
    original = Book.objects.count

    def counting():
        threads.add(threading.current_thread().name)
        return original()

    Book.objects.count = counting
    try:
        got = await arender_to_string("asyncx/filters.html", {"title": "hi"}, using="jinja2")
    finally:
        del Book.objects.count
    assert got == "<p>3 books; x!; HI</p>"
    assert threading.current_thread().name not in threads  # the ORM ran in the bridge


def test_sync_render_from_a_sync_view_without_a_loop(books):
    # Django's own render_to_string, in plain sync code (as under WSGI).
    got = render_to_string("asyncx/filters.html", {"title": "hi"}, using="jinja2")
    assert got == "<p>3 books; x!; HI</p>"


async def test_sync_render_from_a_thread_runs_on_the_servers_loop(books):
    got = await sync_to_async(render_to_string)(
        "asyncx/filters.html", {"title": "hi"}, using="jinja2"
    )
    assert got == "<p>3 books; x!; HI</p>"


async def test_sync_render_on_the_loop_works_when_nothing_is_awaited():
    template = template_engines["jinja2"].from_string("{{ a }}-{{ 'b'|shout }}")
    assert template.render({"a": 1}) == "1-b!"


async def test_sync_render_on_the_loop_that_must_wait_says_to_await(books):
    with pytest.raises(RenderInEventLoopError, match=r"asyncx/filters\.html.*arender_to_string"):
        render_to_string("asyncx/filters.html", {"title": "hi"}, using="jinja2")


async def test_missing_template_and_syntax_error_as_django():
    with pytest.raises(TemplateDoesNotExist, match=r"asyncx/nope\.html"):
        await arender_to_string("asyncx/nope.html", using="jinja2")
    with pytest.raises(TemplateSyntaxError) as ours:
        await arender_to_string("asyncx/syntax_error.html", using="jinja2")
    with pytest.raises(TemplateSyntaxError) as django:
        await sync_to_async(render_to_string)("asyncx/syntax_error.html", using="stockjinja2")
    assert str(ours.value) == str(django.value)
    assert ours.value.template_debug["line"] == 1  # what the debug page shows


async def test_an_exception_in_an_awaitable_names_key_and_template():
    async def forecast():
        raise LookupError("no forecast")

    with pytest.raises(LookupError) as failure:
        await arender_to_string("asyncx/shelf.html", {"f": forecast()}, using="jinja2")
    assert failure.value.__notes__ == [
        "while resolving key 'f'",
        "in the context of template 'asyncx/shelf.html'",
    ]


def test_enable_async_false_is_refused():
    from django_asyncx.templates.backends.jinja2 import Jinja2

    with pytest.raises(ConfigurationError, match=r"OPTIONS\['enable_async'\] is False"):
        Jinja2({"NAME": "j", "DIRS": [], "APP_DIRS": False, "OPTIONS": {"enable_async": False}})


def test_importing_the_templates_package_does_not_import_jinja2():
    code = (
        "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings';"
        "django.setup(); import django_asyncx.templates, django_asyncx.templatetags.asyncx;"
        "print('jinja2' in sys.modules)"
    )
    root = Path(__file__).resolve().parent.parent.parent
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'example_project'}"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env
    )
    assert result.stdout.strip() == "False", result.stderr


async def test_a_lazy_user_read_on_the_loop_is_refused_as_documented(async_client):
    from django.contrib.auth.models import User

    user = await User.objects.acreate(username="reader")
    await async_client.aforce_login(user)
    processors = ["django.contrib.auth.context_processors.auth"]
    with (
        override_settings(TEMPLATES=engines(processors=processors)),
        pytest.raises(SynchronousOnlyOperation),
    ):
        await async_client.get("/templates/whoami-jinja2/")


async def test_the_async_auth_processor_gives_the_loaded_user(async_client):
    from django.contrib.auth.models import User

    user = await User.objects.acreate(username="reader")
    await async_client.aforce_login(user)
    processors = ["django_asyncx.templates.context_processors.auth"]
    with override_settings(TEMPLATES=engines(processors=processors)):
        response = await async_client.get("/templates/whoami-jinja2/")
        assert response.content == b"user reader"
        await async_client.alogout()
        response = await async_client.get("/templates/whoami-jinja2/")
        assert response.content == b"user "  # anonymous
