"""The view decorators: on sync and async views, bare and called, misuse rejected early."""

import asyncio
import logging
import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.test import override_settings
from django.test.client import AsyncRequestFactory
from django.views.decorators.cache import cache_page as django_cache_page
from django.views.decorators.http import etag as django_etag

from django_asyncx.asgi import ASGIHandler
from django_asyncx.hops import arequest, count_hops
from django_asyncx.testing import services
from django_asyncx.views import (
    async_view,
    cache_page,
    condition,
    etag,
    last_modified,
    limit_concurrency,
    timeout,
)
from django_asyncx.views.cache import AsyncCache, cache_path
from tests.support.testapp.models import Entry
from tests.support.views_app import decorated

pytestmark = pytest.mark.django_db(transaction=True)

URLS = override_settings(ROOT_URLCONF="tests.support.views_app.decorated_urls", MIDDLEWARE=[])
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
    "slow": {"BACKEND": "tests.support.views_app.decorated.SlowCache", "LOCATION": "s"},
}
rf = AsyncRequestFactory()


@pytest.fixture(autouse=True)
def state():
    decorated.reset()
    for alias in ("default", "slow"):
        with override_settings(CACHES=CACHES):
            caches[alias].clear()
    yield decorated.STATE
    decorated.STATE["sync_release"].set()


async def gather_requests(app, paths):
    return await asyncio.gather(*(arequest(app, "GET", path) for path in paths))


async def until(predicate):
    """Yield to the loop until ``predicate()`` holds (bounded by the test timeout)."""
    while not predicate():  # noqa: ASYNC110 - the state is changed by views and threads
        await asyncio.sleep(0.001)


# timeout


@URLS
async def test_timeout_cancels_the_view_and_no_row_is_written_after_it(state, caplog):
    caplog.set_level(logging.WARNING, "django_asyncx.views")
    result = await arequest(ASGIHandler(), "GET", "/timeout/")
    assert result.status == 504
    assert result.body == b"The server did not answer within 0.3 seconds.\n"
    # The view was cancelled where it waited, so it can never write its second row.
    assert state["events"] == ["wrote", "cancelled"]
    assert await Entry.objects.filter(label="before").acount() == 1
    assert await Entry.objects.filter(label="after").acount() == 0
    assert "tests.support.views_app.decorated.writes_then_hangs took over 0.3s; cancelled" in (
        caplog.text
    )


async def test_timeout_on_a_sync_view_answers_and_logs_that_it_was_abandoned(state, caplog):
    caplog.set_level(logging.WARNING, "django_asyncx.views")
    response = await decorated.sync_hangs(rf.get("/"))
    assert response.status_code == 503
    assert "sync view tests.support.views_app.decorated.sync_hangs took over 0.2s; abandoned" in (
        caplog.text
    )
    state["sync_release"].set()
    await until(lambda: state["events"] == ["sync finished"])


async def test_timeout_lets_a_quick_view_through_untouched():
    response = await decorated.quick(rf.get("/"))
    assert (response.status_code, response.content) == (200, b"quick")


@URLS
async def test_timeout_through_method_decorator_on_a_class_view():
    result = await arequest(ASGIHandler(), "GET", "/hanging/")
    assert result.status == 504


async def test_timeout_does_not_hide_a_timeout_error_raised_by_the_view():
    @timeout(10)
    async def view(request):
        raise TimeoutError("upstream")

    with pytest.raises(TimeoutError, match="upstream"):
        await view(rf.get("/"))


def test_timeout_misuse_is_rejected_when_decorating():
    with pytest.raises(TypeError, match=r"@timeout needs the number of seconds"):
        timeout(decorated.plain)
    with pytest.raises(ValueError, match=r"seconds must be > 0, got -1"):
        timeout(-1)
    with pytest.raises(TypeError, match=r"seconds must be a number, got '5'"):
        timeout("5")
    with pytest.raises(ValueError, match=r"status must be an int from 400 to 599, got 200"):
        timeout(1, status=200)
    with pytest.raises(TypeError, match=r"for the class HangingView use method_decorator"):
        timeout(1)(decorated.HangingView)


# limit_concurrency


