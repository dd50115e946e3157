"""The Django app: add ``"django_asyncx"`` to ``INSTALLED_APPS`` to get its system checks."""

from __future__ import annotations

from django.apps import AppConfig

from .options import NATIVE_ENGINE

__all__ = ["AsyncxConfig"]


class AsyncxConfig(AppConfig):
    """Registers django_asyncx's system checks (``manage.py check``)."""

    name = "django_asyncx"
    label = "asyncx"
    verbose_name = "django_asyncx"

    def ready(self) -> None:
        from . import checks
        from .conf import asyncx_settings
        from .exceptions import ConfigurationError

        checks.register()
        self._bound_lock_waits_in_tests()
        try:
            guard = asyncx_settings.LAZY_ACCESS_GUARD
        except ConfigurationError:
            guard = False  # the asyncx.E001 check reports the invalid ASYNCX
        if guard:
            from .db import lazy_access

            lazy_access.install()
        self._install_native_amethods()
        from .observability import metrics

        metrics.enable()  # only if an OpenTelemetry meter provider is configured

    def _bound_lock_waits_in_tests(self) -> None:
        from django.db.backends.signals import connection_created

        from .db.testing import bound_lock_waits

        connection_created.connect(bound_lock_waits, dispatch_uid="django_asyncx.lock_waits")

    def _install_native_amethods(self) -> None:
        from django.db import connections

        from .conf import asyncx_settings
        from .exceptions import ConfigurationError

        try:
            wanted = asyncx_settings.NATIVE_AMETHODS
        except ConfigurationError:
            return  # the asyncx.E001 check reports the invalid ASYNCX
        if wanted and any(db["ENGINE"] == NATIVE_ENGINE for db in connections.settings.values()):
            # Imported only here: asyncpg and greenlet load only when the engine is in use.
            from .db.backends.postgresql import amethods

            amethods.install()
