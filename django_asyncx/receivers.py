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

:func:`classify_receiver` answers, for one sync receiver, which of these it is (a
:class:`ReceiverRun`): the handler sends by it, and ``manage.py asyncx_audit`` reports it.
"""

from __future__ import annotations

import asyncio
import enum
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

__all__ = [
    "ReceiverRun",
    "classify_receiver",
    "has_request_thread",
    "request_thread_receiver",
    "send_signal",
]


class ReceiverRun(enum.Enum):
    """Where the handler runs one sync ``request_started``/``request_finished`` receiver."""

    ON_LOOP = "on the loop"
    """It touches context-local state only (``reset_urlconf``, ``close_caches`` when no
    configured cache overrides ``close()``): called on the event loop, no hop."""

    THREAD_CLEANUP = "request-thread cleanup"
    """It acts only on the request's sync thread (``close_old_connections``,
    ``reset_queries``, any :func:`request_thread_receiver`): skipped when the request made
    no thread-sensitive hop, run in that thread when it did."""

    IN_THREAD = "in the request's thread"
    """Any other sync receiver: run in the request's thread, as Django does."""


# Receivers that act only on the request's sync thread (its DB connections).
_THREAD_CLEANUP: set[Callable[..., Any]] = {close_old_connections, reset_queries}


def request_thread_receiver[F: Callable[..., Any]](receiver: F) -> F:
    """Mark a sync ``request_started``/``request_finished`` receiver that only acts on the
    request's sync thread, as Django's ``close_old_connections`` does.

    The handler skips it, without a hop, for a request that made no thread-sensitive hop
    (so has no such thread), and runs it in that thread, with the other sync receivers, for
    one that did. Use it as a decorator on a module-level function; returns it unchanged.
    """
    _THREAD_CLEANUP.add(receiver)
    return receiver


def classify_receiver(receiver: Callable[..., Any]) -> ReceiverRun:
    """Where the handler runs ``receiver``, a sync request signal receiver (see
    :class:`ReceiverRun`); ``manage.py asyncx_audit`` reports the same answer."""
    if receiver in _THREAD_CLEANUP:
        return ReceiverRun.THREAD_CLEANUP
    if receiver is handlers_base.reset_urlconf:
        return ReceiverRun.ON_LOOP
    if receiver is close_caches and _caches_close_on_loop():
        return ReceiverRun.ON_LOOP
    return ReceiverRun.IN_THREAD


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


def _only_django_receivers(signal: Signal) -> list[tuple[Callable[..., Any], ReceiverRun]] | None:
    """The receivers and where each runs, in order, if none runs in a thread, for any sender."""
    found: list[tuple[Callable[..., Any], ReceiverRun]] = []
    for entry in signal.receivers:
        lookup_key, ref, is_async = entry[0], entry[1], entry[-1]
        receiver: Any = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if is_async or lookup_key[1] != _NO_SENDER:
            return None
        run = classify_receiver(receiver)
        if run is ReceiverRun.IN_THREAD:
            return None
        found.append((receiver, run))
    return found


def has_request_thread(context: ThreadSensitiveContext | None) -> bool:
    """Whether the request of this thread-sensitive ``context`` has a sync thread, that is,
    made a thread-sensitive hop (a sync view, a sync middleware, one of Django's a-methods).

    Without a per-request context (``None``) sync code shares a long-lived thread: counted as
    having one.
    """
    return context is None or context in SyncToAsync.context_to_thread_executor


async def send_signal(
    signal: Signal, sender: Any, context: ThreadSensitiveContext | None, **named: Any
) -> None:
    """``signal.asend(sender, **named)`` with the hop left out when it would do nothing.

    Each sync receiver runs where :func:`classify_receiver` says; ``context`` is the
    request's thread-sensitive context (see :func:`has_request_thread`).
    """
    if not signal.receivers:
        return
    known = _only_django_receivers(signal)
    if known is not None and (
        not has_request_thread(context) or all(run is ReceiverRun.ON_LOOP for _, run in known)
    ):
        # The usual case, decided without building Django's receiver lists.
        for receiver, run in known:
            if run is ReceiverRun.ON_LOOP:
                receiver(signal=signal, sender=sender, **named)
        return
    sync_receivers, async_receivers = signal._live_receivers(sender)
    hopped = has_request_thread(context)
    due = [
        (receiver, run)
        for receiver in sync_receivers
        if (run := classify_receiver(receiver)) is not ReceiverRun.THREAD_CLEANUP or hopped
    ]
    receivers = [receiver for receiver, _ in due]
    inline: list[Callable[..., Any]] = []
    threaded: list[Callable[..., Any]] = []
    if all(run is ReceiverRun.ON_LOOP for _, run in due):
        inline = receivers
    else:
        # As Django does: every sync receiver, in order, in the request's thread.
        threaded = receivers

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
