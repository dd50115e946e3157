"""Async-native middleware: drop-ins for Django's defaults that make no thread hop.

Each middleware lives in its own module and is loaded on first access, so naming
``django_asyncx.middleware.SessionMiddleware`` in ``MIDDLEWARE`` imports only that module
(and ``HttpClientMiddleware``, for ``request.http``, imports aiohttp only when it is used).
The one-line swap of a ``MIDDLEWARE`` list::

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
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AuthenticationMiddleware
    from .clickjacking import XFrameOptionsMiddleware
    from .common import CommonMiddleware
    from .conditional import ConditionalGetMiddleware
    from .csrf import CsrfViewMiddleware
    from .gzip import GZipMiddleware
    from .http_client import HttpClientMiddleware
    from .messages import MessageMiddleware
    from .security import SecurityMiddleware
    from .sessions import SessionMiddleware

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
    "XFrameOptionsMiddleware",
    "async_native",
]

_MODULES = {
    "AuthenticationMiddleware": "auth",
    "CommonMiddleware": "common",
    "ConditionalGetMiddleware": "conditional",
    "CsrfViewMiddleware": "csrf",
    "GZipMiddleware": "gzip",
    "HttpClientMiddleware": "http_client",
    "MessageMiddleware": "messages",
    "SecurityMiddleware": "security",
    "SessionMiddleware": "sessions",
    "XFrameOptionsMiddleware": "clickjacking",
}

#: Django's middleware path -> the dotted path of its async-native drop-in.
DROP_INS: dict[str, str] = {
    "django.middleware.security.SecurityMiddleware": f"{__name__}.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware": f"{__name__}.SessionMiddleware",
    "django.middleware.common.CommonMiddleware": f"{__name__}.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": f"{__name__}.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware": (
        f"{__name__}.AuthenticationMiddleware"
    ),
    "django.contrib.messages.middleware.MessageMiddleware": f"{__name__}.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": (
        f"{__name__}.XFrameOptionsMiddleware"
    ),
    "django.middleware.gzip.GZipMiddleware": f"{__name__}.GZipMiddleware",
    "django.middleware.http.ConditionalGetMiddleware": f"{__name__}.ConditionalGetMiddleware",
}


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


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
