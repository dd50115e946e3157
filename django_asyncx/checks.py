"""System checks that explain a misconfiguration before the first request does.

* ``asyncx.E001``: ``ASYNCX`` is not valid (unknown key, wrong kind of value).
* ``asyncx.E002``: an ``ASYNCX["LIFESPAN"]`` or ``ASYNCX["WEBSOCKET_APPLICATION"]`` entry
  cannot be imported.
* ``asyncx.E003``: an ``ASYNCX["LOOP_SAFE_MIDDLEWARE"]`` entry cannot be imported or is not
  a ``MiddlewareMixin`` subclass (the only kind whose hooks can be moved to the loop).
* ``asyncx.E040``: an alias uses the native PostgreSQL engine but asyncpg or greenlet is not
  installed.
* ``asyncx.E041``: what the native engine reads of ``DATABASES[alias]`` is not valid: a
  ``native_*`` key of ``OPTIONS`` (or an unknown one, with a "did you mean" hint),
  ``isolation_level`` or ``PORT``.
* ``asyncx.E042``: ``native_pgbouncer`` is on but ``DISABLE_SERVER_SIDE_CURSORS`` is not.
* ``asyncx.E043``: ``native_pgbouncer`` is on and ``OPTIONS`` sets ``isolation_level``.

These checks do no I/O and run with plain ``manage.py check`` (no ``--database`` needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .exceptions import ConfigurationError
from .options import NATIVE_ENGINE, NativeOptions, parse_asyncx

__all__ = ["check_native_engine", "check_settings", "register"]


def check_settings(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Any]:
    """Validate ``ASYNCX`` and import the dotted paths it names."""
    try:
        values = parse_asyncx(getattr(settings, "ASYNCX", {}))
    except ConfigurationError as exc:
        return [checks.Error(str(exc), id="asyncx.E001")]
    errors: list[Any] = []
    paths = [(f'ASYNCX["LIFESPAN"][{i}]', p) for i, p in enumerate(values["LIFESPAN"])]
    if values["WEBSOCKET_APPLICATION"] is not None:
        paths.append(('ASYNCX["WEBSOCKET_APPLICATION"]', values["WEBSOCKET_APPLICATION"]))
    for where, path in paths:
        try:
            import_module(path)
        except ImportError:
            try:
                import_string(path)
            except ImportError as exc:
                errors.append(
                    checks.Error(
                        f"{where} = {path!r} cannot be imported: {exc}",
                        hint="Give the dotted path of a module or of an object in a module.",
                        id="asyncx.E002",
                    )
                )
    return errors + _check_loop_safe(values["LOOP_SAFE_MIDDLEWARE"])


def _check_loop_safe(paths: frozenset[str]) -> list[Any]:
    from django.utils.deprecation import MiddlewareMixin

    errors: list[Any] = []
    for path in sorted(paths):
        where = f'ASYNCX["LOOP_SAFE_MIDDLEWARE"] entry {path!r}'
        try:
            cls = import_string(path)
        except ImportError as exc:
            problem = f"cannot be imported: {exc}"
        else:
            if isinstance(cls, type) and issubclass(cls, MiddlewareMixin):
                continue
            problem = f"is {cls!r}, not a MiddlewareMixin subclass"
        errors.append(
            checks.Error(
                f"{where} {problem}",
                hint="List the dotted paths of MiddlewareMixin middleware (as in MIDDLEWARE) "
                "whose hooks do no blocking I/O; an async-capable middleware needs no entry.",
                id="asyncx.E003",
            )
        )
    return errors


def check_native_engine(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[Any]:
    """For aliases on the native engine: its packages are installed, its OPTIONS valid."""
    aliases = [
        alias
        for alias, entry in getattr(settings, "DATABASES", {}).items()
        if entry.get("ENGINE") == NATIVE_ENGINE
    ]
    if not aliases:
        return []
    errors: list[Any] = []
    for package in ("asyncpg", "greenlet"):
        try:
            import_module(package)
        except ImportError:
            errors.append(
                checks.Error(
                    f"DATABASES[{aliases[0]!r}] uses {NATIVE_ENGINE}, which needs {package}, "
                    "and it cannot be imported",
                    hint='Install the extra: pip install "django-asyncx[postgres]".',
                    id="asyncx.E040",
                )
            )
    for alias in aliases:
        entry = settings.DATABASES[alias]
        try:
            options = NativeOptions.for_alias(alias, entry)
        except ConfigurationError as exc:
            errors.append(checks.Error(str(exc), id="asyncx.E041"))
            continue
        if options.pgbouncer and not entry.get("DISABLE_SERVER_SIDE_CURSORS"):
            errors.append(
                checks.Error(
                    f'DATABASES["{alias}"]["OPTIONS"]["native_pgbouncer"] is True but '
                    f'DATABASES["{alias}"]["DISABLE_SERVER_SIDE_CURSORS"] is not: behind '
                    "PgBouncer in transaction mode a server-side cursor lives on whichever "
                    "server connection declared it, so iterator() and aiterator() fail or "
                    "read another client's cursor",
                    hint=f'Set DATABASES["{alias}"]["DISABLE_SERVER_SIDE_CURSORS"] = True, as '
                    "Django requires for transaction pooling.",
                    id="asyncx.E042",
                )
            )
        if options.pgbouncer and "isolation_level" in (entry.get("OPTIONS") or {}):
            errors.append(
                checks.Error(
                    f'DATABASES["{alias}"]["OPTIONS"] sets isolation_level with '
                    "native_pgbouncer: the native engine sends it as the session's "
                    "default_transaction_isolation when connecting, which PgBouncer refuses "
                    "(unsupported startup parameter)",
                    hint="Remove isolation_level and start the transactions that need "
                    "another level with SET TRANSACTION ISOLATION LEVEL ...",
                    id="asyncx.E043",
                )
            )
    return errors


def register() -> None:
    """Register the checks with Django (called by the AppConfig)."""
    checks.register(check_settings, "asyncx")
    # Not tagged "database": it does no I/O, and database-tagged checks run only with
    # `check --database`, so plain `manage.py check` would pass bad OPTIONS.
    checks.register(check_native_engine, "asyncx")
