"""The event-loop block detector: a sync sleep in an async view is logged with the request
and the blocking line; an awaited sleep is not."""

import asyncio
import logging
import threading

import pytest
from django.test import override_settings

from django_asyncx.asgi import get_asgi_application
from django_asyncx.watchdog import ensure_loop_watchdog, threshold_ms
from tests.support.asgi_calls import asgi_get

pytestmark = pytest.mark.django_db(transaction=True)


def watchdog_threads() -> int:
    return sum(t.name == "asyncx-loop-watchdog" for t in threading.enumerate())


def blocked(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("event loop blocked")]


@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": 100})
async def test_sync_sleep_in_async_view_is_logged_with_path_and_stack(caplog):
    app = get_asgi_application()
    with caplog.at_level(logging.WARNING, logger="django_asyncx.watchdog"):
        assert await asgi_get(app, "/testapp/block/") == (200, b"slept")
    [record] = blocked(caplog)
    message = record.getMessage()
    assert "(request: GET /testapp/block/)" in message
    assert "in block_the_loop" in message
    assert "time.sleep(0.3)" in message


@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": 100})
async def test_awaited_sleep_is_not_reported(caplog):
    app = get_asgi_application()
    with caplog.at_level(logging.WARNING, logger="django_asyncx.watchdog"):
        assert await asgi_get(app, "/testapp/sleep/") == (200, b"slept")
    assert blocked(caplog) == []
    watchdog = await ensure_loop_watchdog()
    assert watchdog is not None
    assert watchdog.blocks == 0


@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": 50})
def test_one_watchdog_per_loop_stopped_when_the_loop_ends():
    before = watchdog_threads()

    async def twice() -> bool:
        first = await ensure_loop_watchdog()
        return first is await ensure_loop_watchdog() and watchdog_threads() == before + 1

    assert asyncio.run(twice())
    assert watchdog_threads() == before


def test_threshold_defaults_to_100_ms_with_debug_only(settings):
    settings.DEBUG = True
    assert threshold_ms() == 100
    settings.DEBUG = False
    assert threshold_ms() is None
    settings.ASYNCX = {"LOOP_BLOCK_WARN_MS": 250}
    assert threshold_ms() == 250
    settings.ASYNCX = {"LOOP_BLOCK_WARN_MS": None}
    settings.DEBUG = True
    assert threshold_ms() is None


@override_settings(ASYNCX={"LOOP_BLOCK_WARN_MS": None})
async def test_off_means_no_thread():
    before = watchdog_threads()
    assert await ensure_loop_watchdog() is None
    assert watchdog_threads() == before


def test_bad_threshold_names_the_setting():
    from django_asyncx.conf import validate
    from django_asyncx.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match=r'ASYNCX\["LOOP_BLOCK_WARN_MS"\] is -5'):
        validate({"LOOP_BLOCK_WARN_MS": -5})
    with pytest.raises(ConfigurationError, match=r'ASYNCX\["LAZY_ACCESS_GUARD"\]'):
        validate({"LAZY_ACCESS_GUARD": "yes"})
