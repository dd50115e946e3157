"""View decorators for async Django: timeouts, concurrency limits, conditional GET.

Each works on async and sync function views, and on class-based views through
``method_decorator(..., name="dispatch")``; misuse (a missing argument, a class, a value out
of range) is a ``TypeError``/``ValueError`` when decorating. A sync view is run through
:func:`~django_asyncx.views.sync.async_view` (the DB bridge's bounded pool) so that the
decorator can work on the loop. :func:`~django_asyncx.views.cache.cache_page` lives in
:mod:`django_asyncx.views.cache`.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from django_asyncx.db import run_in_db

from ._base import (
    AsyncView,
    View,
    check_request,
    check_view,
    positive_number,
    status_code,
    view_name,
)
from .sync import as_async

__all__ = ["condition", "etag", "last_modified", "limit_concurrency", "timeout"]

logger = logging.getLogger("django_asyncx.views")


def timeout(seconds: float, /, *, status: int = 504) -> Callable[[View], AsyncView]:
    """Cancel the view after ``seconds`` and answer ``status`` (504) instead.

    Cancellation reaches whatever the view awaits (a query through the DB bridge is
    abandoned and its connection cleaned up by the bridge; an HTTP call is aborted). The
    cancellation is logged on ``django_asyncx.views`` with the view and the request. A sync
    view runs through :func:`async_view`; it cannot be interrupted, so after the timeout it
    finishes in its thread and its response is discarded. The time covers producing the
    response, not streaming its body.
    """
    if callable(seconds):
        raise TypeError("@timeout needs the number of seconds: @timeout(5), not @timeout")
    limit = positive_number(seconds, "seconds", "timeout")
    code = status_code(status, "timeout")

    def decorate(view: View) -> AsyncView:
        check_view(view, "timeout")
        target = as_async(view)
        is_sync = target is not view

        @wraps(view)
        async def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            deadline = asyncio.timeout(limit)
            try:
                async with deadline:
                    return await target(request, *args, **kwargs)
            except TimeoutError:
                if not deadline.expired():
                    raise
            logger.warning(
                "timeout: %s %s took over %gs; %s %s",
                "sync view" if is_sync else "view",
                view_name(view),
                limit,
                "abandoned (it finishes in its thread)" if is_sync else "cancelled",
                f"({getattr(request, 'method', '')} {getattr(request, 'path', '')})",
            )
            return HttpResponse(
                f"The server did not answer within {limit:g} seconds.\n",
                status=code,
                content_type="text/plain; charset=utf-8",
            )

        return wrapper

    return decorate


@dataclass(slots=True)
class _Gate:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass(slots=True)
class _Gates:
    by_key: dict[Hashable, _Gate] = field(default_factory=dict)


def limit_concurrency(
    limit: int,
    /,
    *,
    key: Callable[[HttpRequest], Hashable | Awaitable[Hashable]] | None = None,
    wait: float = 0,
    status: int = 503,
    retry_after: int = 1,
) -> Callable[[View], AsyncView]:
    """Let at most ``limit`` requests run the view at once (per key, per event loop).

    ``key(request)`` (sync or async) splits the limit, for example per user:
    ``key=lambda r: r.user.pk``; without it the limit is per view. A request over the limit
    waits up to ``wait`` seconds for a slot, then gets ``status`` (503) with
    ``Retry-After: retry_after``. Keys with no request in flight are forgotten.
    """
    if callable(limit):
        raise TypeError(
            "@limit_concurrency needs the limit: @limit_concurrency(10), not @limit_concurrency"
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit_concurrency(): limit must be an int >= 1, got {limit!r}")
    if key is not None and not callable(key):
        raise TypeError(f"limit_concurrency(): key must be a callable or None, got {key!r}")
    patience = positive_number(wait, "wait", "limit_concurrency", zero=True)
    code = status_code(status, "limit_concurrency")
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError(
            f"limit_concurrency(): retry_after must be an int >= 0 (seconds), got {retry_after!r}"
        )
    key_is_async = key is not None and iscoroutinefunction(key)
    # method_decorator decorates the bound dispatch again on every request: the counts are
    # kept per view function, not per decoration, so that they persist across requests.
    states: dict[object, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gates]] = {}

    def decorate(view: View) -> AsyncView:
        check_view(view, "limit_concurrency")
        target = as_async(view)
        loops = states.setdefault(_identity(view), weakref.WeakKeyDictionary())

        async def gate_key(request: Any) -> Hashable:
            if key is None:
                return None
            value: Any = key(request)
            return await value if key_is_async else value  # type: ignore[no-any-return]

        @wraps(view)
        async def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            check_request(request, "limit_concurrency")
            gates = loops.setdefault(asyncio.get_running_loop(), _Gates())
            name = await gate_key(request)
            gate = gates.by_key.get(name)
            if gate is None:
                gate = gates.by_key[name] = _Gate(asyncio.Semaphore(limit))
            gate.users += 1
            try:
                if gate.semaphore.locked() and patience == 0:
                    return _rejected(view, code, retry_after)
                try:
                    async with asyncio.timeout(patience or None):
                        await gate.semaphore.acquire()
                except TimeoutError:
                    return _rejected(view, code, retry_after)
                try:
                    return await target(request, *args, **kwargs)
                finally:
                    gate.semaphore.release()
            finally:
                gate.users -= 1
                if gate.users == 0:
                    del gates.by_key[name]

        return wrapper

    return decorate


def _identity(view: View) -> object:
    """What stays the same for a view across decorations: the function behind a partial or
    a bound method (``method_decorator`` passes a new partial of the bound method each time)."""
    func: Any = view.func if isinstance(view, partial) else view
    return getattr(func, "__func__", func)


def _rejected(view: View, status: int, retry_after: int) -> HttpResponse:
    logger.info("limit_concurrency: %s is at its limit; answering %s", view_name(view), status)
    response = HttpResponse(
        "Too many requests in progress; retry later.\n",
        status=status,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response


ConditionFunc = Callable[..., Any]


async def _call(func: ConditionFunc, request: Any, args: Any, kwargs: Any) -> Any:
    if iscoroutinefunction(func):
        return await func(request, *args, **kwargs)
    # A sync function usually reads the database: run it through the bridge.
    return await run_in_db(func, request, *args, **kwargs)


def condition(
    etag_func: ConditionFunc | None = None, last_modified_func: ConditionFunc | None = None
) -> Callable[[View], AsyncView]:
    """Django's ``condition`` decorator, with functions that may be async or use the ORM.

    ``etag_func`` and ``last_modified_func`` take the view's arguments and return an ETag
    string and a datetime (or None). Async functions are awaited on the loop; sync functions
    run through :func:`django_asyncx.db.run_in_db`, so ORM queries in them are safe. The
    view gets a 304 or 412 answer, or runs and gets ``ETag``/``Last-Modified`` set on GET
    and HEAD, exactly as with Django's decorator.
    """
    for name, func in (("etag_func", etag_func), ("last_modified_func", last_modified_func)):
        if func is not None and not callable(func):
            raise TypeError(f"condition(): {name} must be a callable or None, got {func!r}")
    if etag_func is None and last_modified_func is None:
        raise TypeError("condition() needs etag_func, last_modified_func or both")

    def decorate(view: View) -> AsyncView:
        check_view(view, "condition")
        target = as_async(view)

        @wraps(view)
        async def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            check_request(request, "condition")
            res_last_modified = None
            if last_modified_func is not None:
                dt = await _call(last_modified_func, request, args, kwargs)
                if dt:
                    if not timezone.is_aware(dt):
                        dt = timezone.make_aware(dt, datetime.UTC)
                    res_last_modified = int(dt.timestamp())
            res_etag = None
            if etag_func is not None:
                res_etag = await _call(etag_func, request, args, kwargs)
                res_etag = quote_etag(res_etag) if res_etag is not None else None
            response: Any = get_conditional_response(
                request, etag=res_etag, last_modified=res_last_modified
            )
            if response is None:
                response = await target(request, *args, **kwargs)
            if request.method in ("GET", "HEAD"):
                if res_last_modified and not response.has_header("Last-Modified"):
                    response.headers["Last-Modified"] = http_date(res_last_modified)
                if res_etag:
                    response.headers.setdefault("ETag", res_etag)
            return response  # type: ignore[no-any-return]

        return wrapper

    return decorate


def etag(etag_func: ConditionFunc, /) -> Callable[[View], AsyncView]:
    """``condition(etag_func=etag_func)``; the function may be async or use the ORM."""
    _needs_function(etag_func, "etag")
    return condition(etag_func=etag_func)


def last_modified(last_modified_func: ConditionFunc, /) -> Callable[[View], AsyncView]:
    """``condition(last_modified_func=...)``; the function may be async or use the ORM."""
    _needs_function(last_modified_func, "last_modified")
    return condition(last_modified_func=last_modified_func)


def _needs_function(func: object, decorator: str) -> None:
    if not callable(func):
        raise TypeError(f"@{decorator} needs a function computing the value, got {func!r}")
