"""The async HTTP client: named clients on aiohttp with per-loop sessions.

Importing this package is cheap: the client and its responses, which need aiohttp, load on
first access, so ``django_asyncx.conf`` can validate ``ASYNCX["HTTP_CLIENTS"]`` without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_asyncx._lazy import lazy_exports
from django_asyncx.options import ClientOptions, Retry, Timeout

from .fanout import gather
from .tracing import CallContext, CallRecord, current_context

if TYPE_CHECKING:
    from .client import DEFAULT, Client, get_client
    from .upstream_response import Response, StreamResponse

__all__ = [
    "DEFAULT",
    "CallContext",
    "CallRecord",
    "Client",
    "ClientOptions",
    "Response",
    "Retry",
    "StreamResponse",
    "Timeout",
    "current_context",
    "gather",
    "get_client",
]

__getattr__ = lazy_exports(
    __name__,
    DEFAULT=".client",
    Client=".client",
    get_client=".client",
    Response=".upstream_response",
    StreamResponse=".upstream_response",
)
