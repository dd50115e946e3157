"""The ``ASYNCX`` settings dict: read lazily, validated once, reset on ``setting_changed``.

All of django_asyncx is configured through one dict in the Django settings::

    ASYNCX = {
        "LIFESPAN": ["myproject.lifespan"],
    }

It is read lazily, on first use, and validated as a whole: an unknown key or a value of the
wrong kind raises :class:`~django_asyncx.exceptions.ConfigurationError` naming the key, the
value given and what is accepted. ``override_settings(ASYNCX=...)`` in tests takes effect at
once because the cache is dropped on Django's ``setting_changed`` signal.

Each option is declared once, with its default and its parser, in
:data:`django_asyncx.options.OPTIONS`; the settings reference in the docs lists the same keys.
This module reads, caches and resets; ``validate(config)`` is
:func:`~django_asyncx.options.parse_asyncx`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.core.signals import setting_changed

from .options import AUTO, OPTIONS, ExecutorConfig, Option, parse_asyncx

__all__ = [
    "AUTO",
    "OPTIONS",
    "ExecutorConfig",
    "Option",
    "Settings",
    "asyncx_settings",
    "validate",
]

validate = parse_asyncx


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
