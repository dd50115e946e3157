"""django-async-backend, the direct competitor of the native engine, as a path of
``bench.native_orm``.

It is installed into the running environment on demand, never as a dependency of the
package: each of its releases is generated from one Django feature release, so the pin
follows the installed Django (:data:`PINS`). On a Django without a pin the path is skipped
with the reason printed.

Its ORM runs on psycopg's async connection (``Model.async_objects``), one connection per
task: each task that ran queries closes its connection when it is done (:func:`finish`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
from typing import Any

__all__ = ["ALIAS", "PINS", "aget", "available", "database", "finish"]

ALIAS = "async_backend"
PINS = {"6.1": "6.1.5"}
"""django-async-backend's release for each Django feature release it was generated from."""


def _django_line() -> str:
    import django

    return ".".join(django.get_version().split(".")[:2])


def available() -> str | None:
    """Install the pinned release if needed; ``None`` when usable, else why it is skipped."""
    line = _django_line()
    pin = PINS.get(line)
    if pin is None:
        return (
            f"django-async-backend has no release for Django {line} in bench/_async_backend.py "
            f"(pinned for: {', '.join(PINS)})"
        )
    try:
        installed = importlib.metadata.version("django-async-backend")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != pin:
        spec = f"django-async-backend=={pin}"
        print(f"installing {spec} into {sys.prefix} (bench only)", file=sys.stderr)
        uv = importlib.util.find_spec("uv") is not None
        command = (
            [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", sys.executable]
            if uv
            else [sys.executable, "-m", "pip", "install", "--quiet"]
        )
        done = subprocess.run([*command, spec], check=False)
        if done.returncode != 0:
            return f"installing {spec} failed (exit status {done.returncode})"
        importlib.invalidate_caches()
    return None


def database(server: dict[str, Any]) -> dict[str, Any]:
    """The ``DATABASES`` entry of its alias (no pool: a connection per task, its default)."""
    return {**server, "ENGINE": "django_async_backend.db.backends.postgresql"}


async def aget(model: Any, pk: int) -> Any:
    """``get(pk)`` through its async manager."""
    return await model.async_objects.using(ALIAS).aget(pk=pk)


async def finish() -> None:
    """Close the calling task's connection (each task has its own)."""
    from django_async_backend.db import async_connections

    await async_connections[ALIAS].close()
