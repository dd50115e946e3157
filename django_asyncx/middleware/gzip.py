"""``GZipMiddleware`` on the loop; async streaming responses are compressed as they stream."""

from __future__ import annotations

from django.middleware import gzip

from .base import LoopMiddlewareMixin

__all__ = ["GZipMiddleware"]


class GZipMiddleware(LoopMiddlewareMixin, gzip.GZipMiddleware):
    """Drop-in for ``django.middleware.gzip.GZipMiddleware``; no thread hop.

    Compression is CPU work on the loop, as it is for Django's async streaming path; it is
    skipped below 200 bytes, as in Django.
    """
