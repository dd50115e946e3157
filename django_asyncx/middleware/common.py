"""``CommonMiddleware`` on the loop: APPEND_SLASH, PREPEND_WWW, disallowed user agents."""

from __future__ import annotations

from django.middleware import common

from .base import LoopMiddlewareMixin

__all__ = ["CommonMiddleware"]


class CommonMiddleware(LoopMiddlewareMixin, common.CommonMiddleware):
    """Drop-in for ``django.middleware.common.CommonMiddleware``; no thread hop.

    URL resolution for ``APPEND_SLASH`` is in-memory work, done on the loop.
    """
