"""Async views: decorators and generic class-based views.

Names are loaded on first access, so ``from django_asyncx.views import timeout`` imports
only the decorators. Decorators::

    from django_asyncx.views import async_view, cache_page, condition, etag, last_modified
    from django_asyncx.views import limit_concurrency, timeout

Class-based views and mixins (same hooks as Django's ``ListView``, ``LoginRequiredMixin``...)::

    from django_asyncx.views import AsyncListView, AsyncDetailView, AsyncLoginRequiredMixin
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cache import cache_page
    from .decorators import condition, etag, last_modified, limit_concurrency, timeout
    from .generic import (
        AsyncCreateView,
        AsyncDeleteView,
        AsyncDetailView,
        AsyncFormView,
        AsyncListView,
        AsyncRedirectView,
        AsyncTemplateView,
        AsyncUpdateView,
        AsyncView,
    )
    from .mixins import (
        AsyncLoginRequiredMixin,
        AsyncPermissionRequiredMixin,
        AsyncUserPassesTestMixin,
    )
    from .sync import async_view

__all__ = [
    "AsyncCreateView",
    "AsyncDeleteView",
    "AsyncDetailView",
    "AsyncFormView",
    "AsyncListView",
    "AsyncLoginRequiredMixin",
    "AsyncPermissionRequiredMixin",
    "AsyncRedirectView",
    "AsyncTemplateView",
    "AsyncUpdateView",
    "AsyncUserPassesTestMixin",
    "AsyncView",
    "async_view",
    "cache_page",
    "condition",
    "etag",
    "last_modified",
    "limit_concurrency",
    "timeout",
]

_MODULES = {
    "AsyncCreateView": "generic",
    "AsyncDeleteView": "generic",
    "AsyncDetailView": "generic",
    "AsyncFormView": "generic",
    "AsyncListView": "generic",
    "AsyncRedirectView": "generic",
    "AsyncTemplateView": "generic",
    "AsyncUpdateView": "generic",
    "AsyncView": "generic",
    "AsyncLoginRequiredMixin": "mixins",
    "AsyncPermissionRequiredMixin": "mixins",
    "AsyncUserPassesTestMixin": "mixins",
    "async_view": "sync",
    "cache_page": "cache",
    "condition": "decorators",
    "etag": "decorators",
    "last_modified": "decorators",
    "limit_concurrency": "decorators",
    "timeout": "decorators",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
