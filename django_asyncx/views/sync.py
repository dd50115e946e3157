"""Sync views on the async stack: :func:`async_view` runs one on the DB bridge's pool.

:func:`as_async` is how the other decorators take any view: an async one as it is, a sync
one through :func:`async_view`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, overload

from django.http import HttpResponseBase

from django_asyncx.db import run_in_db

from ._base import AsyncView, View, check_view, is_async_view, view_name

__all__ = ["as_async", "async_view"]


@overload
def async_view(view: View, /) -> AsyncView: ...
@overload
def async_view(*, using: str | None = None) -> Callable[[View], AsyncView]: ...
def async_view(view: View | None = None, /, *, using: str | None = None) -> Any:
    """Run a sync view on the DB bridge's bounded pool, making it an async view.

    A migration step: one sync view no longer makes Django run it (and everything around
    it) through thread hops with a thread per request; it runs on the ``db`` pool with
    ``close_old_connections()`` around it, and the rest of the stack stays on the loop.
    ``using`` picks the database alias whose pool runs it. Bare or called; applying it to
    an async view is a ``TypeError``.
    """

    def decorate(func: View) -> AsyncView:
        check_view(func, "async_view")
        if is_async_view(func):
            raise TypeError(
                f"@async_view runs a sync view in a thread; {view_name(func)} is already async"
            )

        @wraps(func)
        async def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return await run_in_db(func, request, *args, using=using, **kwargs)

        return wrapper

    return decorate if view is None else decorate(view)


def as_async(view: View) -> AsyncView:
    """``view`` itself if async; else it wrapped by :func:`async_view`."""
    return view if is_async_view(view) else async_view(view)
