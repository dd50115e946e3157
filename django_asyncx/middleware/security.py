"""``SecurityMiddleware`` on the loop: HSTS, SSL redirect, nosniff, referrer and COOP."""

from __future__ import annotations

from django.middleware import security

from .base import LoopMiddlewareMixin

__all__ = ["SecurityMiddleware"]


class SecurityMiddleware(LoopMiddlewareMixin, security.SecurityMiddleware):
    """Drop-in for ``django.middleware.security.SecurityMiddleware``; no thread hop."""
