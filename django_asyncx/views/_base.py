"""What the view decorators share: telling async views from sync ones, and checking misuse."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase

__all__ = [
    "AsyncView",
    "View",
    "check_request",
    "check_view",
    "is_async_view",
    "positive_number",
    "status_code",
    "view_name",
]

View = Callable[..., Any]
AsyncView = Callable[..., Awaitable[HttpResponseBase]]


def view_name(view: object) -> str:
    """``module.qualname`` of ``view``, for messages and logs."""
    return f"{getattr(view, '__module__', '?')}.{getattr(view, '__qualname__', view)}"


def check_view(view: object, decorator: str) -> None:
    """Reject what is not a view function at decoration time, naming the decorator."""
    if inspect.isclass(view):
        raise TypeError(
            f"@{decorator} decorates view functions; for the class {view.__qualname__} use "
            f"method_decorator({decorator}(...), name='dispatch') or decorate .as_view()"
        )
    if not callable(view):
        raise TypeError(f"@{decorator} decorates a view function, got {view!r}")


def is_async_view(view: object) -> bool:
    """Whether calling ``view`` returns an awaitable, including a class view's ``dispatch``.

    ``method_decorator`` hands decorators a partial of the bound ``dispatch``, which is a
    sync function that returns a coroutine for an async class-based view.
    """
    if iscoroutinefunction(view):
        return True
    func = view.func if isinstance(view, partial) else view
    owner = getattr(func, "__self__", None)
    return bool(owner is not None and getattr(type(owner), "view_is_async", False))


def check_request(request: object, decorator: str) -> None:
    """The first argument must be a request: a plain method decorated directly is not."""
    if not isinstance(request, HttpRequest):
        raise TypeError(
            f"@{decorator} didn't receive an HttpRequest (got {type(request).__name__}); to "
            "decorate a method, use django.utils.decorators.method_decorator"
        )


def positive_number(value: object, name: str, decorator: str, *, zero: bool = False) -> float:
    """Validate a number of seconds (or a count) given to a decorator."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{decorator}(): {name} must be a number, got {value!r}")
    if value < 0 or (value == 0 and not zero):
        accepted = ">= 0" if zero else "> 0"
        raise ValueError(f"{decorator}(): {name} must be {accepted}, got {value!r}")
    return float(value)


def status_code(value: object, decorator: str) -> int:
    """Validate an HTTP status code given to a decorator."""
    if isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599:
        raise ValueError(f"{decorator}(): status must be an int from 400 to 599, got {value!r}")
    return value
