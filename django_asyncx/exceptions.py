"""Errors raised by django_asyncx.

Every error the library raises on purpose derives from :class:`AsyncxError`, and also from
the built-in or Django exception it is a kind of, so existing ``except`` clauses keep working::

    AsyncxError
    ├── ConfigurationError        (also django.core.exceptions.ImproperlyConfigured)
    ├── LifespanError             (also RuntimeError): a startup or shutdown hook failed
    ├── MissingGreenletError      (also RuntimeError): native-engine I/O outside run_native()
    ├── PoolTimeoutError          (also TimeoutError): no native connection freed in time
    ├── UnsupportedScopeError     (also ValueError): an ASGI scope type the entry cannot serve
    ├── TransactionTaskError      (also RuntimeError): a task used an async transaction block
    │                             it does not own (it outlived the block, or opened a nested
    │                             block from a task other than the block's)
    └── LazyAccessError           (also django.core.exceptions.SynchronousOnlyOperation): async
                                  code touched a relation or deferred field that was not loaded
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation

__all__ = [
    "AsyncxError",
    "ConfigurationError",
    "LazyAccessError",
    "LifespanError",
    "MissingGreenletError",
    "PoolTimeoutError",
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


class MissingGreenletError(AsyncxError, RuntimeError):
    """Code that needs the native engine's greenlet ran outside it.

    The native PostgreSQL path only runs inside ``run_native()`` (or ``run_in_db`` for an
    alias on ``django_asyncx.db.backends.postgresql``).
    """


class PoolTimeoutError(AsyncxError, TimeoutError):
    """No native connection became free within ``OPTIONS["native_acquire_timeout"]``."""


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
