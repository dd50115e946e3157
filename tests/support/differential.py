"""Differential tests of the native engine: the same code on the psycopg path and natively.

``both(fn)`` runs the sync callable ``fn`` twice on one database alias: first on the psycopg
path (sync code in a thread, no event loop, so Django's own psycopg connection), then on the
native path (``run_native``). Each run gives its result, or the class name and first line of
what it raised, so a test compares the two with ``==``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connections

from django_asyncx.db.backends.postgresql.native import run_native

NATIVE = "native"


async def psycopg_path(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread (psycopg), closing that thread's connections afterwards."""

    def call() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    return await asyncio.to_thread(call)


def _outcome(exc: BaseException) -> tuple[str, str]:
    return type(exc).__name__, (str(exc).splitlines() or [""])[0]


async def both(fn: Callable[[], Any], *, using: str = NATIVE) -> tuple[Any, Any]:
    """``(psycopg outcome, native outcome)`` of ``fn``: a result or ``(error class, message)``."""
    out = []
    for runner in (psycopg_path, lambda f: run_native(f, using=using)):
        try:
            out.append(await runner(fn))
        except Exception as exc:
            out.append(_outcome(exc))
    return out[0], out[1]


def raw(
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    using: str = NATIVE,
    then: str | None = None,
) -> Callable[[], Any]:
    """A callable for :func:`both` that runs ``sql`` on a cursor and returns its rows.

    ``then`` is a second statement run on the same cursor afterwards (and its rows returned
    too), to prove the transaction or connection is still usable.
    """

    def fn() -> Any:
        with connections[using].cursor() as cursor:
            if then is None:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
            try:
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.description else None
            except Exception as exc:
                rows = _outcome(exc)
            cursor.execute(then)
            return rows, cursor.fetchall()

    return fn
