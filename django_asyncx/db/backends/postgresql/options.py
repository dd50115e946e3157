"""The native path's pool settings, read from the alias's ``OPTIONS``.

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

The ``native_*`` keys are removed before psycopg sees ``OPTIONS``; every other key keeps its
meaning for the sync path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django_asyncx.exceptions import ConfigurationError

__all__ = ["NATIVE_KEYS", "NativeOptions", "native_options"]


@dataclass(frozen=True, slots=True)
class NativeOptions:
    """The validated pool settings of one alias."""

    min_size: int = 0
    max_size: int = 10
    statement_cache_size: int = 100
    pgbouncer: bool = False
    acquire_timeout: float | None = None
    connect_timeout: float = 10.0


def _int(minimum: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"got {type(value).__name__} {value!r}")
        if value < minimum:
            raise ValueError(f"got {value!r}")
        return value

    return convert


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"got {type(value).__name__} {value!r}")
    return value


def _seconds(value: object) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"got {type(value).__name__} {value!r}")
    if not value > 0:
        raise ValueError(f"got {value!r}")
    return float(value)


def _optional_seconds(value: object) -> float | None:
    return None if value is None else _seconds(value)


# key -> (field, convert, accepted)
_KEYS: dict[str, tuple[str, Callable[[object], Any], str]] = {
    "native_min_size": ("min_size", _int(0), "an int >= 0"),
    "native_max_size": ("max_size", _int(1), "an int >= 1"),
    "native_statement_cache_size": ("statement_cache_size", _int(0), "an int >= 0"),
    "native_pgbouncer": ("pgbouncer", _bool, "True or False"),
    "native_acquire_timeout": ("acquire_timeout", _optional_seconds, "None or seconds > 0"),
}
NATIVE_KEYS = frozenset(_KEYS)


def native_options(alias: str, options: Mapping[str, Any]) -> NativeOptions:
    """Validate the native keys of ``DATABASES[alias]["OPTIONS"]``.

    Raises :class:`~django_asyncx.exceptions.ConfigurationError` naming the key, the value
    given and what is accepted.
    """
    values: dict[str, Any] = {}
    for key, (field, convert, accepted) in _KEYS.items():
        if key in options:
            try:
                values[field] = convert(options[key])
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(
                    f'DATABASES["{alias}"]["OPTIONS"]["{key}"] is not valid ({exc}); '
                    f"accepted: {accepted}"
                ) from exc
    if "connect_timeout" in options:
        try:
            values["connect_timeout"] = _seconds(options["connect_timeout"])
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f'DATABASES["{alias}"]["OPTIONS"]["connect_timeout"] is not valid ({exc}); '
                "accepted: seconds > 0"
            ) from exc
    result = NativeOptions(**values)
    if result.min_size > result.max_size:
        raise ConfigurationError(
            f'DATABASES["{alias}"]["OPTIONS"]["native_min_size"] is {result.min_size}, more '
            f'than ["native_max_size"] {result.max_size}; accepted: min_size <= max_size'
        )
    if result.pgbouncer and options.get("native_statement_cache_size", 0) != 0:
        raise ConfigurationError(
            f'DATABASES["{alias}"]["OPTIONS"]["native_statement_cache_size"] is '
            f"{result.statement_cache_size} with native_pgbouncer=True; accepted: 0 or unset "
            "(PgBouncer in transaction mode cannot keep prepared statements)"
        )
    if result.pgbouncer:
        result = NativeOptions(**{**values, "statement_cache_size": 0})
    return result
