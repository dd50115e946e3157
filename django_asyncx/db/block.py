"""The ``async with atomic()`` block a task runs in, on the thread path.

:mod:`~django_asyncx.db.transaction` opens one :class:`Block` per outermost block (one
``db`` executor thread and the ``ThreadSensitiveContext`` that sends the task's calls to it)
and sets it in :data:`task_block`; :func:`~django_asyncx.db.run_in_db` reads it with
:func:`current_block` to run a call on that thread, inside the transaction, or to refuse the
call of a task that outlived the block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from asgiref.sync import ThreadSensitiveContext

from django_asyncx import threadpool
from django_asyncx.exceptions import TransactionTaskError

__all__ = [
    "Block",
    "committing",
    "current_block",
    "finish",
    "foreign_task_error",
    "task_block",
]


class Block:
    """One outermost block: its thread, and the tasks holding its levels.

    Inside a ``TestCase`` the block has no thread of its own (``lane`` and ``context`` are
    ``None``): it runs on the test's connection (:mod:`~django_asyncx.db.testing`).
    """

    # threadpool.Lane, not Lane: executors re-exports it, and the API page must link one.
    def __init__(
        self, lane: threadpool.Lane | None, context: ThreadSensitiveContext | None
    ) -> None:
        self.lane = lane
        self.context = context
        self.levels: list[asyncio.Task[Any] | None] = []
        self.closing = False
        self.exited = False

    def check_usable(self) -> None:
        """Raise if the calling task outlived the block."""
        if self.exited or (self.closing and not committing.get()):
            raise TransactionTaskError(
                "this task was spawned inside an `async with atomic()` block that has ended; "
                "its database call would run outside that transaction. Await the task "
                "inside the block, or start it outside the block."
            )


#: The calling task's block, set by the outermost ``atomic()`` and reset when it ends.
task_block: ContextVar[Block | None] = ContextVar("django_asyncx.db.atomic", default=None)
#: True on the block's thread while the outermost exit commits and runs on_commit callbacks:
#: an async callback may still use the database there.
committing: ContextVar[bool] = ContextVar("django_asyncx.db.committing", default=False)


def current_block() -> Block | None:
    """The ``async with atomic()`` block the calling task runs in, if any, even one that ended.

    A task that outlived its block still sees it, so that its database calls raise instead
    of falling back to the pool silently (see :meth:`Block.check_usable`).
    """
    return task_block.get()


def foreign_task_error(alias: str) -> TransactionTaskError:
    """The error for a nested block opened by a task other than the one holding the block."""
    return TransactionTaskError(
        f"atomic(using={alias!r}) was opened in a task other than the one holding the "
        "enclosing `async with atomic()` block; savepoints of two tasks on one "
        "connection would interleave. Open it in that task, or run the work as one "
        "sync function with transaction.atomic() through run_in_db()."
    )


async def finish[R](awaitable: Awaitable[R]) -> R:
    """Await ``awaitable`` to its end even if the caller is cancelled meanwhile.

    The work runs on the block's thread and cannot be interrupted; the transaction must be
    left in a known state. A cancellation that arrived meanwhile is raised afterwards.
    """
    inner = asyncio.ensure_future(awaitable)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(inner)
        except asyncio.CancelledError as exc:
            if not inner.done():
                cancelled = exc
                continue
            raise
        if cancelled is not None:
            raise cancelled
        return result
