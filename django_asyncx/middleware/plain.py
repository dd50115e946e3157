"""The drop-ins that add nothing to Django's middleware but running its hooks on the loop.

Their hooks read and write headers, without I/O, so
:class:`~django_asyncx.middleware.base.LoopMiddlewareMixin` runs them on the event loop as
they are. The drop-ins whose hooks may reach a store have their own modules
(:mod:`~django_asyncx.middleware.sessions`, :mod:`~django_asyncx.middleware.csrf`,
:mod:`~django_asyncx.middleware.messages`), and so does
:mod:`~django_asyncx.middleware.auth`: Django's authentication middleware imports
``django.contrib.auth``'s models, which a project without that app cannot import.
"""

from __future__ import annotations

from django.middleware import clickjacking, common, gzip, http, security

from .base import LoopMiddlewareMixin

__all__ = [
    "CommonMiddleware",
    "ConditionalGetMiddleware",
    "GZipMiddleware",
    "SecurityMiddleware",
    "XFrameOptionsMiddleware",
]


class SecurityMiddleware(LoopMiddlewareMixin, security.SecurityMiddleware):
    """Drop-in for ``django.middleware.security.SecurityMiddleware``; no thread hop.

    HSTS, the SSL redirect, nosniff, the referrer and cross-origin opener policies.
    """


class CommonMiddleware(LoopMiddlewareMixin, common.CommonMiddleware):
    """Drop-in for ``django.middleware.common.CommonMiddleware``; no thread hop.

    ``APPEND_SLASH``, ``PREPEND_WWW``, disallowed user agents. URL resolution for
    ``APPEND_SLASH`` is in-memory work, done on the loop.
    """


class XFrameOptionsMiddleware(LoopMiddlewareMixin, clickjacking.XFrameOptionsMiddleware):
    """Drop-in for ``django.middleware.clickjacking.XFrameOptionsMiddleware``; no hop."""


class GZipMiddleware(LoopMiddlewareMixin, gzip.GZipMiddleware):
    """Drop-in for ``django.middleware.gzip.GZipMiddleware``; no thread hop.

    Async streaming responses are compressed as they stream. Compression is CPU work on the
    loop, as it is for Django's async streaming path; it is skipped below 200 bytes, as in
    Django.
    """


class ConditionalGetMiddleware(LoopMiddlewareMixin, http.ConditionalGetMiddleware):
    """Drop-in for ``django.middleware.http.ConditionalGetMiddleware``; no thread hop.

    ETag and Last-Modified: 304 answers to conditional GETs.
    """
