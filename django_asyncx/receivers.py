"""Request signal receivers: which run on the loop, which in the request's thread, which not at all.

Django's ASGI handler sends ``request_started`` and ``request_finished`` with
``Signal.asend``, which runs every sync receiver in a thread. :func:`send_signal` sends them
as Django does, minus the hop when it would do nothing:

- receivers that act only on the request's sync thread (Django's ``close_old_connections``
  and ``reset_queries``, and any marked with :func:`request_thread_receiver`) are skipped
  when the request made no thread-sensitive hop: it has no such thread, so no connections
  there to clean up. When it made one, every sync receiver runs in that thread, in order;
- ``reset_urlconf``, and ``close_caches`` when no configured cache overrides ``close()``,
  run on the loop: they touch context-local state only;
- any other sync receiver runs in the request's thread; async receivers are awaited.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.cache import close_caches
from django.core.cache.backends.base import BaseCache
from django.core.handlers import base as handlers_base
from django.db import close_old_connections, reset_queries
from django.dispatch import Signal
from django.utils.module_loading import import_string

__all__ = ["request_thread_receiver", "send_signal"]

# Receivers that act only on the request's sync thread (its DB connections): skipped when the
# request made no thread-sensitive hop, run in that thread when it did.
_DB_RECEIVERS: set[Callable[..., Any]] = {close_old_connections, reset_queries}


def request_thread_receiver[F: Callable[..., Any]](receiver: F) -> F:
    """Mark a sync ``request_started``/``request_finished`` receiver that only acts on the
    request's sync thread, as Django's ``close_old_connections`` does.

    The handler skips it, without a hop, for a request that made no thread-sensitive hop
    (so has no such thread), and runs it in that thread, with the other sync receivers, for
    one that did. Use it as a decorator on a module-level function; returns it unchanged.
    """
    _DB_RECEIVERS.add(receiver)
    return receiver


def _loop_safe(receiver: Callable[..., Any]) -> bool:
    if receiver is handlers_base.reset_urlconf:
        return True
    if receiver is close_caches:
        return _caches_close_on_loop()
    return False


_caches_checked: list[Any] = [None, False]  # [the CACHES setting checked, the answer]


def _caches_close_on_loop() -> bool:
    """Whether no configured cache backend overrides ``close()`` (Redis, locmem, db...)."""
    config = settings.CACHES
    if _caches_checked[0] is not config:
        try:
            answer = all(
                import_string(entry["BACKEND"]).close is BaseCache.close
                for entry in config.values()
            )
        except (ImportError, KeyError, TypeError):
            answer = False
        _caches_checked[:] = [config, answer]
    return bool(_caches_checked[1])


_NO_SENDER = id(None)


def _only_django_receivers(signal: Signal) -> list[Callable[..., Any]] | None:
    """The receivers, in order, if all are Django's own loop-safe ones for every sender."""
    found: list[Callable[..., Any]] = []
    for entry in signal.receivers:
        lookup_key, ref, is_async = entry[0], entry[1], entry[-1]
        receiver: Any = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if is_async or lookup_key[1] != _NO_SENDER:
            return None
        if receiver not in _DB_RECEIVERS and not _loop_safe(receiver):
            return None
        found.append(receiver)
    return found


def _hopped(context: ThreadSensitiveContext | None) -> bool:
    """Whether this request has a sync thread (made a thread-sensitive hop)."""
    # Without a per-request context, sync code shares a long-lived thread: assume it hopped.
    return context is None or context in SyncToAsync.context_to_thread_executor


async def send_signal(
    signal: Signal, sender: Any, context: ThreadSensitiveContext | None, **named: Any
) -> None:
    """``signal.asend(sender, **named)`` with the hop left out when it would do nothing."""
    if not signal.receivers:
        return
    known = _only_django_receivers(signal)
    if known is not None and (not _hopped(context) or not _DB_RECEIVERS.intersection(known)):
        # The usual case, decided without building Django's receiver lists.
        for receiver in known:
            if receiver not in _DB_RECEIVERS:
                receiver(signal=signal, sender=sender, **named)
        return
    sync_receivers, async_receivers = signal._live_receivers(sender)
    hopped = _hopped(context)
    threaded: list[Callable[..., Any]] = []
    inline: list[Callable[..., Any]] = []
    for receiver in sync_receivers:
        if receiver in _DB_RECEIVERS and not hopped:
            continue
        (inline if _loop_safe(receiver) else threaded).append(receiver)
    if threaded:
        # As Django does: every sync receiver, in order, in the request's thread.
        threaded = [r for r in sync_receivers if hopped or r not in _DB_RECEIVERS]
        inline = []

    def run_sync() -> None:
        for receiver in threaded:
            receiver(signal=signal, sender=sender, **named)

    for receiver in inline:
        receiver(signal=signal, sender=sender, **named)
    awaitables: list[Awaitable[Any]] = [
        receiver(signal=signal, sender=sender, **named) for receiver in async_receivers
    ]
    if threaded:
        awaitables.insert(0, sync_to_async(run_sync)())
    if len(awaitables) == 1:
        await awaitables[0]
    elif awaitables:
        await asyncio.gather(*awaitables)
