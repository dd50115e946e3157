"""Every option's value object and its parser, in one place, with one set of validators.

django_asyncx reads two kinds of settings: the ``ASYNCX`` dict (:data:`OPTIONS`, read lazily
by :mod:`django_asyncx.conf`) and the native engine's keys of ``DATABASES[alias]["OPTIONS"]``
(:class:`NativeOptions`). Each option is parsed here, once, into a small frozen value object
(:class:`ExecutorConfig`, :class:`Timeout`, :class:`Retry`, :class:`ClientOptions`,
:class:`MiddlewareOptions`, :class:`NativeOptions`); the code that uses an option reads the
object, never the raw setting.

Every parser takes ``(value, where)``, where ``where`` is the full key of the value. A value
that is not accepted raises :class:`~django_asyncx.exceptions.ConfigurationError` naming that
key, the value given and what is accepted::

    ASYNCX["HTTP_CLIENTS"]["api"]["timeout"]["total"] is -1; accepted: a number of seconds > 0,
    or None for no limit

This module imports nothing heavy (no aiohttp, asyncpg or psycopg): settings are validated
without loading the features they configure.
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from .exceptions import ConfigurationError

__all__ = [
    "AUTO",
    "IDEMPOTENT_METHODS",
    "NATIVE_ENGINE",
    "NATIVE_KEYS",
    "OPTIONS",
    "ClientOptions",
    "ExecutorConfig",
    "MiddlewareOptions",
    "NativeOptions",
    "Option",
    "Retry",
    "Timeout",
    "header_name_error",
    "header_value_error",
    "parse_asyncx",
    "parse_clients",
    "parse_executors",
    "split_host_port",
]

NATIVE_ENGINE = "django_asyncx.db.backends.postgresql"
"""The ``ENGINE`` of the native PostgreSQL backend."""


class _Auto:
    """The default of an option whose value is worked out from other settings at use time."""

    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()
"""Marks an option left to its automatic value (see the option's documentation)."""


# -- the validators -----------------------------------------------------------------------


def _invalid(where: str, value: object, accepted: str) -> ConfigurationError:
    return ConfigurationError(f"{where} is {value!r}; accepted: {accepted}")


def _or_none(accepted: str, none: str | None) -> str:
    return accepted if none is None else f"{accepted}, or None {none}"


def _keys(value: object, where: str, accepted: Collection[str]) -> Mapping[str, Any]:
    """A dict whose keys are all in ``accepted``."""
    names = ", ".join(accepted)
    if not isinstance(value, Mapping):
        raise _invalid(where, value, f"a dict with keys {names}")
    for key in value:
        if key not in accepted:
            raise ConfigurationError(f"{where} has unknown key {key!r}; accepted keys: {names}")
    return value


def _flag(value: object, where: str, accepted: str = "True or False") -> bool:
    if not isinstance(value, bool):
        raise _invalid(where, value, accepted)
    return value


def _count(value: object, where: str, *, minimum: int, none: str | None = None) -> Any:
    """An int >= ``minimum``; also ``None`` when ``none`` says what it means."""
    if value is None and none is not None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _invalid(where, value, _or_none(f"an int >= {minimum}", none))
    return value


def _positive(
    value: object, where: str, *, unit: str, none: str | None = None, text: bool = False
) -> Any:
    """A number of ``unit`` > 0, as a float (``text``: also a str of one); also ``None``
    when ``none`` says what it means."""
    if value is None and none is not None:
        return None
    accepted = _or_none(f"a number of {unit} > 0" + (" (or a str of one)" if text else ""), none)
    number = value
    if text and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise _invalid(where, value, accepted) from None
    if isinstance(number, bool) or not isinstance(number, int | float) or not number > 0:
        raise _invalid(where, value, accepted)
    return float(number)


def _word(value: object, where: str, accepted: str, *, dotted: bool = False) -> str:
    """A non-empty str without spaces (``dotted``: a dotted path, no leading dot)."""
    if (
        not isinstance(value, str)
        or not value
        or " " in value
        or (dotted and value.startswith("."))
    ):
        raise _invalid(where, value, accepted)
    return value


def _items(value: object, where: str, accepted: str) -> list[Any] | tuple[Any, ...]:
    """A list or a tuple (not a str)."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _invalid(where, value, accepted)
    return value


def _named[T](
    value: object, where: str, *, what: str, accepted: str, parse: Callable[[str, object], T]
) -> dict[str, T]:
    """A dict of name to entry, each entry parsed by ``parse(name, entry)``."""
    if not isinstance(value, Mapping):
        raise _invalid(where, value, accepted)
    entries = {}
    for name, entry in value.items():
        if not isinstance(name, str) or not name:
            raise _invalid(f"{where} key", name, f"a non-empty str naming the {what}")
        entries[name] = parse(name, entry)
    return entries


# -- ASYNCX["EXECUTORS"] ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    """One entry of ``ASYNCX["EXECUTORS"]``: a named, bounded thread pool.

    ``max_workers`` is the number of threads (``None``: automatic, see
    :func:`django_asyncx.executors.get_executor`); a call that waits in the queue longer than
    ``queue_warn_ms`` milliseconds logs a warning (``None``: never).
    """

    max_workers: int | None = None
    queue_warn_ms: float | None = 100.0

    @classmethod
    def parse(cls, value: object, where: str) -> ExecutorConfig:
        """Validate one executor's dict; errors name ``where`` and the key in it."""
        options = _keys(value, where, ("max_workers", "queue_warn_ms"))
        changes: dict[str, Any] = {}
        if "max_workers" in options:
            changes["max_workers"] = _count(
                options["max_workers"], f'{where}["max_workers"]', minimum=1, none="for automatic"
            )
        if "queue_warn_ms" in options:
            changes["queue_warn_ms"] = _positive(
                options["queue_warn_ms"],
                f'{where}["queue_warn_ms"]',
                unit="milliseconds",
                none="to never warn",
            )
        return cls(**changes)


def parse_executors(value: object, where: str = 'ASYNCX["EXECUTORS"]') -> dict[str, ExecutorConfig]:
    """Validate ``ASYNCX["EXECUTORS"]``; the ``"db"`` and ``"blocking"`` executors always exist."""
    configs = {"db": ExecutorConfig(), "blocking": ExecutorConfig()}
    configs.update(
        _named(
            value,
            where,
            what="executor",
            accepted=(
                "a dict of executor name -> dict with 'max_workers' (a positive int, or None for "
                "automatic) and 'queue_warn_ms' (a positive number of milliseconds, or None); "
                "'db' and 'blocking' always exist"
            ),
            parse=lambda name, entry: ExecutorConfig.parse(entry, f'{where}["{name}"]'),
        )
    )
    return configs


# -- ASYNCX["HTTP_CLIENTS"] and ASYNCX["HTTP_MIDDLEWARE"] -----------------------------------

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""The methods a call may be retried for without being marked ``idempotent=True``."""

_seconds = partial(_positive, unit="seconds")
_seconds_or_none = partial(_positive, unit="seconds", none="for no limit")


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
            return replace(base, total=_seconds_or_none(value, where))
        options = _keys(value, where, ("total", "connect", "read"))
        changes = {
            key: _seconds_or_none(item, f'{where}["{key}"]') for key, item in options.items()
        }
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
            return replace(base, max_retries=_count(value, where, minimum=0))
        options = _keys(value, where, tuple(f.name for f in fields(cls)))
        changes: dict[str, Any] = {}
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key == "max_retries":
                changes[key] = _count(item, at, minimum=0)
            elif key == "statuses":
                changes[key] = _statuses(item, at)
            else:
                changes[key] = _seconds(item, at)
        return replace(base, **changes)


def _statuses(value: object, where: str) -> frozenset[int]:
    accepted = "a list of HTTP status codes (100-599)"
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set):
        raise _invalid(where, value, accepted)
    for code in value:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise _invalid(where, value, accepted)
    return frozenset(value)


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def header_name_error(name: str) -> str | None:
    """Why ``name`` cannot be an HTTP header name (RFC 9110 token), or ``None``."""
    return (
        None if name and _TOKEN.issuperset(name) else "a token (letters, digits, !#$%&'*+-.^_`|~)"
    )


def header_value_error(value: str) -> str | None:
    """Why ``value`` cannot be sent as an HTTP header value, or ``None``."""
    return "no CR, LF or NUL character" if any(c in value for c in "\r\n\0") else None


def _headers(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _invalid(where, value, "a dict of header name to header value, both str")
    for name, item in value.items():
        at = f'{where}["{name}"]'
        if problem := header_name_error(name):
            raise ConfigurationError(f"{at} is not a valid header name; accepted: {problem}")
        if problem := header_value_error(item):
            # The value is left out of the message: configured headers are often secrets.
            raise ConfigurationError(f"{at} has a value that is not accepted; accepted: {problem}")
    return tuple(value.items())


def _credential_headers(value: object, where: str) -> tuple[str, ...]:
    accepted = "a list of header names (tokens), dropped on a redirect to another origin"
    names = []
    for index, item in enumerate(_items(value, where, accepted)):
        if not isinstance(item, str) or header_name_error(item):
            raise _invalid(f"{where}[{index}]", item, accepted)
        names.append(item.lower())
    return tuple(names)


def split_host_port(entry: str) -> tuple[str, int | None]:
    """``"host:port"``, ``"[v6]:port"``, ``"host"`` or ``"v6"`` into (host, port or ``None``).

    Raises ``ValueError`` for a port that is not an int in 1-65535.
    """
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            raise ValueError(entry)
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:  # a name, an IPv4 address or a bare IPv6 address or network
        host, port = entry, None
    if port is None:
        return host, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(entry)
    return host, int(port)


def _allowed_hosts(value: object, where: str) -> tuple[str, ...]:
    accepted = (
        "a list of host names (a leading dot matches subdomains), IP addresses or networks "
        "in CIDR notation, a name or an address with a port (host:port, [v6]:port; 1-65535) "
        "to allow that port only"
    )
    hosts = []
    for index, item in enumerate(_items(value, where, accepted)):
        if not isinstance(item, str) or not item.strip(". ") or " " in item:
            raise _invalid(f"{where}[{index}]", item, accepted)
        try:
            host, _port = split_host_port(item)
            if "/" in host:
                ipaddress.ip_network(host, strict=False)
        except ValueError:
            raise _invalid(f"{where}[{index}]", item, accepted) from None
        hosts.append(item.lower().rstrip("."))
    return tuple(hosts)


def _base_url(value: object, where: str) -> str | None:
    if value is None:
        return None
    accepted = "None or an absolute http:// or https:// URL with a host"
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise _invalid(where, value, accepted)
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        raise _invalid(where, value, accepted + " and a port in 1-65535") from None
    if not parts.hostname or any(c in value for c in " \t\r\n\0"):
        raise _invalid(where, value, accepted)
    return value


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """One named client of ``ASYNCX["HTTP_CLIENTS"]``, validated and complete with defaults."""

    name: str = "default"
    base_url: str | None = None
    timeout: Timeout = Timeout()
    retries: Retry = Retry()
    headers: tuple[tuple[str, str], ...] = ()
    credential_headers: tuple[str, ...] = ()
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
        where = f'ASYNCX["HTTP_CLIENTS"]["{name}"]'
        options = _keys(value, where, tuple(f.name for f in fields(cls) if f.name != "name"))
        changes: dict[str, Any] = {"name": name}
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key == "base_url":
                changes[key] = _base_url(item, at)
            elif key == "timeout":
                changes[key] = Timeout.parse(item, at)
            elif key == "retries":
                changes[key] = Retry.parse(item, at)
            elif key == "headers":
                changes[key] = _headers(item, at)
            elif key == "credential_headers":
                changes[key] = _credential_headers(item, at)
            elif key in ("limit", "limit_per_host", "max_redirects"):
                changes[key] = _count(item, at, minimum=0)
            elif key == "max_body_size":
                changes[key] = _count(item, at, minimum=1, none="for no limit")
            elif key == "allowed_hosts":
                changes[key] = _allowed_hosts(item, at)
            else:  # allow_private, raise_for_status
                changes[key] = _flag(item, at)
        return cls(**changes)


def parse_clients(
    value: object, where: str = 'ASYNCX["HTTP_CLIENTS"]'
) -> Mapping[str, ClientOptions]:
    """Validate ``ASYNCX["HTTP_CLIENTS"]``; a ``"default"`` client is added when absent."""
    clients = {"default": ClientOptions()}
    clients.update(
        _named(
            value,
            where,
            what="client",
            accepted="a dict of client name to a dict of client options",
            parse=ClientOptions.parse,
        )
    )
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
    def parse(cls, value: object, where: str = 'ASYNCX["HTTP_MIDDLEWARE"]') -> MiddlewareOptions:
        """Validate ``ASYNCX["HTTP_MIDDLEWARE"]``; errors name the nested key."""
        options = _keys(value, where, tuple(f.name for f in fields(cls)))
        for key, item in options.items():
            at = f'{where}["{key}"]'
            if key in ("client", "request_id_header"):
                _word(item, at, "a non-empty str without spaces")
            elif key == "server_timing":
                if item is not None:
                    _flag(item, at, "True, False, or None (on when DEBUG is on)")
            else:
                _flag(item, at)
        return cls(**options)


# -- the native engine's DATABASES[alias]["OPTIONS"] --------------------------------------


@dataclass(frozen=True, slots=True)
class NativeOptions:
    """The validated pool settings of one alias on the native engine.

    ::

        DATABASES = {
            "default": {
                "ENGINE": "django_asyncx.db.backends.postgresql",
                ...,
                "OPTIONS": {
                    "native_max_size": 20,            # connections per event loop
                    "native_min_size": 0,             # opened when the pool is created
                    "native_statement_cache_size": 100,
                    "native_pgbouncer": False,        # True: statement cache off
                    "native_acquire_timeout": None,   # seconds to wait for a free connection
                    "connect_timeout": 10,            # libpq's key, used by both paths
                },
            }
        }

    The ``native_*`` keys (:data:`NATIVE_KEYS`) are removed before psycopg sees ``OPTIONS``;
    every other key keeps its meaning for the sync path.
    """

    min_size: int = 0
    max_size: int = 10
    statement_cache_size: int = 100
    pgbouncer: bool = False
    acquire_timeout: float | None = None
    connect_timeout: float = 10.0

    @classmethod
    def for_alias(cls, alias: str, settings_dict: Mapping[str, Any]) -> NativeOptions:
        """Validate what the native path reads of ``DATABASES[alias]``: ``PORT`` and the
        ``OPTIONS`` (:meth:`parse`)."""
        _port(settings_dict.get("PORT"), f'DATABASES["{alias}"]["PORT"]')
        return cls.parse(alias, settings_dict.get("OPTIONS") or {})

    @classmethod
    def parse(cls, alias: str, options: Mapping[str, Any]) -> NativeOptions:
        """Validate the native keys of ``options``, the ``OPTIONS`` of ``DATABASES[alias]``.

        An unknown ``native_*`` key (a typo) and an ``isolation_level`` that is not one of
        ``psycopg.IsolationLevel`` are refused too."""
        where = f'DATABASES["{alias}"]["OPTIONS"]'
        for key in options:
            if isinstance(key, str) and key.startswith("native_") and key not in NATIVE_KEYS:
                # Compared without the shared prefix, which would make every key look close.
                suffixes = sorted(name.removeprefix("native_") for name in NATIVE_KEYS)
                close = difflib.get_close_matches(key.removeprefix("native_"), suffixes, n=1)
                hint = f" (did you mean 'native_{close[0]}'?)" if close else ""
                raise ConfigurationError(
                    f"{where} has unknown key {key!r}{hint}; accepted native keys: "
                    f"{', '.join(sorted(NATIVE_KEYS))}"
                )
        if "isolation_level" in options:
            _isolation_level(options["isolation_level"], f'{where}["isolation_level"]')
        values = {
            name: parse(options[key], f'{where}["{key}"]')
            for key, (name, parse) in _NATIVE_FIELDS.items()
            if key in options
        }
        result = cls(**values)
        if result.min_size > result.max_size:
            raise ConfigurationError(
                f'{where}["native_min_size"] is {result.min_size}, more than '
                f'["native_max_size"] {result.max_size}; accepted: min_size <= max_size'
            )
        if result.pgbouncer:
            if options.get("native_statement_cache_size", 0) != 0:
                raise ConfigurationError(
                    f'{where}["native_statement_cache_size"] is {result.statement_cache_size} '
                    "with native_pgbouncer=True; accepted: 0 or unset (PgBouncer in "
                    "transaction mode cannot keep prepared statements)"
                )
            result = replace(result, statement_cache_size=0)
        return result


# key of OPTIONS -> (field of NativeOptions, parser); connect_timeout is libpq's, read too.
_NATIVE_FIELDS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "native_min_size": ("min_size", partial(_count, minimum=0)),
    "native_max_size": ("max_size", partial(_count, minimum=1)),
    "native_statement_cache_size": ("statement_cache_size", partial(_count, minimum=0)),
    "native_pgbouncer": ("pgbouncer", _flag),
    "native_acquire_timeout": ("acquire_timeout", _seconds_or_none),
    "connect_timeout": ("connect_timeout", partial(_positive, unit="seconds", text=True)),
}
NATIVE_KEYS = frozenset(key for key in _NATIVE_FIELDS if key.startswith("native_"))
"""The keys of ``OPTIONS`` only the native path reads; psycopg never sees them."""

# psycopg.IsolationLevel, without importing psycopg (an IntEnum: its members compare equal).
_ISOLATION_LEVELS = {
    1: "READ_UNCOMMITTED",
    2: "READ_COMMITTED",
    3: "REPEATABLE_READ",
    4: "SERIALIZABLE",
}


def _isolation_level(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in _ISOLATION_LEVELS:
        levels = ", ".join(f"{n} ({name})" for n, name in _ISOLATION_LEVELS.items())
        raise _invalid(where, value, f"one of the psycopg.IsolationLevel values: {levels}")
    return int(value)


def _port(value: object, where: str) -> int | None:
    """Empty (libpq's default port) or a TCP port, as an int or a str of digits."""
    if value is None or value == "":
        return None
    accepted = 'empty ("") or a port number 1-65535 (an int or a str of digits)'
    number = value
    if isinstance(value, str):
        if not value.isdigit():
            raise _invalid(where, value, accepted)
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
        raise _invalid(where, value, accepted)
    return number


# -- ASYNCX -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One key of ``ASYNCX``: the value used when it is left out, and its parser.

    ``parse(value, where)`` returns the value stored (normalised), or raises
    :class:`~django_asyncx.exceptions.ConfigurationError` naming ``where`` (or a key inside
    it), the value given and what is accepted.
    """

    default: Any
    parse: Callable[[Any, str], Any]


_HOOK = (
    "a module (imported for its @on_startup/@on_shutdown hooks), a hook function, or an "
    "async generator function that yields once"
)


def _lifespan(value: object, where: str) -> tuple[str, ...]:
    items = _items(value, where, f"a list of dotted paths, each to {_HOOK}")
    return tuple(
        _word(item, f"{where}[{index}]", f"a dotted path to {_HOOK}", dotted=True)
        for index, item in enumerate(items)
    )


def _websocket_application(value: object, where: str) -> str | None:
    accepted = "None or a dotted path to an ASGI application that serves websocket scopes"
    return None if value is None else _word(value, where, accepted, dotted=True)


def _loop_block_warn_ms(value: object, where: str) -> Any:
    if value is AUTO:
        return AUTO
    return _positive(
        value,
        where,
        unit="milliseconds",
        none="to turn it off; left out: 100 when DEBUG is True, else off",
    )


def _loop_safe_middleware(value: object, where: str) -> frozenset[str]:
    accepted = "a dotted path to a MiddlewareMixin middleware whose hooks do no blocking I/O"
    items = _items(value, where, f"a list of dotted paths, each to {accepted[2:]}")
    return frozenset(
        _word(item, f"{where}[{index}]", accepted, dotted=True) for index, item in enumerate(items)
    )


_NATIVE_AMETHODS = (
    "True or False: whether Django's a-methods (aget, acreate, async for, asave...) take the "
    "native path for aliases on the native PostgreSQL engine"
)

OPTIONS: dict[str, Option] = {
    "LIFESPAN": Option((), _lifespan),
    "WEBSOCKET_APPLICATION": Option(None, _websocket_application),
    "EXECUTORS": Option(parse_executors({}), parse_executors),
    "LOOP_BLOCK_WARN_MS": Option(AUTO, _loop_block_warn_ms),
    "LAZY_ACCESS_GUARD": Option(True, _flag),
    "HTTP_CLIENTS": Option(parse_clients({}), parse_clients),
    "HTTP_MIDDLEWARE": Option(MiddlewareOptions(), MiddlewareOptions.parse),
    "LOOP_SAFE_MIDDLEWARE": Option(frozenset(), _loop_safe_middleware),
    "NATIVE_AMETHODS": Option(True, partial(_flag, accepted=_NATIVE_AMETHODS)),
    "TEST_WAIT_TIMEOUT": Option(
        10.0, partial(_positive, unit="seconds", none="to wait without a bound")
    ),
}
"""The keys of ``ASYNCX``, each with its default and its parser; the settings reference in
the docs has a section for each."""


def parse_asyncx(config: object) -> dict[str, Any]:
    """Validate a user's ``ASYNCX`` value and return it complete with defaults.

    Raises :class:`~django_asyncx.exceptions.ConfigurationError` for anything but a dict, for
    an unknown key, and for a value its option does not accept.
    """
    given = _keys(config, "ASYNCX", OPTIONS)
    return {
        key: option.parse(given[key], f'ASYNCX["{key}"]') if key in given else option.default
        for key, option in OPTIONS.items()
    }
