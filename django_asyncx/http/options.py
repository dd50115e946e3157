"""The value objects behind ``ASYNCX["HTTP_CLIENTS"]``, and their validation.

This module imports no aiohttp: :mod:`django_asyncx.conf` validates the settings with it.
Every error names the full key, e.g. ``ASYNCX["HTTP_CLIENTS"]["github"]["timeout"]["connect"]``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from django_asyncx.exceptions import ConfigurationError

__all__ = [
    "IDEMPOTENT_METHODS",
    "ClientOptions",
    "MiddlewareOptions",
    "Retry",
    "Timeout",
    "parse_clients",
    "parse_middleware",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_SETTING = 'ASYNCX["HTTP_CLIENTS"]'


def _fail(where: str, value: object, accepted: str) -> ConfigurationError:
    return ConfigurationError(f"{where} is {value!r}; accepted: {accepted}")


def _seconds(where: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _fail(where, value, "a number of seconds > 0, or None for no limit")
    return float(value)


def _count(where: str, value: object, *, minimum: int, none: bool = False) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(where, value, f"an integer >= {minimum}" + (", or None" if none else ""))
    return value


def _keys(where: str, value: object, accepted: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, value, f"a dict with keys {', '.join(accepted)}")
    for key in value:
        if key not in accepted:
            raise ConfigurationError(
                f"{where} has unknown key {key!r}; accepted keys: {', '.join(accepted)}"
            )
    return value


@dataclass(frozen=True, slots=True)
class Timeout:
    """Time limits of a call, in seconds (``None``: no limit).

    ``total`` bounds the whole call, retries and backoff included; ``connect`` bounds
    opening one TCP connection; ``read`` bounds each wait for data from the upstream.
    """

    total: float | None = 30.0
    connect: float | None = 10.0
    read: float | None = 30.0

    @classmethod
    def parse(cls, value: object, where: str, base: Timeout | None = None) -> Timeout:
        """Build one from a number (the total), a dict, or a ``Timeout``; ``where`` names it."""
        base = base or cls()
        if isinstance(value, Timeout):
            return value
        if value is None or isinstance(value, int | float):
            return replace(base, total=_seconds(where, value))
        options = _keys(where, value, ("total", "connect", "read"))
        changes = {key: _seconds(f'{where}["{key}"]', item) for key, item in options.items()}
        return replace(base, **changes)


@dataclass(frozen=True, slots=True)
class Retry:
    """When and how often a failed call is tried again.

    A call is retried, at most ``max_retries`` times, when it is idempotent (GET, HEAD,
    OPTIONS, PUT, DELETE, TRACE, or marked ``idempotent=True``) and it failed to connect,
    timed out, or got one of ``statuses``. The n-th retry waits a random time between half
    and all of ``min(max_backoff, backoff * 2**n)`` seconds, or the upstream's
    ``Retry-After`` when it sent one (up to ``retry_after_max``, else the call fails at
    once). No retry starts when its wait would pass the call's total deadline.
    """

    max_retries: int = 2
    backoff: float = 0.1
    max_backoff: float = 2.0
    statuses: frozenset[int] = field(default=frozenset({429, 502, 503, 504}))
    retry_after_max: float = 30.0

    @classmethod
    def parse(cls, value: object, where: str, base: Retry | None = None) -> Retry:
        """Build one from an int (``max_retries``), a dict, ``None``/``False`` (no retries)."""
        base = base or cls()
        if isinstance(value, Retry):
            return value
        if value is None or value is False:
            return replace(base, max_retries=0)
        if isinstance(value, int) and not isinstance(value, bool):
            return replace(base, max_retries=_count(where, value, minimum=0))
        names = tuple(f.name for f in fields(cls))
        options = _keys(where, value, names)
        changes: dict[str, Any] = {}
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key == "max_retries":
                changes[key] = _count(at, item, minimum=0)
            elif key == "statuses":
                if isinstance(item, str | bytes) or not isinstance(item, list | tuple | set):
                    raise _fail(at, item, "a list of HTTP status codes (100-599)")
                for code in item:
                    if (
                        isinstance(code, bool)
                        or not isinstance(code, int)
                        or not 100 <= code <= 599
                    ):
                        raise _fail(at, item, "a list of HTTP status codes (100-599)")
                changes[key] = frozenset(item)
            else:
                seconds = _seconds(at, item)
                if seconds is None:
                    raise _fail(at, item, "a number of seconds > 0")
                changes[key] = seconds
        return replace(base, **changes)


def _headers(where: str, value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _fail(where, value, "a dict of header name to header value, both str")
    return tuple(value.items())


def _allowed_hosts(where: str, value: object) -> tuple[str, ...]:
    accepted = (
        "a list of host names (a leading dot matches subdomains), IP addresses or networks "
        "in CIDR notation"
    )
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _fail(where, value, accepted)
    hosts = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip(". ") or " " in item:
            raise _fail(f"{where}[{index}]", item, accepted)
        if "/" in item:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise _fail(f"{where}[{index}]", item, accepted) from None
        hosts.append(item.lower().rstrip("."))
    return tuple(hosts)


def _base_url(where: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise _fail(where, value, "None or an absolute http:// or https:// URL")
    return value


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """One named client of ``ASYNCX["HTTP_CLIENTS"]``, validated and complete with defaults."""

    name: str = "default"
    base_url: str | None = None
    timeout: Timeout = Timeout()
    retries: Retry = Retry()
    headers: tuple[tuple[str, str], ...] = ()
    limit: int = 100
    limit_per_host: int = 0
    allowed_hosts: tuple[str, ...] = ()
    allow_private: bool = False
    max_body_size: int | None = 10 * 1024 * 1024
    max_redirects: int = 5
    raise_for_status: bool = True

    @classmethod
    def parse(cls, name: str, value: object) -> ClientOptions:
        """Validate one client's dict; errors name ``ASYNCX["HTTP_CLIENTS"][name][key]``."""
        where = f'{_SETTING}["{name}"]'
        names = tuple(f.name for f in fields(cls) if f.name != "name")
        options = _keys(where, value, names)
        changes: dict[str, Any] = {"name": name}
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key == "base_url":
                changes[key] = _base_url(at, item)
            elif key == "timeout":
                changes[key] = Timeout.parse(item, at)
            elif key == "retries":
                changes[key] = Retry.parse(item, at)
            elif key == "headers":
                changes[key] = _headers(at, item)
            elif key in ("limit", "limit_per_host", "max_redirects"):
                changes[key] = _count(at, item, minimum=0)
            elif key == "max_body_size":
                changes[key] = _count(at, item, minimum=1, none=True)
            elif key == "allowed_hosts":
                changes[key] = _allowed_hosts(at, item)
            else:  # allow_private, raise_for_status
                if not isinstance(item, bool):
                    raise _fail(at, item, "True or False")
                changes[key] = item
        return cls(**changes)


