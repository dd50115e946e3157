"""A pool that runs dry is overload: 503 with Retry-After, not a 500 that reports a bug."""

import logging

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from django_asyncx.asgi import get_asgi_application
from django_asyncx.db.backends.postgresql.native import run_native
from django_asyncx.db.backends.postgresql.pool import get_pool
from django_asyncx.exceptions import PoolTimeoutError
from django_asyncx.testing.client import arequest
from tests.support.nativeapp.models import Tag

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"


async def async_count(request):
    return HttpResponse(str(await Tag.objects.using(DB).acount()))


def count_natively() -> int:
    # Sync code reaching the native path through the loop it was called from.
    return async_to_sync(run_native)(lambda: Tag.objects.using(DB).count(), using=DB)


def sync_count(request):
    return HttpResponse(str(count_natively()))


class SyncCountingMiddleware:
    """A sync-only middleware that queries: the handler's sync exception path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count_natively()
        return self.get_response(request)


urlpatterns = [path("async/", async_count), path("sync/", sync_count)]

SYNC_ONLY_MIDDLEWARE = ["tests.support.views_app.sync_middleware.OldStyle"]
QUERYING_SYNC_MIDDLEWARE = [f"{__name__}.SyncCountingMiddleware"]


@pytest.fixture
def reported():
    """The got_request_exception signals sent meanwhile."""
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs)

    signals.got_request_exception.connect(receiver)
    yield sent
    signals.got_request_exception.disconnect(receiver)


@pytest.mark.parametrize(
    ("view", "middleware"),
    [
        ("async/", []),  # raised in the view: exception_to_response
        ("sync/", []),
        ("sync/", SYNC_ONLY_MIDDLEWARE),
        ("async/", QUERYING_SYNC_MIDDLEWARE),  # raised in a sync middleware: the sync twin
    ],
)
async def test_a_pool_that_stays_dry_answers_503_with_retry_after(
    native_options_set, reported, caplog, view, middleware
):
    native_options_set(native_max_size=1, native_acquire_timeout=0.2)
    pool = await get_pool(DB)
    held = await pool.acquire()  # the only connection: the view's call waits, then gives up
    try:
        with (
            override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware),
            caplog.at_level(logging.WARNING, logger="django.request"),
        ):
            result = await arequest(get_asgi_application(), "GET", f"/{view}")
    finally:
        pool.release(held)
    assert (result.status, result.header("Retry-After")) == (503, "1")
    assert result.body == b"The service is overloaded; retry later.\n"
    assert reported == []  # overload is not an error to report
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    assert record.status_code == 503
    assert "no native connection of 'native' became free within 0.2s" in record.getMessage()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
        result = await arequest(get_asgi_application(), "GET", f"/{view}")
    assert (result.status, result.body) == (200, b"0")


async def test_retry_after_is_the_acquire_timeout_rounded_up(native_options_set):
    from django.test import RequestFactory

    from django_asyncx.handler import exception_to_response

    native_options_set(native_max_size=1, native_acquire_timeout=0.2)
    pool = await get_pool(DB)
    held = await pool.acquire()
    try:
        with pytest.raises(PoolTimeoutError) as caught:
            await run_native(lambda: None, using=DB)
    finally:
        pool.release(held)
    assert caught.value.retry_after == 1
    assert PoolTimeoutError("full").retry_after == 1
    request = RequestFactory().get("/")
    response = await exception_to_response(request, PoolTimeoutError("full", retry_after=7))
    assert (response.status_code, response["Retry-After"]) == (503, "7")
