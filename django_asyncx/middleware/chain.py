"""How each middleware of an async chain runs: on the loop, or in one shared thread hop.

Django runs a ``MiddlewareMixin`` middleware in an async chain by calling its
``process_request`` and ``process_response`` through ``sync_to_async``: two thread hops per
middleware per request; a sync-only middleware costs one hop. django_asyncx's handler
(:meth:`django_asyncx.handler.ASGIHandler.load_middleware`) builds the chain by
:func:`middleware_mode` instead:

- ``"async"``: an async-capable middleware (django_asyncx's drop-ins, django-cors-headers...)
  runs on the loop, as in Django;
- ``"loop"``: a ``MiddlewareMixin`` middleware declared loop-safe (:func:`loop_safe`, or
  its dotted path in ``ASYNCX["LOOP_SAFE_MIDDLEWARE"]``) has its hooks called on the loop:
  no hop;
- ``"sync"``: every other middleware runs in sync mode, as under WSGI. Neighbours in sync
  mode call each other directly, so a contiguous run of them costs **one** hop per request:
  the request goes down and the response comes up in the same thread-sensitive call, and
  the async rest of the chain is reached from it with ``async_to_sync``. Their
  ``process_view`` hooks, when next to each other, are called in one hop too.

Exceptions are turned into responses between every two middleware, and ``process_view``,
``process_template_response`` and ``process_exception`` keep Django's order and meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from asgiref.sync import sync_to_async
from django.utils.deprecation import MiddlewareMixin

__all__ = [
    "LOOP_SAFE_ATTRIBUTE",
    "group_view_hooks",
    "loop_safe",
    "loop_variant",
    "middleware_mode",
    "on_loop",
]

LOOP_SAFE_ATTRIBUTE = "asyncx_loop_safe"
"""The class attribute :func:`loop_safe` sets; a class may also set it to ``True`` itself."""


def loop_safe[T: type](cls: T) -> T:
    """Declare a ``MiddlewareMixin`` middleware's hooks safe to run on the event loop.

    Its ``process_request``, ``process_response``, ``process_view`` and
    ``process_template_response`` are then called on the loop, with no thread hop: only
    declare it of hooks that do no blocking I/O (no query, no cache or file access, no
    outbound call). ``process_exception`` is still consulted in a thread, as in Django.
    For a class you cannot decorate (third-party), list its dotted path in
    ``ASYNCX["LOOP_SAFE_MIDDLEWARE"]`` instead.
    """
    if not (isinstance(cls, type) and issubclass(cls, MiddlewareMixin)):
        raise TypeError(f"loop_safe() takes a MiddlewareMixin subclass, got {cls!r}")
    setattr(cls, LOOP_SAFE_ATTRIBUTE, True)
    return cls


def _hops_per_hook(middleware: Any) -> bool:
    """Whether ``middleware`` is a ``MiddlewareMixin`` running its hooks as Django does."""
    return (
        isinstance(middleware, type)
        and issubclass(middleware, MiddlewareMixin)
        and middleware.__call__ is MiddlewareMixin.__call__
        and middleware.__acall__ is MiddlewareMixin.__acall__
    )


def middleware_mode(middleware: Any, path: str, declared: Collection[str]) -> str:
    """``"async"``, ``"loop"`` or ``"sync"``: how ``middleware`` (at ``path``) runs in an
    async chain, given the dotted paths ``declared`` loop-safe in settings."""
    if _hops_per_hook(middleware):
        if path in declared or getattr(middleware, LOOP_SAFE_ATTRIBUTE, False) is True:
            return "loop"
        return "sync"
    return "async" if getattr(middleware, "async_capable", False) else "sync"


_variants: dict[type, type] = {}


def loop_variant(middleware: type) -> type:
    """The subclass of a loop-safe ``MiddlewareMixin`` that calls its hooks on the loop."""
    variant = _variants.get(middleware)
    if variant is None:
        from .base import LoopMiddlewareMixin

        variant = type(
            middleware.__name__,
            (LoopMiddlewareMixin, middleware),
            {"__module__": middleware.__module__, "__qualname__": middleware.__qualname__},
        )
        _variants[middleware] = variant
    return variant


def on_loop(method: Callable[..., Any]) -> Callable[..., Any]:
    """A sync hook of a loop-safe middleware, awaitable and called on the loop."""

    async def call(*args: Any) -> Any:
        return method(*args)

    call.__self__ = getattr(method, "__self__", None)  # type: ignore[attr-defined]
    return call


def group_view_hooks(hooks: list[tuple[Callable[..., Any], bool]]) -> list[Callable[..., Any]]:
    """``process_view`` hooks in chain order, each ``(hook, is_async)``: awaitables, with
    each run of sync neighbours called in one thread hop (the first response wins)."""
    grouped: list[Callable[..., Any]] = []
    run: list[Callable[..., Any]] = []

    def close_run() -> None:
        if not run:
            return
        methods = tuple(run)
        run.clear()

        def call_in_turn(*args: Any) -> Any:
            for method in methods:
                response = method(*args)
                if response:
                    return response
            return None

        # Named after the first hook's middleware, which the hop counter and the audit show.
        owner = type(getattr(methods[0], "__self__", None))
        call_in_turn.__module__ = owner.__module__
        call_in_turn.__qualname__ = f"{owner.__qualname__}.process_view"
        grouped.append(sync_to_async(call_in_turn, thread_sensitive=True))

    for hook, is_async in hooks:
        if is_async:
            close_run()
            grouped.append(hook)
        else:
            run.append(hook)
    close_run()
    return grouped