@URLS
async def test_limit_concurrency_under_50_concurrent_requests_gives_exactly_45_503s(state):
    app = ASGIHandler()
    tasks = [asyncio.create_task(arequest(app, "GET", "/gated/")) for _ in range(50)]
    await until(lambda: sum(t.done() for t in tasks) == 45)
    assert state["entered"] == 5
    state["release"].set()
    results = await asyncio.gather(*tasks)
    statuses = sorted(r.status for r in results)
    assert statuses == [200] * 5 + [503] * 45
    rejected = [r for r in results if r.status == 503]
    assert {r.header("retry-after") for r in rejected} == {"1"}


@URLS
async def test_limit_concurrency_per_key_limits_each_user_separately(state):
    app = ASGIHandler()
    paths = [f"/gated-per-user/?user={'ab'[i % 2]}" for i in range(50)]
    tasks = [asyncio.create_task(arequest(app, "GET", p)) for p in paths]
    await until(lambda: sum(t.done() for t in tasks) == 46)
    assert state["entered"] == 4
    state["release"].set()
    results = await asyncio.gather(*tasks)
    served = sorted(r.body for r in results if r.status == 200)
    assert served == [b"served a", b"served a", b"served b", b"served b"]


@URLS
async def test_limit_concurrency_with_wait_queues_instead_of_refusing(state):
    app = ASGIHandler()
    tasks = [asyncio.create_task(arequest(app, "GET", "/queued/?user=u")) for _ in range(3)]
    await until(lambda: state["entered"] == 1)
    state["release"].set()
    results = await asyncio.gather(*tasks)
    assert [r.status for r in results] == [200, 200, 200]
    assert state["entered"] == 3


@URLS
async def test_limit_concurrency_wait_runs_out_then_503_with_retry_after(state):
    app = ASGIHandler()
    first = asyncio.create_task(arequest(app, "GET", "/short-wait/"))
    await until(lambda: state["entered"] == 1)
    second = await arequest(app, "GET", "/short-wait/")
    assert (second.status, second.header("retry-after")) == (503, "7")
    state["release"].set()
    assert (await first).status == 200


@URLS
async def test_limit_concurrency_on_a_sync_view(state):
    app = ASGIHandler()
    first = asyncio.create_task(arequest(app, "GET", "/sync-gated/"))
    await until(lambda: state["entered"] == 1)
    # The first holds the only slot in its thread until released.
    second = await arequest(app, "GET", "/sync-gated/")
    assert second.status == 503
    state["sync_release"].set()
    assert (await first).body == b"sync served"


def test_limit_concurrency_misuse_is_rejected_when_decorating():
    with pytest.raises(TypeError, match=r"needs the limit: @limit_concurrency\(10\)"):
        limit_concurrency(decorated.plain)
    with pytest.raises(ValueError, match=r"limit must be an int >= 1, got 0"):
        limit_concurrency(0)
    with pytest.raises(TypeError, match=r"key must be a callable or None, got 'user'"):
        limit_concurrency(1, key="user")
    with pytest.raises(ValueError, match=r"wait must be >= 0, got -1"):
        limit_concurrency(1, wait=-1)


async def test_limit_concurrency_forgets_keys_with_nothing_in_flight(state):
    view = limit_concurrency(1, key=lambda r: r.GET["k"])(decorated.plain)
    for i in range(20):
        await view(rf.get(f"/?k={i}"))
    # The gates live in the wrapper's closure: one dict per loop, empty when idle.
    gates = next(
        cell.cell_contents
        for cell in view.__closure__
        if type(cell.cell_contents).__name__ == "WeakKeyDictionary"
    )
    assert [len(g.by_key) for g in gates.values()] == [0]


# cache_page


@URLS
@override_settings(CACHES=CACHES)
async def test_cache_page_serves_the_second_request_from_the_cache_without_hops(state):
    app = ASGIHandler()
    with count_hops() as hops:
        first = await arequest(app, "GET", "/cached/")
        second = await arequest(app, "GET", "/cached/")
    assert first.body == second.body == b'{"calls": 1}'
    assert state["calls"] == 1
    assert first.header("cache-control") == "max-age=60"
    assert second.header("expires") is not None
    assert hops.count == 0, hops.hops


@URLS
@override_settings(CACHES=CACHES)
async def test_cache_page_shares_pages_with_djangos_decorator(state):
    @django_cache_page(60)
    def django_view(request):
        return decorated.HttpResponse("from django")

    await sync_to_async(django_view)(rf.get("/cached/"))
    # Same keys: our decorator serves the page Django's stored, without running the view.
    response = await decorated.cached(rf.get("/cached/"))
    assert response.content == b"from django"
    assert state["calls"] == 0


