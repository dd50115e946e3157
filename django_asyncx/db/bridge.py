"""Run sync ORM code from async code: :func:`run_in_db` and ``@database_sync_to_async``.

::

    from django_asyncx.db import run_in_db

    books = await run_in_db(lambda: list(Book.objects.select_related("author")[:20]))

Calls from different tasks run in parallel, up to the size of the ``db`` executor
(``ASYNCX["EXECUTORS"]["db"]``). Each call runs between two ``close_old_connections()``, as a
sync request does, so ``CONN_MAX_AGE``, ``CONN_HEALTH_CHECKS`` and psycopg's ``pool`` option
behave as under WSGI, and a pool thread closes its connections when the pool shuts down.
Inside ``async with atomic()`` the call runs on the block's thread, in its transaction.
Inside Django's ``TestCase`` it runs on the test's connection, in the test's transaction
(:mod:`django_asyncx.db.testing`).

For an alias on the native engine (``ENGINE: "django_asyncx.db.backends.postgresql"``) the
call takes the native path instead: the same function runs in a greenlet on the event loop,
its queries awaited on asyncpg, with no thread (see
:mod:`django_asyncx.db.backends.postgresql.native`); :func:`_path` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import cache, partial, wraps
from typing import Any, cast, overload

from asgiref.sync import SyncToAsync
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections

from django_asyncx.exceptions import ConfigurationError
from django_asyncx.executors import _require_sync, aget_executor, call_in_executor
from django_asyncx.options import NATIVE_ENGINE

from .block import current_block
from .queries import observers, run_observed
from .testing import (
    add_lock_wait_note,
    find_test_route,
    in_test_environment,
    run_on_test_connection,
)

__all__ = ["database_sync_to_async", "run_in_db"]

THREAD = "thread"
NATIVE = "native"


def _path(using: str | None) -> str:
    """How :func:`run_in_db` (and :func:`~django_asyncx.db.atomic`) reach ``using``'s database.

    The one place that decides it per alias: an alias on the native engine
    (``ENGINE: "django_asyncx.db.backends.postgresql"``, or a subclass of its wrapper) takes
    the native path (asyncpg, in a greenlet on the loop, no thread); every other alias the
    thread path.
    """
    alias = DEFAULT_DB_ALIAS if using is None else using
    settings = connections.settings
    if alias not in settings:
        raise ConfigurationError(
            f"using={using!r} is not a database alias; aliases: {', '.join(settings)}"
        )
    engine = settings[alias]["ENGINE"]
    if engine == NATIVE_ENGINE:
        return NATIVE
    if engine.startswith("django.db.backends."):
        return THREAD
    # A third-party ENGINE may subclass the native one; only then import it.
    from .backends.postgresql.native import uses_native_path

    return NATIVE if uses_native_path(alias) else THREAD


@cache
def _native_runner() -> Callable[..., Coroutine[Any, Any, Any]]:
    # Imported on first use (asyncpg stays unimported without a native alias), once.
    from .backends.postgresql.native import run_native

    return run_native


def _with_fresh_connections[R](fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    # A pool thread serves many tasks, so each call is a "request": drop connections that
    # are broken, past CONN_MAX_AGE or left in a transaction, before and after.
    watching = observers.get()  # acapture_queries() of the caller (tests)
    close_old_connections()
    try:
        if watching:
            return run_observed(watching, None, fn, *args, **kwargs)
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def _run[R](
    fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any], using: str | None
) -> R:
    if _path(using) == NATIVE:
        return cast(R, await _native_runner()(fn, *args, using=using, **kwargs))
    block = current_block()
    if block is not None:
        block.check_usable()
        # Thread-sensitive calls inside the block go to its thread (the ThreadSensitiveContext
        # the block entered), or to the waiting thread of an on_commit callback.
        call = partial(fn, *args, **kwargs)
        if block.lane is not None and (watching := observers.get()):
            call = partial(run_observed, watching, None, call)
        return await SyncToAsync(call, thread_sensitive=True)()
    if in_test_environment() and await find_test_route(using or DEFAULT_DB_ALIAS) is not None:
        # Inside a TestCase: on the test's connection, which holds its transaction (and no
        # close_old_connections(), which would close it).
        return await run_on_test_connection(fn, *args, **kwargs)
    pool = await aget_executor("db")
    try:
        return await call_in_executor(pool, _with_fresh_connections, (fn, *args), kwargs)
    except Exception as exc:
        add_lock_wait_note(exc, "a thread of the db executor")
        raise


async def run_in_db[R](
    fn: Callable[..., R], /, *args: Any, using: str | None = None, **kwargs: Any
) -> R:
    """Run the sync ``fn(*args, **kwargs)`` that uses the ORM; await its result.

    ``using`` names the database alias the call is for (it picks the way to reach it); it is
    not passed to ``fn``: wrap ``fn`` in :func:`functools.partial` if it needs a ``using``
    argument. Passing a coroutine function is a ``TypeError``.
    """
    _require_sync(fn, "run_in_db")
    return await _run(fn, args, kwargs, using)


@overload
def database_sync_to_async[**P, R](
    fn: Callable[P, R], /
) -> Callable[P, Coroutine[Any, Any, R]]: ...


@overload
def database_sync_to_async[**P, R](
    *, using: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, Coroutine[Any, Any, R]]]: ...


def database_sync_to_async[**P, R](
    fn: Callable[P, R] | None = None, /, *, using: str | None = None
) -> Any:
    """Decorate a sync function that uses the ORM so that async code awaits it.

    Bare or called (``@database_sync_to_async(using="replica")``); a drop-in for Channels'
    decorator of the same name, with :func:`run_in_db`'s pool and connection handling.
    Decorating a coroutine function is a ``TypeError``.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
        _require_sync(func, "database_sync_to_async")

        @wraps(func)
        async def inner(*args: P.args, **kwargs: P.kwargs) -> R:
            return await _run(func, args, kwargs, using)

        return inner

    return decorate if fn is None else decorate(fn)
