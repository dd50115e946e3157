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
from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed

from .exceptions import ConfigurationError
from .http.options import parse_clients, parse_middleware

__all__ = ["OPTIONS", "Option", "Settings", "asyncx_settings", "validate"]


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
