"""``ConditionalGetMiddleware`` on the loop: ETag and Last-Modified, 304 answers."""

from __future__ import annotations

from django.middleware import http

from .base import LoopMiddlewareMixin

__all__ = ["ConditionalGetMiddleware"]


class ConditionalGetMiddleware(LoopMiddlewareMixin, http.ConditionalGetMiddleware):
    """Drop-in for ``django.middleware.http.ConditionalGetMiddleware``; no thread hop."""
