"""Where the handler runs each sync request signal receiver, and when a request has a thread."""

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.core.cache import close_caches
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, reset_queries
from django.test import override_settings

from django_asyncx.receivers import (
    ReceiverRun,
    classify_receiver,
    has_request_thread,
    request_thread_receiver,
)


def _any_receiver(sender, **kwargs):
    pass


def _cleanup_receiver(sender, **kwargs):
    pass


def test_djangos_own_receivers_run_on_the_loop_or_as_thread_cleanup():
    assert classify_receiver(reset_urlconf) is ReceiverRun.ON_LOOP
    assert classify_receiver(close_caches) is ReceiverRun.ON_LOOP  # locmem closes nothing
    assert classify_receiver(close_old_connections) is ReceiverRun.THREAD_CLEANUP
    assert classify_receiver(reset_queries) is ReceiverRun.THREAD_CLEANUP


def test_any_other_receiver_runs_in_the_thread_unless_marked_as_thread_cleanup():
    assert classify_receiver(_any_receiver) is ReceiverRun.IN_THREAD
    assert request_thread_receiver(_cleanup_receiver) is _cleanup_receiver
    assert classify_receiver(_cleanup_receiver) is ReceiverRun.THREAD_CLEANUP


@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"}}
)
def test_closing_caches_that_hold_connections_runs_in_the_thread():
    assert classify_receiver(close_caches) is ReceiverRun.IN_THREAD


async def test_a_request_has_a_thread_once_it_made_a_thread_sensitive_hop():
    assert has_request_thread(None)
    async with ThreadSensitiveContext():
        context = SyncToAsync.thread_sensitive_context.get()
        assert not has_request_thread(context)
        await sync_to_async(lambda: None)()
        assert has_request_thread(context)
