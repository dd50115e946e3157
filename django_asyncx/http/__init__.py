"""The async HTTP client: named clients on aiohttp with per-loop sessions.

Importing this package is cheap: the names below load their module (and aiohttp) on first
access, so ``django_asyncx.conf`` can validate ``ASYNCX["HTTP_CLIENTS"]`` without aiohttp.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from django_asyncx.options import ClientOptions, Retry, Timeout

if TYPE_CHECKING:
    from .client import DEFAULT, Client, get_client
    from .fanout import gather
    from .response import Response, StreamResponse
    from .tracing import CallContext, CallRecord, current_context

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

_MODULES = {
    "DEFAULT": "client",
    "Client": "client",
    "Response": "response",
    "StreamResponse": "response",
    "get_client": "client",
    "gather": "fanout",
    "CallContext": "tracing",
    "CallRecord": "tracing",
    "current_context": "tracing",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
