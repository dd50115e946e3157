"""The hop-free handler answers exactly as Django's ASGIHandler, with fewer thread hops."""

import asyncio
import threading

import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.test import override_settings

from django_asyncx.handler import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from tests.support.views_app import views

pytestmark = pytest.mark.django_db(transaction=True)

URLS = override_settings(ROOT_URLCONF="tests.support.views_app.urls", MIDDLEWARE=[])

BOUNDARY = "xXxBOUNDARYxXx"


def multipart(fields, files):
    lines = []
    for name, value in fields.items():
        lines += [f"--{BOUNDARY}", f'Content-Disposition: form-data; name="{name}"', "", value]
    body = "\r\n".join(lines).encode()
    for name, (filename, content) in files.items():
        body += (
            f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode() + content
    body += f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


async def both(method, path, **kwargs):
    """Send one request through Django's handler and ours; return both results and hops."""
    results = []
    for handler_class in (DjangoASGIHandler, ASGIHandler):
        handler = handler_class()
        with count_hops() as hops:
            result = await arequest(handler, method, path, **kwargs)
        results.append((result, hops))
    return results


def assert_same(django_result, ours):
    assert ours.status == django_result.status
    assert ours.headers == django_result.headers
    assert ours.body == django_result.body


REQUESTS = [
    ("GET", "/views/hello/", 200),
    ("POST", "/views/hello/", 200),
    ("GET", "/views/missing/", 404),
    ("GET", "/views/nowhere/", 404),
    ("GET", "/views/forbidden/", 403),
    ("GET", "/views/broken/", 500),
    ("GET", "/views/stream/", 200),
]


@URLS
@pytest.mark.parametrize(("method", "path", "status"), REQUESTS)
async def test_async_requests_answer_the_same_with_zero_hops(method, path, status):
    (django_result, django_hops), (ours, our_hops) = await both(method, path)
    assert django_result.status == status
    assert_same(django_result, ours)
    expected_zero = status != 500  # a 500 is built in a thread, as Django does
    assert our_hops.count == (0 if expected_zero else 1), our_hops.hops
    assert django_hops.count > our_hops.count


@URLS
async def test_async_view_counts_zero_hops_and_django_counts_two_or_more():
    (_, django_hops), (_, our_hops) = await both("GET", "/views/hello/")
    assert our_hops.count == 0
    # request_started receivers in a thread, response.close() in a thread.
    assert django_hops.count == 2, django_hops.hops


@URLS
async def test_sync_view_runs_in_a_thread_and_closes_there_like_django():
    (django_result, django_hops), (ours, our_hops) = await both("GET", "/views/sync/")
    assert_same(django_result, ours)
    assert ours.body == b'{"hello": "sync", "thread": true}'
    # The view, then response.close() in the view's thread (its DB connections live there).
    assert our_hops.count == 2, our_hops.hops
    assert django_hops.count == 3, django_hops.hops


@URLS
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_sync_streaming_response_streams_in_chunks_like_django():
    (django_result, _), (ours, _) = await both("GET", "/views/sync-stream/")
    assert_same(django_result, ours)
    assert ours.body == b"line 0\nline 1\nline 2\n"
    assert ours.chunks == django_result.chunks == 4


@URLS
async def test_async_streaming_response_sends_each_part_then_an_empty_end():
    (django_result, _), (ours, our_hops) = await both("GET", "/views/stream/")
    assert ours.chunks == django_result.chunks == 4
    assert our_hops.count == 0


@URLS
@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1000)
async def test_file_uploads_in_memory_and_on_disk_parse_the_same():
    body, headers = multipart(
        {"title": "hi"}, {"small": ("a.txt", b"x" * 10), "big": ("b.bin", b"y" * 5000)}
    )
    (django_result, django_hops), (ours, our_hops) = await both(
        "POST", "/views/upload/", body=body, headers=headers, body_chunks=3
    )
    assert_same(django_result, ours)
    # Over FILE_UPLOAD_MAX_MEMORY_SIZE in total, so Django spools both files to disk.
    assert b'["big", "b.bin", 5000, "TemporaryUploadedFile"]' in ours.body
    assert b'["small", "a.txt", 10, "TemporaryUploadedFile"]' in ours.body
    # An upload spooled to disk is closed (and deleted) in a thread, as in Django (Django 6
    # also writes a body spooled to disk from a thread); only request_started's hop goes.
    assert [hop.name for hop in our_hops.hops][-1] == "HttpResponseBase.close"
    assert django_hops.count - our_hops.count == 1


@URLS
async def test_small_upload_is_closed_on_the_loop():
    body, headers = multipart({}, {"small": ("a.txt", b"x" * 10)})
    (django_result, _), (ours, our_hops) = await both(
        "POST", "/views/upload/", body=body, headers=headers
    )
    assert_same(django_result, ours)
    assert b'["small", "a.txt", 10, "InMemoryUploadedFile"]' in ours.body
    assert our_hops.count == 0


@URLS
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
async def test_body_too_big_is_a_400_from_both():
    (django_result, _), (ours, our_hops) = await both("POST", "/views/echo/", body=b"z" * 500)
    assert django_result.status == 400
    assert_same(django_result, ours)
    assert our_hops.count == 0


@URLS
@override_settings(DEBUG=True)
async def test_debug_404_page_is_the_same():
    (django_result, _), (ours, our_hops) = await both("GET", "/views/missing/")
    assert ours.status == 404
    assert ours.body == django_result.body
    assert our_hops.count == 0


