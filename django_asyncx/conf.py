"""The ``ASYNCX`` settings dict: defaults, validation, and reset on ``setting_changed``.

All of django_asyncx is configured through one dict in the Django settings::

    ASYNCX = {
        "LIFESPAN": ["myproject.lifespan"],
    }

It is read lazily, on first use, and validated as a whole: an unknown key or a value of the
wrong kind raises :class:`~django_asyncx.exceptions.ConfigurationError` naming the key, the
value given and what is accepted. ``override_settings(ASYNCX=...)`` in tests takes effect at
once because the cache is dropped on Django's ``setting_changed`` signal.

Each option is declared once, in :data:`OPTIONS`, with its default and its validator; the
settings reference in the docs lists the same table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings as django_settings
from django.core.signals import setting_changed

from .exceptions import ConfigurationError
from .http.options import parse_clients, parse_middleware

__all__ = [
    "AUTO",
    "OPTIONS",
    "ExecutorConfig",
    "Option",
    "Settings",
    "asyncx_settings",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Option:
    """One key of ``ASYNCX``.

    ``convert`` receives the user's value and returns the value stored (normalised), or
    raises ``TypeError``/``ValueError`` with a short reason; the reason is reported together
    with the key and ``accepted``.
    """

    default: Any
    accepted: str
    convert: Callable[[Any], Any]


def _dotted_path(value: object) -> str:
    if not isinstance(value, str) or not value or value.startswith(".") or " " in value:
        raise TypeError(f"got {value!r}")
    return value


def _dotted_paths(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise TypeError(f"got {type(value).__name__} {value!r}")
    for index, item in enumerate(value):
        try:
            _dotted_path(item)
        except TypeError:
            raise TypeError(f"item {index} is {item!r}") from None
    return tuple(value)


def _optional_dotted_path(value: object) -> str | None:
    return None if value is None else _dotted_path(value)


class _Auto:
    """The default of an option whose value is worked out from other settings at use time."""

    def __repr__(self) -> str:
        return "AUTO"


AUTO: Any = _Auto()
"""Marks an option left to its automatic value (see the option's ``accepted`` text)."""


@dataclass(frozen=True, slots=True)
class ExecutorConfig:
    """One entry of ``ASYNCX["EXECUTORS"]``: a named, bounded thread pool.

    ``max_workers`` is the number of threads (``None``: automatic, see
    :func:`django_asyncx.executors.get_executor`); a call that waits in the queue longer than
    ``queue_warn_ms`` milliseconds logs a warning (``None``: never).
    """

    max_workers: int | None = None
    queue_warn_ms: float | None = 100.0


_DEFAULT_QUEUE_WARN_MS = 100.0


_EXECUTOR_KEYS = ("max_workers", "queue_warn_ms")
_DEFAULT_EXECUTORS = ("db", "blocking")


def _positive_number(value: object, *, integer: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value > 0 and (isinstance(value, int) or not integer)


def _executors(value: object) -> dict[str, ExecutorConfig]:
    if not isinstance(value, Mapping):
        raise TypeError(f"got {type(value).__name__} {value!r}")
    configs = {name: ExecutorConfig() for name in _DEFAULT_EXECUTORS}
    for name, entry in value.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"executor name {name!r} is not a non-empty str")
        if not isinstance(entry, Mapping):
            raise TypeError(f'["{name}"] is {type(entry).__name__} {entry!r}, not a dict')
        unknown = [key for key in entry if key not in _EXECUTOR_KEYS]
        if unknown:
            raise ValueError(
                f'["{name}"] has unknown key {unknown[0]!r}; keys: {", ".join(_EXECUTOR_KEYS)}'
            )
        workers = entry.get("max_workers")
        if workers is not None and not _positive_number(workers, integer=True):
            raise ValueError(f'["{name}"]["max_workers"] is {workers!r}, not a positive int')
        warn = entry.get("queue_warn_ms", _DEFAULT_QUEUE_WARN_MS)
        if warn is not None and not _positive_number(warn, integer=False):
            raise ValueError(f'["{name}"]["queue_warn_ms"] is {warn!r}, not a positive number')
        configs[name] = ExecutorConfig(
            max_workers=workers, queue_warn_ms=None if warn is None else float(warn)
        )
    return configs


def _optional_milliseconds(value: object) -> float | None:
    if value is None or value is AUTO:
        return value
    if not _positive_number(value, integer=False):
        raise ValueError(f"got {value!r}")
    return float(cast(float, value))


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"got {type(value).__name__} {value!r}")
    return value


