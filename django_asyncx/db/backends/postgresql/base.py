"""ENGINE ``django_asyncx.db.backends.postgresql``.

In sync code (migrations, management commands, WSGI, the test runner) this is Django's own
PostgreSQL backend on psycopg, unchanged. In async code, ``run_native()`` (and ``run_in_db``,
``database_sync_to_async`` and ``async with atomic()``) run the ORM on asyncpg, with a
:class:`~.wrapper.NativeDatabaseWrapper` per call; see :mod:`.native`.

The native path's pool settings are ``native_*`` keys of ``OPTIONS``
(:class:`~django_asyncx.options.NativeOptions`); they never reach psycopg. They are validated
by ``manage.py check`` (``asyncx.E041``) and at the first native use, not when the wrapper is
created: Django creates wrappers for its own checks, which must report the error, not crash.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper

from django_asyncx.options import NATIVE_KEYS, NativeOptions

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(PostgresDatabaseWrapper):
    """Django's PostgreSQL wrapper, which also knows its alias's native pool settings.

    ``native_options`` are parsed from the settings on first use unless given (the native
    pool gives each wrapper it makes the options it parsed once).
    """

    def __init__(
        self,
        settings_dict: dict[str, Any],
        alias: str = DEFAULT_DB_ALIAS,
        *,
        native_options: NativeOptions | None = None,
    ) -> None:
        super().__init__(settings_dict, alias)
        self._native_options = native_options

    @property
    def native_options(self) -> NativeOptions:
        """The alias's validated native settings (``ConfigurationError`` if not valid)."""
        if self._native_options is None:
            self._native_options = NativeOptions.for_alias(self.alias, self.settings_dict)
        return self._native_options

    def get_connection_params(self) -> dict[str, Any]:
        """psycopg's connection parameters, without the native path's keys."""
        params: dict[str, Any] = super().get_connection_params()
        for key in NATIVE_KEYS:
            params.pop(key, None)
        return params