def parse_clients(value: object) -> Mapping[str, ClientOptions]:
    """Validate ``ASYNCX["HTTP_CLIENTS"]``; a ``"default"`` client is added when absent."""
    if not isinstance(value, Mapping):
        raise _fail(_SETTING, value, "a dict of client name to a dict of client options")
    clients = {"default": ClientOptions()}
    for name, options in value.items():
        if not isinstance(name, str) or not name:
            raise _fail(f"{_SETTING} key", name, "a non-empty str naming the client")
        clients[name] = ClientOptions.parse(name, options)
    return MappingProxyType(clients)


@dataclass(frozen=True, slots=True)
class MiddlewareOptions:
    """``ASYNCX["HTTP_MIDDLEWARE"]``: what ``HttpClientMiddleware`` adds to each request.

    ``client`` names the client behind ``request.http``; ``request_id_header`` is read from
    the request (a safe value is kept, anything else replaced) and sent on every call;
    ``server_timing`` adds the ``Server-Timing`` header (``None``: when ``DEBUG`` is on);
    ``error_responses`` turns an unhandled :class:`~django_asyncx.exceptions.UpstreamError`
    into a 504 (timeout) or 502 (anything else) with a one-line message.
    """

    client: str = "default"
    request_id_header: str = "X-Request-ID"
    server_timing: bool | None = None
    error_responses: bool = False

    @classmethod
    def parse(cls, value: object) -> MiddlewareOptions:
        """Validate ``ASYNCX["HTTP_MIDDLEWARE"]``; errors name the nested key."""
        where = 'ASYNCX["HTTP_MIDDLEWARE"]'
        options = _keys(where, value, tuple(f.name for f in fields(cls)))
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key in ("client", "request_id_header"):
                if not isinstance(item, str) or not item or " " in item:
                    raise _fail(at, item, "a non-empty str without spaces")
            elif key == "server_timing":
                if item is not None and not isinstance(item, bool):
                    raise _fail(at, item, "True, False, or None (on when DEBUG is on)")
            elif not isinstance(item, bool):
                raise _fail(at, item, "True or False")
        return cls(**options)


def parse_middleware(value: object) -> MiddlewareOptions:
    """Validate ``ASYNCX["HTTP_MIDDLEWARE"]`` (see :class:`MiddlewareOptions`)."""
    return MiddlewareOptions.parse(value)
