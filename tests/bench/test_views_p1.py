"""bench/views_p1: its project answers through every stack it measures, hops counted."""

import pytest
from django.contrib.auth.models import User
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.test import override_settings

from bench import views_p1
from bench.project import settings as bench_settings
from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.middleware import async_native

pytestmark = pytest.mark.django_db(transaction=True)

P1 = override_settings(
    ROOT_URLCONF="bench.project.urls.p1",
    TEMPLATES=bench_settings.TEMPLATES,
)


def test_eight_targets_per_view_with_the_wsgi_and_stock_baselines():
    for view in ("json", "page"):
        keys = [t.key for t in views_p1.targets(view)]
        assert keys == [
            "wsgi",
            "stock",
            "stock-ourmw",
            "ours-uvicorn",
            "stock-httptools",
            "ours-httptools",
            "ours-hypercorn",
            "ours-granian",
        ]
    assert {t.path for t in views_p1.targets("page")} == {
        "/page-sync",
        "/page-django",
        "/page-asyncx",
    }


def test_bad_options_are_refused():
    with pytest.raises(SystemExit):
        views_p1.main(["--runs", "0"])


@P1
@pytest.mark.parametrize(
    ("handler", "middleware", "path", "hops"),
    [
        # Django's stack: 13 middleware hops, request_started, close; the page adds afirst.
        (DjangoASGIHandler, bench_settings.DJANGO_MIDDLEWARE, "/json", 15),
        (DjangoASGIHandler, bench_settings.DJANGO_MIDDLEWARE, "/page-django", 16),
        # Django's handler with the drop-ins: request_started and close remain.
        (DjangoASGIHandler, async_native(bench_settings.DJANGO_MIDDLEWARE), "/json", 2),
        # Ours: none for JSON, the bridge call for the page.
        (ASGIHandler, async_native(bench_settings.DJANGO_MIDDLEWARE), "/json", 0),
        (ASGIHandler, async_native(bench_settings.DJANGO_MIDDLEWARE), "/page-asyncx", 1),
    ],
)
async def test_each_stack_answers_with_its_hop_count(handler, middleware, path, hops):
    await User.objects.acreate(pk=1, username="ada")
    with override_settings(MIDDLEWARE=middleware):
        app = handler()
        with count_hops() as counted:
            result = await arequest(app, "GET", path)
    assert result.status == 200
    assert b"ada" in result.body or path == "/json"
    assert counted.count == hops, counted.by_owner()
