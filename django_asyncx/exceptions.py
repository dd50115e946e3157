"""Errors raised by django_asyncx.

Every error the library raises on purpose derives from :class:`AsyncxError`, and also from
the built-in or Django exception it is a kind of, so existing ``except`` clauses keep working::

    AsyncxError
    ├── ConfigurationError        (also django.core.exceptions.ImproperlyConfigured)
    ├── LifespanError             (also RuntimeError): a startup or shutdown hook failed
    ├── UnsupportedScopeError     (also ValueError): an ASGI scope type the entry cannot serve
    ├── TransactionTaskError      (also RuntimeError): a task used an async transaction block
    │                             it does not own (it outlived the block, or opened a nested
    │                             block from a task other than the block's)
    ├── LazyAccessError           (also django.core.exceptions.SynchronousOnlyOperation): async
    │                             code touched a relation or deferred field that was not loaded
    └── RenderInEventLoopError    (also RuntimeError): a template that must await something was
                                  rendered synchronously on the event loop's thread
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation

__all__ = [
    "AsyncxError",
    "ConfigurationError",
    "LazyAccessError",
    "LifespanError",
    "RenderInEventLoopError",
    "TransactionTaskError",
    "UnsupportedScopeError",
]


class AsyncxError(Exception):
    """Base class of every error django_asyncx raises on purpose."""


class ConfigurationError(AsyncxError, ImproperlyConfigured):
    """A setting or an argument has a value that is not accepted.

    The message names the setting (``ASYNCX["KEY"]``) or the argument, the value given and
    what is accepted.
    """


class LifespanError(AsyncxError, RuntimeError):
    """A lifespan startup or shutdown hook raised; the message names the hook."""


class UnsupportedScopeError(AsyncxError, ValueError):
    """The ASGI entry was called with a scope type it cannot serve."""


class TransactionTaskError(AsyncxError, RuntimeError):
    """A task used an ``async with atomic()`` block it does not own.

    Raised for a task spawned inside the block that makes a database call after the block
    ended (its call would silently run outside the transaction), and for a nested block
    opened from a task other than the one that holds the enclosing block (two tasks' savepoints
    on one connection would interleave).
    """


class LazyAccessError(AsyncxError, SynchronousOnlyOperation):
    """Async code touched a relation or a deferred field that was not loaded.

    Loading it would run a query on the event loop. The message names the model, the field
    and the fix (``select_related``, ``prefetch_related``, ``aresolve`` or ``only``/``defer``).
    """


class RenderInEventLoopError(AsyncxError, RuntimeError):
    """A native async (Jinja2) template was rendered synchronously on the event loop's thread.

    Its rendering has to await (an async filter or global, a database call); sync code on the
    loop cannot wait for it. Use ``await arender_to_string()`` / ``await arender()`` there.
    """
