"""``XFrameOptionsMiddleware`` on the loop."""

from __future__ import annotations

from django.middleware import clickjacking

from .base import LoopMiddlewareMixin

__all__ = ["XFrameOptionsMiddleware"]


class XFrameOptionsMiddleware(LoopMiddlewareMixin, clickjacking.XFrameOptionsMiddleware):
    """Drop-in for ``django.middleware.clickjacking.XFrameOptionsMiddleware``; no hop."""
