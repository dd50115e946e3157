"""Errors raised by django_asyncx.

Every error the library raises on purpose derives from :class:`AsyncxError`, and also from
the built-in or Django exception it is a kind of, so existing ``except`` clauses keep working::

    AsyncxError
    ├── ConfigurationError        (also django.core.exceptions.ImproperlyConfigured)
    ├── LifespanError             (also RuntimeError): a startup or shutdown hook failed
    ├── MissingGreenletError      (also RuntimeError): native-engine I/O outside run_native()
    ├── PoolTimeoutError          (also TimeoutError): no native connection freed in time
    └── UnsupportedScopeError     (also ValueError): an ASGI scope type the entry cannot serve
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "AsyncxError",
    "ConfigurationError",
    "LifespanError",
    "MissingGreenletError",
    "PoolTimeoutError",
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
