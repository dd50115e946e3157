"""Async-native middleware: drop-ins for Django's defaults that make no thread hop.

Settings modules import this package (for :func:`async_native`) before Django is set up, so
each middleware class loads with its module only when first read, as Django loads
``MIDDLEWARE``: the drop-ins import the DB bridge, the authentication one needs the app
registry ready, and ``HttpClientMiddleware`` (for ``request.http``) imports aiohttp. The
one-line swap of a ``MIDDLEWARE`` list::

    from django_asyncx.middleware import async_native

    MIDDLEWARE = async_native([
        "django.middleware.security.SecurityMiddleware",
        ...
    ])

replaces each Django middleware that has a drop-in (see :data:`DROP_INS`) and keeps the
others in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django_asyncx._lazy import lazy_exports

if TYPE_CHECKING:
    from .auth import AuthenticationMiddleware
    from .csrf import CsrfViewMiddleware
    from .http_client import HttpClientMiddleware
    from .messages import MessageMiddleware
    from .plain import (
        CommonMiddleware,
        ConditionalGetMiddleware,
        GZipMiddleware,
        SecurityMiddleware,
        XFrameOptionsMiddleware,
    )
    from .sessions import SessionMiddleware
    from .whitenoise import WhiteNoiseMiddleware

__all__ = [
    "DROP_INS",
    "AuthenticationMiddleware",
    "CommonMiddleware",
    "ConditionalGetMiddleware",
    "CsrfViewMiddleware",
    "GZipMiddleware",
    "HttpClientMiddleware",
    "MessageMiddleware",
    "SecurityMiddleware",
    "SessionMiddleware",
    "WhiteNoiseMiddleware",
    "XFrameOptionsMiddleware",
    "async_native",
]

# Each Django middleware that has a drop-in -> the module defining the drop-in, which keeps
# Django's class name. Django's classes cannot be imported here to read them off the
# drop-ins' bases (settings are not loaded yet); the tests check that each drop-in
# subclasses the class its entry names.
_DROP_IN_MODULES = {
    "django.middleware.security.SecurityMiddleware": ".plain",
    "django.contrib.sessions.middleware.SessionMiddleware": ".sessions",
    "django.middleware.common.CommonMiddleware": ".plain",
    "django.middleware.csrf.CsrfViewMiddleware": ".csrf",
    "django.contrib.auth.middleware.AuthenticationMiddleware": ".auth",
    "django.contrib.messages.middleware.MessageMiddleware": ".messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": ".plain",
    "django.middleware.gzip.GZipMiddleware": ".plain",
    "django.middleware.http.ConditionalGetMiddleware": ".plain",
    # Third-party (the `static` extra): imported only when a settings list names it.
    "whitenoise.middleware.WhiteNoiseMiddleware": ".whitenoise",
}
#: Django's middleware path -> the dotted path of its async-native drop-in.
DROP_INS: dict[str, str] = {
    path: f"{__name__}.{path.rpartition('.')[2]}" for path in _DROP_IN_MODULES
}

__getattr__ = lazy_exports(
    __name__,
    HttpClientMiddleware=".http_client",
    **{path.rpartition(".")[2]: module for path, module in _DROP_IN_MODULES.items()},
)


def async_native(middleware: Iterable[str]) -> list[str]:
    """Return ``middleware`` with each Django middleware that has a drop-in replaced by it.

    Order is kept; paths without a drop-in (your own, third-party) are left as they are.
    A string instead of a list of strings is a ``TypeError``.
    """
    if isinstance(middleware, str):
        raise TypeError(
            f"async_native() takes a list of middleware paths, got the string {middleware!r}"
        )
    paths = list(middleware)
    for index, path in enumerate(paths):
        if not isinstance(path, str):
            raise TypeError(f"async_native(): item {index} is {path!r}, not a dotted path")
    return [DROP_INS.get(path, path) for path in paths]
