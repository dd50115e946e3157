"""``AuthenticationMiddleware`` on the loop: ``request.user`` and ``request.auser``."""

from __future__ import annotations

from django.contrib.auth import middleware

from .base import LoopMiddlewareMixin

__all__ = ["AuthenticationMiddleware"]


class AuthenticationMiddleware(LoopMiddlewareMixin, middleware.AuthenticationMiddleware):
    """Drop-in for ``django.contrib.auth.middleware.AuthenticationMiddleware``; no hop.

    It only attaches the lazy ``request.user`` and ``request.auser``; async views should
    ``await request.auser()``, which loads the user without blocking the loop.
    """
