"""Count the queries of async code in tests: :func:`acapture_queries`, :func:`aassert_num_queries`.

::

    from django_asyncx.db.queries import aassert_num_queries

    async with aassert_num_queries(2):
        await run_in_db(list, Book.objects.all())
        await Book.objects.acount()

Django's ``assertNumQueries`` and ``CaptureQueriesContext`` count the queries of one
connection, and cannot be entered in async code at all (``SynchronousOnlyOperation``). The
async twins enter Django's ``CaptureQueriesContext`` on the connection thread-sensitive calls
use (inside a ``TestCase``, the test's, where the bridge and the native engine run too) and
also record what pool threads and native connections run for the alias meanwhile
(``TransactionTestCase``), in Django's ``{"sql": ..., "time": ...}`` shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from contextvars import ContextVar, Token
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from django_asyncx.types import ExcInfo

from .testing import run_on_test_connection

__all__ = ["QueryRecorder", "aassert_num_queries", "acapture_queries", "observers", "run_observed"]


class QueryRecorder:
    """An execute wrapper that records each query of ``alias`` into ``sink``.

    ``opens_connection``: whether :func:`run_observed` opens the alias's connection before it
    attaches the recorder, so that a new connection's setup queries are not counted (what a
    query count needs). A recorder that watches every alias, as the toolbar's panel does, says
    ``False``: it attaches to the connections the call opens itself, and opens no other.
    """

    opens_connection = True

    def __init__(self, alias: str, sink: list[dict[str, Any]]) -> None:
        self.alias = alias
        self.sink = sink

    def __call__(
        self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sink.append({"sql": str(sql), "time": f"{time.monotonic() - start:.3f}"})


#: What wants to see the queries that pool threads and native connections run for an alias.
observers: ContextVar[tuple[QueryRecorder, ...]] = ContextVar(
    "django_asyncx.db.query_observers", default=()
)


def run_observed[R](
    watching: tuple[QueryRecorder, ...],
    alias: str | None,
    fn: Callable[..., R],
    /,
    *args: Any,
    **kwargs: Any,
) -> R:
    """Run ``fn(*args, **kwargs)`` with the recorders of ``watching`` attached (those of
    ``alias`` only, unless it is ``None``), on this thread's or greenlet's connections.

    The connection of a recorder that ``opens_connection`` is opened first, so its setup
    queries are not counted (as ``CaptureQueriesContext`` does); the recorders are gone when
    it returns.
    """
    with ExitStack() as stack:
        for recorder in watching:
            if alias is None or recorder.alias == alias:
                wrapper = connections[recorder.alias]
                if recorder.opens_connection:
                    wrapper.ensure_connection()
                stack.enter_context(wrapper.execute_wrapper(recorder))
        return fn(*args, **kwargs)


class acapture_queries:
    """``async with acapture_queries(using=...) as queries:``: the queries the block ran.

    ``queries.captured_queries`` (and ``len()``, iteration, indexing) as Django's
    ``CaptureQueriesContext``: those of the thread-sensitive connection (the test's, in a
    ``TestCase``), then those of pool threads and native connections.
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self._recorder = QueryRecorder(using, [])
        self._here: Any = None
        self._token: Token[tuple[QueryRecorder, ...]] | None = None

    async def __aenter__(self) -> acapture_queries:
        from django.test.utils import CaptureQueriesContext

        def enter() -> Any:
            return CaptureQueriesContext(connections[self.using]).__enter__()

        self._here = await run_on_test_connection(enter)
        self._token = observers.set((*observers.get(), self._recorder))
        return self

    async def __aexit__(self, *exc_info: *ExcInfo) -> None:
        assert self._token is not None
        observers.reset(self._token)
        await run_on_test_connection(self._here.__exit__, *exc_info)

    @property
    def captured_queries(self) -> list[dict[str, Any]]:
        """The queries run in the block, in Django's ``{"sql": ..., "time": ...}`` shape."""
        return [*self._here.captured_queries, *self._recorder.sink]

    def __len__(self) -> int:
        return len(self.captured_queries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.captured_queries)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.captured_queries[index]


class aassert_num_queries(acapture_queries):
    """``async with aassert_num_queries(2, using=...):`` fails, as ``assertNumQueries`` does,
    unless the block ran exactly ``num`` queries."""

    def __init__(self, num: int, using: str = DEFAULT_DB_ALIAS) -> None:
        super().__init__(using)
        self.num = num

    async def __aexit__(self, *exc_info: *ExcInfo) -> None:
        await super().__aexit__(*exc_info)
        if exc_info[0] is not None:
            return
        executed = len(self)
        if executed != self.num:
            lines = "\n".join(
                f"{index}. {query['sql']}" for index, query in enumerate(self, start=1)
            )
            raise AssertionError(
                f"{executed} queries executed, {self.num} expected\nCaptured queries were:\n{lines}"
            )
