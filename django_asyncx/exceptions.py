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
    ├── LazyAccessError           (also django.core.exceptions.SynchronousOnlyOperation): async
    │                             code touched a relation or deferred field that was not loaded
    ├── RenderInEventLoopError    (also RuntimeError): a template that must await something was
    │                             rendered synchronously on the event loop's thread
    └── UpstreamError             an outbound HTTP call (django_asyncx.http) failed
        ├── UpstreamTimeout       (also TimeoutError): connect, read or total deadline passed
        ├── UpstreamConnectionError (also ConnectionError): refused, reset, DNS failure...
        ├── UpstreamStatusError   the upstream answered 4xx/5xx; carries status and body
        ├── ResponseTooLarge      (also ValueError): the body exceeds max_body_size
        ├── InvalidHeader         (also ValueError): a header name or value that cannot be
        │                         sent (CR/LF: header injection)
        └── BlockedDestination    (also PermissionError): refused by the SSRF guard
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation

__all__ = [
    "AsyncxError",
    "BlockedDestination",
    "ConfigurationError",
    "InvalidHeader",
    "LazyAccessError",
    "LifespanError",
    "MissingGreenletError",
    "PoolTimeoutError",
    "RenderInEventLoopError",
    "ResponseTooLarge",
    "TransactionTaskError",
    "UnsupportedScopeError",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamStatusError",
    "UpstreamTimeout",
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
    """No native connection became free within ``OPTIONS["native_acquire_timeout"]``.

    It means overload, not a bug: the handler answers ``503 Service Unavailable`` with
    ``Retry-After: retry_after`` (seconds) instead of a 500.
    """

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


class UpstreamError(AsyncxError):
    """An outbound HTTP call made with :mod:`django_asyncx.http` failed.

    ``method`` and ``url`` name the call (the URL without its query string, which may hold
    secrets). ``HttpClientMiddleware`` can turn an unhandled one into a 502/504 response.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class UpstreamTimeout(UpstreamError, TimeoutError):
    """A call ran out of time; ``phase`` is ``"connect"``, ``"read"`` or ``"total"``."""

    def __init__(self, message: str, *, method: str = "", url: str = "", phase: str) -> None:
        super().__init__(message, method=method, url=url)
        self.phase = phase


class UpstreamConnectionError(UpstreamError, ConnectionError):
    """The upstream could not be reached or dropped the connection (refused, reset, DNS)."""


class UpstreamStatusError(UpstreamError):
    """The upstream answered with a 4xx or 5xx status.

    ``status`` is the status code, ``body`` the start of the response body (truncated to
    ``BODY_EXCERPT`` bytes) and ``headers`` the response headers.
    """

    BODY_EXCERPT = 1024

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.body = body[: self.BODY_EXCERPT]
        self.headers: Mapping[str, str] = headers if headers is not None else {}


class ResponseTooLarge(UpstreamError, ValueError):
    """A response body is larger than the call's ``max_body_size`` (``limit``, in bytes)."""

    def __init__(self, message: str, *, method: str = "", url: str = "", limit: int) -> None:
        super().__init__(message, method=method, url=url)
        self.limit = limit


class InvalidHeader(UpstreamError, ValueError):
    """A call's header cannot be sent: ``header`` names it.

    A CR, LF or NUL in a value would let whoever controls the value add headers or a whole
    request (header injection); a name must be an HTTP token. The message names the header,
    never its value, which may be a secret.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "", header: str) -> None:
        super().__init__(message, method=method, url=url)
        self.header = header


class BlockedDestination(UpstreamError, PermissionError):
    """The SSRF guard refused a destination; ``host`` and ``reason`` say which and why."""

    def __init__(
        self, message: str, *, method: str = "", url: str = "", host: str, reason: str
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.host = host
        self.reason = reason
