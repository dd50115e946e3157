"""Async views: decorators and generic class-based views.

Decorators::

    from django_asyncx.views import async_view, cache_page, condition, etag, last_modified
    from django_asyncx.views import limit_concurrency, timeout

Class-based views and mixins (same hooks as Django's ``ListView``, ``LoginRequiredMixin``...)::

    from django_asyncx.views import AsyncListView, AsyncDetailView, AsyncLoginRequiredMixin

The access mixins load on first access: they subclass ``django.contrib.auth``'s, which
needs that app installed, and a project without it still uses the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_asyncx._lazy import lazy_exports

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
from .sync import async_view

if TYPE_CHECKING:
    from .mixins import (
        AsyncLoginRequiredMixin,
        AsyncPermissionRequiredMixin,
        AsyncUserPassesTestMixin,
    )

# Grouped as the docs present them: decorators, then the generic views in the order of Django's
# own modules (base, detail, list, edit), then the access mixins.
__all__ = [  # noqa: RUF022
    "async_view",
    "cache_page",
    "condition",
    "etag",
    "last_modified",
    "limit_concurrency",
    "timeout",
    "AsyncView",
    "AsyncTemplateView",
    "AsyncRedirectView",
    "AsyncDetailView",
    "AsyncListView",
    "AsyncFormView",
    "AsyncCreateView",
    "AsyncUpdateView",
    "AsyncDeleteView",
    "AsyncLoginRequiredMixin",
    "AsyncPermissionRequiredMixin",
    "AsyncUserPassesTestMixin",
]

__getattr__ = lazy_exports(
    __name__,
    AsyncLoginRequiredMixin=".mixins",
    AsyncPermissionRequiredMixin=".mixins",
    AsyncUserPassesTestMixin=".mixins",
)
