"""bench/page: its project answers through every stack it measures, hops counted."""

import pytest
from asgiref.sync import sync_to_async
from demo.models import Author, Book
from django.test import Client, override_settings
from django.utils import timezone

from bench import page
from bench.project import page_views
from bench.project import settings as bench_settings
from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware import async_native

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = override_settings(
    ROOT_URLCONF="bench.project.urls.page",
    TEMPLATES=bench_settings.TEMPLATES,
    STATIC_URL="/static/",
    CORS_ALLOWED_ORIGINS=bench_settings.CORS_ALLOWED_ORIGINS,
)


STOCK_WHITENOISE = [
    "whitenoise.middleware.WhiteNoiseMiddleware" if "WhiteNoise" in path else path
    for path in async_native(bench_settings.EXTRA_MIDDLEWARE)
]


@pytest.fixture
async def session_key():
    today = timezone.now().date()
    for n in range(25):
        author = await Author.objects.acreate(name=f"author {n}")
        await Book.objects.acreate(author=author, title=f"book {n}", published=today, price=9)
    return await sync_to_async(page_views.logged_in_session)()


def test_six_targets_with_the_session_cookie():
    targets = page.targets("k3y")
    assert [t.key for t in targets] == [
        "wsgi", "thread", "native", "wsgi-extra", "thread-extra", "native-extra"
    ]  # fmt: skip
    assert {t.headers for t in targets} == {(("Cookie", "sessionid=k3y"),)}
    assert dict(targets[2].env)["BENCH_DB_ENGINE"] == page.NATIVE_ENGINE
    assert dict(targets[3].env)["BENCH_MIDDLEWARE"] == "django-extra"
    assert dict(targets[4].env)["BENCH_MIDDLEWARE"] == "asyncx-extra"


def _wsgi_page(middleware, session_key):
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        client.cookies["sessionid"] = session_key
        return client.get("/page-sync")


@PAGE
@pytest.mark.parametrize(
    ("middleware", "hops"),
    [
        # Two bridge calls (thread path): session, user and rows; arender's render.
        (async_native(bench_settings.DJANGO_MIDDLEWARE), {"django_asyncx.executors": 2}),
        # cors-headers is async-capable and WhiteNoise is the drop-in: no hop added.
        (async_native(bench_settings.EXTRA_MIDDLEWARE), {"django_asyncx.executors": 2}),
        # Stock WhiteNoise (sync-only) among the drop-ins: one hop for it; the request then
        # has a sync thread, so request_finished's cleanup runs there (and, in a test, the
        # test's connection is handed to it).
        (
            STOCK_WHITENOISE,
            {
                "whitenoise.middleware.WhiteNoiseMiddleware": 1,
                "django_asyncx.executors": 2,
                "django_asyncx.receivers": 1,
                "django_asyncx.db.testing": 1,
            },
        ),
    ],
)
async def test_the_page_is_the_same_through_wsgi_and_ours(session_key, middleware, hops):
    stock = await sync_to_async(_wsgi_page)(bench_settings.EXTRA_MIDDLEWARE, session_key)
    assert stock.status_code == 200
    with override_settings(MIDDLEWARE=middleware):
        app = ASGIHandler()
        headers = {"cookie": f"sessionid={session_key}", "origin": "https://app.example.com"}
        with count_hops() as counted:
            result = await arequest(app, "GET", "/page-async", headers=headers)
    assert result.status == 200
    assert counted.by_owner() == hops
    body = result.body.decode()
    assert "Signed in as ada" in body
    assert body.count("<tr><td>") == page_views.ROWS
    # The CSRF token differs per response; the rest of the page is the same.
    assert (
        body.split("csrfmiddlewaretoken")[0]
        == stock.content.decode().split("csrfmiddlewaretoken")[0]
    )


@PAGE
async def test_an_anonymous_request_is_refused():
    with override_settings(MIDDLEWARE=async_native(bench_settings.DJANGO_MIDDLEWARE)):
        result = await arequest(ASGIHandler(), "GET", "/page-async")
    assert result.status == 403