@URLS
@override_settings(CACHES=CACHES)
async def test_cache_page_on_a_sync_view(state):
    app = ASGIHandler()
    results = [await arequest(app, "GET", "/cached-sync/") for _ in range(3)]
    assert {r.body for r in results} == {b"sync calls=1"}


def blocks_logged(caplog):
    return [r for r in caplog.records if r.getMessage().startswith("event loop blocked")]


@URLS
@override_settings(CACHES=CACHES, ASYNCX={"LOOP_BLOCK_WARN_MS": 50})
async def test_a_slow_cache_read_does_not_block_the_loop(state, caplog):
    caplog.set_level(logging.WARNING, "django_asyncx.watchdog")
    app = ASGIHandler()
    state["cache_gate"] = threading.Event()
    slow = asyncio.create_task(arequest(app, "GET", "/cached-slow/"))
    await until(lambda: "slow get started" in state["events"])
    # The cache read is blocked in its thread; the loop still serves another request.
    other = await arequest(app, "GET", "/plain/")
    assert other.body == b"plain"
    await asyncio.sleep(0.2)  # several watchdog periods while the read stays blocked
    assert not slow.done()
    state["cache_gate"].set()
    assert (await slow).body == b"slow page"
    assert "gate timed out" not in state["events"]
    assert cache_path(caches["slow"]) == "thread"
    # The block detector watched the loop all along and saw nothing.
    assert blocks_logged(caplog) == []


@override_settings(CACHES=CACHES, ASYNCX={"LOOP_BLOCK_WARN_MS": 50})
async def test_the_same_read_on_the_loop_is_caught_by_the_block_detector(state, caplog):
    # The counter-proof: the detector is live in this setup, so its silence above means
    # something. Reading the slow cache directly on the loop blocks it.
    from django_asyncx.watchdog import ensure_loop_watchdog

    caplog.set_level(logging.WARNING, "django_asyncx.watchdog")
    await ensure_loop_watchdog()
    state["cache_gate"] = threading.Event()
    threading.Timer(0.3, state["cache_gate"].set).start()
    caches["slow"].get("anything")
    await asyncio.sleep(0.05)
    assert len(blocks_logged(caplog)) == 1


@pytest.fixture
def redis_caches():
    url = services.redis_url()
    prefix = f"t{uuid.uuid4().hex[:8]}"
    config = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=config):
        try:
            caches["default"].get("ping")
        except Exception as exc:
            services.service_unavailable(f"Redis at {url}: {exc}")
        yield
        caches["default"].clear()


@URLS
async def test_cache_page_on_redis_is_native_async_and_compatible(state, redis_caches):
    app = ASGIHandler()
    assert cache_path(caches["default"]) == "redis"
    with count_hops() as hops:
        first = await arequest(app, "GET", "/cached/")
        second = await arequest(app, "GET", "/cached/")
    assert first.body == second.body == b'{"calls": 1}'
    assert hops.count == 0, hops.hops
    # The sync RedisCache reads what the native client wrote, and the other way round.
    store = AsyncCache(caches["default"])
    await store.set("k", {"a": [1, 2]}, 30)
    assert await sync_to_async(caches["default"].get)("k") == {"a": [1, 2]}
    await sync_to_async(caches["default"].set)("n", 42)
    assert await store.get("n") == 42
    await store.set("k", "gone", 0)
    assert await store.get("k") is None


def test_cache_page_misuse_is_rejected_when_decorating():
    with pytest.raises(TypeError, match=r"@cache_page needs the timeout"):
        cache_page(decorated.plain)
    with pytest.raises(TypeError, match=r"timeout must be a number of seconds or None"):
        cache_page("60")
    with pytest.raises(TypeError, match=r"cache must be a cache alias"):
        cache_page(60, cache=1)


# condition / etag / last_modified


async def test_etag_with_an_async_function_answers_304():
    async def current_etag(request):
        return "v1"

    view = etag(current_etag)(decorated.plain)
    response = await view(rf.get("/"))
    assert response["ETag"] == '"v1"'
    response = await view(rf.get("/", headers={"if-none-match": '"v1"'}))
    assert response.status_code == 304