OPTIONS: dict[str, Option] = {
    "LIFESPAN": Option(
        default=(),
        accepted=(
            "a list of dotted paths, each to a module (imported for its @on_startup/@on_shutdown "
            "hooks), a hook function, or an async generator function that yields once"
        ),
        convert=_dotted_paths,
    ),
    "WEBSOCKET_APPLICATION": Option(
        default=None,
        accepted="None or a dotted path to an ASGI application that serves websocket scopes",
        convert=_optional_dotted_path,
    ),
    "EXECUTORS": Option(
        default={name: ExecutorConfig() for name in _DEFAULT_EXECUTORS},
        accepted=(
            "a dict of executor name -> dict with 'max_workers' (a positive int, or None for "
            "automatic) and 'queue_warn_ms' (a positive number of milliseconds, or None); "
            "'db' and 'blocking' always exist"
        ),
        convert=_executors,
    ),
    "LOOP_BLOCK_WARN_MS": Option(
        default=AUTO,
        accepted=(
            "a positive number of milliseconds, or None (off); left out: 100 when DEBUG is "
            "True, else off"
        ),
        convert=_optional_milliseconds,
    ),
    "LAZY_ACCESS_GUARD": Option(
        default=True,
        accepted="True or False",
        convert=_bool,
    ),
    "HTTP_CLIENTS": Option(
        # The HTTP validators raise ConfigurationError themselves, naming the nested key.
        default=parse_clients({}),
        accepted=(
            "a dict of client name to a dict with keys base_url, timeout, retries, headers, "
            "limit, limit_per_host, allowed_hosts, allow_private, max_body_size, "
            "max_redirects, raise_for_status"
        ),
        convert=parse_clients,
    ),
    "HTTP_MIDDLEWARE": Option(
        default=parse_middleware({}),
        accepted="a dict with keys client, request_id_header, server_timing, error_responses",
        convert=parse_middleware,
    ),
    "NATIVE_AMETHODS": Option(
        default=True,
        accepted=(
            "True or False: whether Django's a-methods (aget, acreate, async for, asave...) "
            "take the native path for aliases on the native PostgreSQL engine"
        ),
        convert=_bool,
    ),
}


def validate(config: object) -> dict[str, Any]:
    """Validate a user's ``ASYNCX`` value and return it complete with defaults.

    Raises :class:`ConfigurationError` for anything but a mapping, for an unknown key, and
    for a value its option does not accept.
    """
    if not isinstance(config, Mapping):
        raise ConfigurationError(
            f"ASYNCX must be a dict, got {type(config).__name__} {config!r}; "
            f"accepted keys: {', '.join(OPTIONS)}"
        )
    unknown = [key for key in config if key not in OPTIONS]
    if unknown:
        raise ConfigurationError(
            f"ASYNCX has unknown key {unknown[0]!r}; accepted keys: {', '.join(OPTIONS)}"
        )
    values: dict[str, Any] = {}
    for key, option in OPTIONS.items():
        if key not in config:
            values[key] = option.default
            continue
        try:
            values[key] = option.convert(config[key])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f'ASYNCX["{key}"] is not valid ({exc}); accepted: {option.accepted}'
            ) from exc
    return values


class Settings:
    """Attribute access to the validated ``ASYNCX`` values: ``asyncx_settings.LIFESPAN``.

    Values are stored as plain instance attributes after the first load, so reading one on a
    hot path costs an attribute lookup.
    """

    def __getattr__(self, name: str) -> Any:
        if name not in OPTIONS:
            raise AttributeError(f"ASYNCX has no option {name!r}; options: {', '.join(OPTIONS)}")
        self.__dict__.update(validate(getattr(django_settings, "ASYNCX", {})))
        return self.__dict__[name]

    def reset(self) -> None:
        """Forget the loaded values; the next read loads and validates ``ASYNCX`` again."""
        self.__dict__.clear()


asyncx_settings = Settings()


def _reset_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "ASYNCX":
        asyncx_settings.reset()


setting_changed.connect(_reset_on_change, dispatch_uid="django_asyncx.conf.reset")