@URLS
async def test_signals_reach_sync_and_async_receivers_once_per_request_with_both():
    calls = []

    def sync_receiver(sender, **kwargs):
        calls.append(("sync", threading.current_thread() is threading.main_thread()))

    async def async_receiver(sender, **kwargs):
        calls.append(("async", threading.current_thread() is threading.main_thread()))

    for signal in (signals.request_started, signals.request_finished):
        signal.connect(sync_receiver)
        signal.connect(async_receiver)
    try:
        results = await both("GET", "/views/hello/")
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.disconnect(sync_receiver)
            signal.disconnect(async_receiver)
    # Per handler: started and finished, each to both receivers; sync ones off the loop.
    expected = [("sync", False), ("async", True)] * 2
    assert sorted(calls[:4]) == sorted(expected)
    assert sorted(calls[4:]) == sorted(expected)
    # An unknown sync receiver costs one hop per signal, in the request's thread.
    assert results[1][1].count == 2


@URLS
@pytest.mark.parametrize("handler_class", [DjangoASGIHandler, ASGIHandler])
async def test_client_disconnect_cancels_the_view(handler_class):
    views.EVENTS.clear()
    views.STARTED = asyncio.Event()
    finished = []

    def on_finished(sender, **kwargs):
        finished.append(sender)

    signals.request_finished.connect(on_finished)
    hang_up = asyncio.Event()
    try:
        request = asyncio.create_task(
            arequest(handler_class(), "GET", "/views/slow/", disconnect=hang_up)
        )
        await views.STARTED.wait()
        hang_up.set()
        result = await request
    finally:
        signals.request_finished.disconnect(on_finished)
    assert views.EVENTS == ["started", "cancelled"]
    assert result.status == 0  # nothing was sent
    assert len(finished) == 1


@pytest.mark.parametrize(
    "middleware",
    [
        [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ]
    ],
)
async def test_django_middleware_still_hops_and_answers_the_same(middleware):
    with override_settings(ROOT_URLCONF="tests.support.views_app.urls", MIDDLEWARE=middleware):
        (django_result, django_hops), (ours, our_hops) = await both("GET", "/views/whoami/")
    assert_same(django_result, ours)
    assert ours.body == b'{"user": "", "auth": false}'
    # Django's 7 middleware hop 13 times (process_request and process_response each, 2 for
    # security, sessions, common, messages; 1 each for auth and clickjacking; csrf 3 with
    # process_view); the handler adds request_started and response.close(): 15.
    assert django_hops.count == 15, django_hops.by_owner()
    # Ours runs the seven, all in sync mode, in one hop, CSRF's process_view in another,
    # and skips the request_started hop; the middleware used the request's thread, so
    # request_finished's DB receivers run there, as in Django.
    assert our_hops.count == 3, our_hops.by_owner()


async def test_non_http_scope_is_refused_like_django():
    with pytest.raises(ValueError, match="Django can only handle ASGI/HTTP connections"):
        await ASGIHandler()({"type": "websocket"}, None, None)


@URLS
async def test_the_whole_entry_serves_an_async_request_with_zero_hops():
    from django_asyncx.asgi import get_asgi_application

    app = get_asgi_application()
    await arequest(app, "GET", "/views/hello/")  # starts lifespan hooks and the watchdog
    with count_hops() as hops:
        result = await arequest(app, "GET", "/views/hello/")
    assert result.status == 200
    assert hops.count == 0, hops.hops


async def test_counting_hops_never_evaluates_what_it_describes():
    from django.contrib.auth.models import User
    from django.utils.functional import SimpleLazyObject

    from django_asyncx.hops import describe

    evaluated = []
    lazy = SimpleLazyObject(lambda: evaluated.append("setup") or (lambda: None))
    assert describe(lazy) == (
        "SimpleLazyObject.__call__",
        "django.utils.functional.SimpleLazyObject",
    )
    queryset = User.objects.all()
    name, owner = describe(queryset.count)
    assert (name, owner) == ("QuerySet.count", "django.db.models.query.QuerySet")
    assert evaluated == []
    assert queryset._result_cache is None
    with count_hops() as hops:
        assert await User.objects.acount() == 0  # its repr would run a query on the loop
    assert [hop.name for hop in hops.hops] == ["QuerySet.count"]


@URLS
@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "mem": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"},
    }
)
async def test_a_cache_that_closes_its_connections_closes_them_in_a_thread():
    # PyMemcacheCache.close() disconnects: request_finished's receivers go to a thread.
    (django_result, _), (ours, our_hops) = await both("GET", "/views/hello/")
    assert_same(django_result, ours)
    assert [hop.name for hop in our_hops.hops] == ["send_signal.<locals>.run_sync"]


calls_in_thread = []


def _cleanup_receiver(sender, **kwargs):
    calls_in_thread.append(threading.current_thread() is not threading.main_thread())


@URLS
async def test_a_request_thread_receiver_is_skipped_without_a_thread_and_run_in_it_otherwise():
    from django_asyncx.receivers import request_thread_receiver

    receiver = request_thread_receiver(_cleanup_receiver)
    signals.request_finished.connect(receiver)
    calls_in_thread.clear()
    try:
        with count_hops() as hops:
            await arequest(ASGIHandler(), "GET", "/views/hello/")
        assert (hops.count, calls_in_thread) == (0, [])
        await arequest(ASGIHandler(), "GET", "/views/sync/")
        assert calls_in_thread == [True]
    finally:
        signals.request_finished.disconnect(receiver)