async def test_last_modified_with_an_orm_backed_sync_function():
    await Entry.objects.acreate(label="x")

    def newest(request):
        # Sync ORM: would raise SynchronousOnlyOperation on the loop.
        Entry.objects.count()
        from datetime import UTC, datetime

        return datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

    view = last_modified(newest)(decorated.plain)
    response = await view(rf.get("/"))
    assert response["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    again = await view(rf.get("/", headers={"if-modified-since": response["Last-Modified"]}))
    assert again.status_code == 304


async def test_condition_matches_djangos_on_a_sync_view():
    def tag(request):
        return '"abc"'

    def sync_view(request):
        return decorated.HttpResponse("body")

    ours = condition(etag_func=tag)(sync_view)
    theirs = django_etag(tag)(sync_view)
    for headers in ({}, {"if-none-match": '"abc"'}, {"if-match": '"zzz"'}):
        request = rf.get("/", headers=headers)
        mine = await ours(request)
        django = await sync_to_async(theirs)(rf.get("/", headers=headers))
        assert (mine.status_code, mine.get("ETag"), mine.content) == (
            django.status_code,
            django.get("ETag"),
            django.content,
        )


def test_condition_misuse_is_rejected_when_decorating():
    with pytest.raises(TypeError, match=r"condition\(\) needs etag_func"):
        condition()
    with pytest.raises(TypeError, match=r"etag_func must be a callable or None"):
        condition(etag_func="x")
    with pytest.raises(TypeError, match=r"@etag needs a function"):
        etag("x")


# async_view


@URLS
async def test_async_view_runs_a_sync_orm_view_on_the_pool_with_one_hop():
    await Entry.objects.acreate(label="x")
    app = ASGIHandler()
    with count_hops() as ours:
        result = await arequest(app, "GET", "/sync-orm/")
    assert result.body == b"entries=1"
    with count_hops() as plain:
        result = await arequest(app, "GET", "/plain-sync-orm/")
    assert result.body == b"entries=1"
    # One trip to the db pool, versus the view's thread hop plus closing in that thread.
    assert ours.count == 1, ours.hops
    assert plain.count == 2, plain.hops


async def test_async_view_called_form_and_misuse():
    response = await decorated.sync_orm_called(rf.get("/"))
    assert response.content == b"entries=0"
    with pytest.raises(TypeError, match=r"is already async"):
        async_view(decorated.plain)
    with pytest.raises(TypeError, match=r"decorates a view function, got 3"):
        async_view(3)


@URLS
@override_settings(CACHES=CACHES)
async def test_cache_page_renders_a_template_response_before_storing_it(state):
    app = ASGIHandler()
    first = await arequest(app, "GET", "/cached-template/")
    second = await arequest(app, "GET", "/cached-template/")
    assert first.body == second.body == b"hello 1 from "
    assert state["calls"] == 1


@URLS
async def test_limit_concurrency_through_method_decorator_counts_across_requests(state):
    app = ASGIHandler()
    tasks = [asyncio.create_task(arequest(app, "GET", "/gated-class/")) for _ in range(10)]
    await until(lambda: sum(t.done() for t in tasks) == 9)
    assert state["entered"] == 1
    state["release"].set()
    statuses = sorted(r.status for r in await asyncio.gather(*tasks))
    assert statuses == [200] + [503] * 9


@URLS
@override_settings(CACHES=CACHES)
async def test_cache_page_through_method_decorator(state):
    app = ASGIHandler()
    results = [await arequest(app, "GET", "/cached-class/") for _ in range(3)]
    assert {r.body for r in results} == {b"class calls=1"}


@pytest.fixture
def atomic_requests():
    from django.db import connections

    from django_asyncx.executors import shutdown_executors

    entry = connections.settings["default"]
    saved = entry["ATOMIC_REQUESTS"]
    entry["ATOMIC_REQUESTS"] = True
    shutdown_executors()
    yield
    entry["ATOMIC_REQUESTS"] = saved
    shutdown_executors()


@URLS
async def test_async_view_runs_inside_atomic_requests(atomic_requests, caplog):
    from django_asyncx.asgi import get_asgi_application

    app = get_asgi_application()
    assert (await arequest(app, "GET", "/sync-write/?label=kept")).body == b"written"
    with caplog.at_level(logging.CRITICAL, logger="django.request"):
        failed = await arequest(app, "GET", "/sync-write/?label=undone&fail=1")
    assert failed.status == 500
    labels = [e.label async for e in Entry.objects.order_by("label")]
    assert labels == ["kept"]
