"""Async-native middleware.

Each middleware lives in its own module and is loaded on first access, so naming
``django_asyncx.middleware.HttpClientMiddleware`` in ``MIDDLEWARE`` imports aiohttp only
when that middleware is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .http_client import HttpClientMiddleware

__all__ = ["HttpClientMiddleware"]

_MODULES = {"HttpClientMiddleware": "http_client"}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
