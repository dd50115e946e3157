"""Run Django's ``runtests.py`` with every query of the main thread on the native path.

    python -m tests.django_suite.native_run RUNTESTS_DIR [runtests arguments ...]

The whole run happens inside one greenlet on an event loop: Django's sync code calls the
native wrapper, whose cursor awaits asyncpg through ``await_only()``. Two hooks, kept here and
not in the product, make the async tests run too: ``async_to_sync`` inside the greenlet awaits
on the run's loop, and every native a-method joins the run's own ``connections[alias]`` (so
it sees the test's transaction), as a native binding does inside ``native_atomic()``.
"""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
from collections.abc import Callable
from typing import Any

from asgiref import sync as asgiref_sync

from django_asyncx.db.backends.postgresql import native
from django_asyncx.db.greenlet import await_only, greenlet_spawn, in_greenlet

from .settings import _ENGINE

_django_call = asgiref_sync.AsyncToSync.__call__


def _call(self: Any, *args: Any, **kwargs: Any) -> Any:
    if in_greenlet():
        return await_only(self.awaitable(*args, **kwargs))
    return _django_call(self, *args, **kwargs)


class _RunBinding:
    """A binding whose calls run in a nested greenlet on the run's ``connections[alias]``."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.active = True

    def check_usable(self) -> None:
        pass

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await greenlet_spawn(fn, *args, **kwargs)


class _Bindings(dict[str, Any]):
    def get(self, alias: str, default: Any = None) -> Any:
        return _RunBinding(alias)


def main() -> None:
    tests = sys.argv[1]
    sys.argv = [os.path.join(tests, "runtests.py"), *sys.argv[2:]]
    sys.path.insert(0, tests)
    os.environ.setdefault(_ENGINE, "tests.django_suite.engine")
    asgiref_sync.AsyncToSync.__call__ = _call  # type: ignore[method-assign]
    native._bindings.set(_Bindings())

    async def run() -> Any:
        return await greenlet_spawn(runpy.run_path, sys.argv[0], run_name="__main__")

    asyncio.run(run())


if __name__ == "__main__":
    main()
