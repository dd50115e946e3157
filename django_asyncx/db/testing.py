"""The test's connection: where database calls run inside Django's ``TestCase``.

Django's ``TestCase`` (and pytest-django's ``db`` fixture) opens its transaction on the test's
thread and marks those ``atomic()`` blocks with ``_from_testcase``. Stock Django's a-methods
see that transaction because asgiref sends their thread-sensitive calls back to the test's
thread. The bridge, ``async with atomic()`` and the native engine would otherwise run on their
own threads and connections, outside it: they would not see ``setUpTestData`` rows, would
leak their writes to the next test, or wait for ever on a row lock the test holds.

So, in a test process only, each entry point asks :func:`find_test_route` first: when the
alias's connection holds the test's transaction, the call runs with
:func:`run_on_test_connection` on that connection (serialised, as stock a-methods are), and
``async with atomic()`` is a savepoint on it (:class:`RoutedAtomic`). Everywhere else
(``TransactionTestCase``, ``transaction=True``, production) :func:`find_test_route` answers
``None`` and today's paths run. Outside tests the whole check is :func:`in_test_environment`:
one dict lookup.

:class:`LentConnections` lends the test's connections to one thread for runners whose event
loop runs on the test's own thread (pytest-asyncio), the way Django's ``LiveServerThread``
shares them.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from asgiref.current_thread_executor import CurrentThreadExecutor
from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext
from django.db import connections
from django.db import transaction as django_transaction
from django.db.utils import DatabaseError

from django_asyncx.exceptions import TransactionTaskError
from django_asyncx.types import ExcInfo

from .block import Block, committing, finish, foreign_task_error, task_block

__all__ = [
    "ConnectionRoute",
    "LentConnections",
    "RoutedAtomic",
    "add_lock_wait_note",
    "bound_lock_waits",
    "close_connections_outside_test",
    "current_route",
    "find_test_route",
    "holds_test_transaction",
    "in_test_environment",
    "run_on_test_connection",
]

_modules = sys.modules


def in_test_environment() -> bool:
    """Whether Django's ``setup_test_environment()`` ran (its test runner, pytest-django).

    In production this is one dict lookup: ``django.test.utils`` is not even imported.
    """
    utils = _modules.get("django.test.utils")
    return utils is not None and hasattr(utils._TestState, "saved_data")


def holds_test_transaction(connection: Any) -> bool:
    """Whether ``connection`` (a ``DatabaseWrapper``) is inside a ``TestCase``'s atomic."""
    return any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@dataclass(eq=False)
class ConnectionRoute:
    """The aliases whose test transaction a thread holds, for one test.

    ``forbidden`` maps the aliases the test did not declare in ``databases`` to Django's
    message; ``lock`` makes the outermost ``atomic()`` blocks of different tasks take turns.
    """

    aliases: frozenset[str]
    forbidden: Mapping[str, str] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def serves(self, alias: str) -> bool:
        """Whether ``alias`` runs on the test's connection; raise if the test may not use it."""
        if alias in self.aliases:
            return True
        message = self.forbidden.get(alias)
        if message is not None:
            from django.test.testcases import (  # type: ignore[attr-defined]
                DatabaseOperationForbidden,
            )

            raise DatabaseOperationForbidden(message)
        return False


_lent: ContextVar[ConnectionRoute | None] = ContextVar("django_asyncx.db.lent", default=None)
_probed: weakref.WeakKeyDictionary[CurrentThreadExecutor, asyncio.Future[ConnectionRoute]] = (
    weakref.WeakKeyDictionary()
)


def _probe() -> ConnectionRoute:
    # Runs on the thread that thread-sensitive calls go to: the test's, in a TestCase.
    aliases = []
    forbidden = {}
    for alias in connections.settings:
        wrapper = connections[alias]
        failure = wrapper.__dict__.get("cursor")  # Django's _DatabaseFailure, if disallowed
        if failure is not None and hasattr(failure, "message"):
            forbidden[alias] = str(failure.message)
        elif holds_test_transaction(wrapper):
            aliases.append(alias)
            _keep_open(wrapper)
    return ConnectionRoute(frozenset(aliases), forbidden)


async def find_test_route(alias: str) -> ConnectionRoute | None:
    """The route of the running test when ``alias``'s connection holds its transaction.

    ``None`` means "take the usual path": no parent sync thread waits in ``async_to_sync``
    and nothing was lent, or the test holds no transaction on ``alias``
    (``TransactionTestCase``). Raises Django's ``DatabaseOperationForbidden`` for an alias
    the test did not declare in ``databases``. Call it only when :func:`in_test_environment`.
    """
    route = await current_route()
    return route if route is not None and route.serves(alias) else None


async def current_route() -> ConnectionRoute | None:
    """The route of the running test (probed once per test), or ``None`` if there is none.

    The probe also keeps the test's connections open through ``close_old_connections()``
    while they hold the test's transaction; the ASGI handler asks for the route first for
    that reason.
    """
    current = getattr(AsyncToSync.executors, "current", None)
    if current is None:
        # Inside LentConnections' ThreadSensitiveContext asgiref hides the parent thread.
        route = _lent.get()
    else:
        # One probe per async_to_sync call (one test method): its atomics cannot change.
        # Tasks that ask at once share it, so they share the route (and its lock).
        probe = _probed.get(current)
        if probe is None:
            probe = asyncio.ensure_future(SyncToAsync(_probe, thread_sensitive=True)())
            _probed[current] = probe
        route = await asyncio.shield(probe)
    return route


async def run_on_test_connection[R](fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
    """Run ``fn(*args, **kwargs)`` on the test's thread, on its connections.

    asgiref's thread-sensitive resolution picks the thread being served (the innermost
    ``async_to_sync`` of the test), so a call nested in another never deadlocks.
    """
    return await SyncToAsync(partial(fn, *args, **kwargs), thread_sensitive=True)()


def _wait_timeout() -> float | None:
    from django_asyncx.conf import asyncx_settings

    timeout: float | None = asyncx_settings.TEST_WAIT_TIMEOUT
    return timeout


class RoutedAtomic:
    """``async with atomic()`` inside a ``TestCase``: a savepoint on the test's connection.

    The outermost block of a task takes the route's lock, so blocks of different tasks run
    one after the other (their savepoints would interleave on the one connection); the wait
    is bounded by ``ASYNCX["TEST_WAIT_TIMEOUT"]``.
    """

    def __init__(
        self, alias: str, route: ConnectionRoute, *, savepoint: bool, durable: bool
    ) -> None:
        self.alias = alias
        self.route = route
        self.savepoint = savepoint
        self.durable = durable
        self._atomic: django_transaction.Atomic | None = None
        self._block: Block | None = None
        self._token: Token[Block | None] | None = None

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        block = task_block.get()
        outermost = block is None or block.exited or block.closing
        if block is not None and not outermost and block.levels[-1] is not task:
            raise foreign_task_error(self.alias)
        if outermost:
            await self._take_turn()
            block = Block(None, None)
            self._token = task_block.set(block)
        assert block is not None
        self._block = block
        block.levels.append(task)
        self._atomic = django_transaction.atomic(
            using=self.alias, savepoint=self.savepoint, durable=self.durable
        )
        try:
            await finish(run_on_test_connection(self._atomic.__enter__))
        except BaseException:
            self._close()
            raise

    async def _take_turn(self) -> None:
        timeout = _wait_timeout()
        try:
            async with asyncio.timeout(timeout):
                await self.route.lock.acquire()
        except TimeoutError:
            raise TransactionTaskError(
                f"atomic(using={self.alias!r}) waited {timeout:g} s for another task's block "
                "on the test's connection; inside a TestCase all tasks share the test's "
                "connection, so their blocks run one after the other, and a block that waits "
                "for another task's block cannot finish. Use TransactionTestCase to run them "
                'on separate connections (the bound is ASYNCX["TEST_WAIT_TIMEOUT"]).'
            ) from None

    async def __aexit__(self, *exc_info: *ExcInfo) -> None:
        assert self._atomic is not None
        assert self._block is not None
        if self._token is not None:
            self._block.closing = True
        try:
            await finish(run_on_test_connection(self._exit, *exc_info))
        finally:
            self._close()

    def _exit(self, *exc_info: Any) -> None:
        assert self._atomic is not None
        token = committing.set(True)
        try:
            self._atomic.__exit__(*exc_info)
        finally:
            committing.reset(token)

    def _close(self) -> None:
        assert self._block is not None
        self._block.levels.pop()
        if self._token is not None:
            self._block.exited = True
            task_block.reset(self._token)
            self._token = None
            self.route.lock.release()


def close_connections_outside_test() -> None:
    """Close this thread's connections, except those holding the test's transaction.

    In a ``TestCase`` a request's sync thread is the test's own, so closing the request
    thread's connections would close the test's connection in the middle of its transaction.
    """
    for connection in connections.all(initialized_only=True):
        if not holds_test_transaction(connection):
            connection.close()


def _keep_open(wrapper: Any) -> None:
    # close_old_connections() closes a connection whose autocommit is off, which the test's
    # is: a request's request_finished (run on the test's thread in a TestCase), or Channels'
    # database_sync_to_async, would close it mid-transaction. Django's test client
    # disconnects close_old_connections for the same reason; this covers the real ASGI
    # application too. The wrapper keeps this for the process; it acts only while it holds
    # a test transaction.
    if "close_if_unusable_or_obsolete" in wrapper.__dict__:
        return
    close = wrapper.close_if_unusable_or_obsolete

    def close_if_unusable_or_obsolete() -> None:
        if not holds_test_transaction(wrapper):
            close()

    wrapper.close_if_unusable_or_obsolete = close_if_unusable_or_obsolete


class LentConnections:
    """Lend the test's connections of ``aliases`` to one thread, for the calling context.

    For runners whose event loop runs on the thread that holds the test's transaction
    (pytest-asyncio): no thread can serve thread-sensitive calls with that thread's
    connections. As Django's ``LiveServerThread`` does, the wrappers are shared
    (``inc_thread_sharing()``) with one worker thread, and asgiref's
    ``ThreadSensitiveContext(executor=...)`` is entered in the calling context, so Django's
    a-methods and this library's calls made from that context run there. The loop's thread
    never touches the connections meanwhile, so they are never used by two threads at once.

    ::

        with LentConnections(["default"]):
            asyncio.run(test())   # the context is copied into the test
    """

    def __init__(self, aliases: frozenset[str] | list[str] | tuple[str, ...]) -> None:
        self.route = ConnectionRoute(frozenset(aliases))
        self._wrappers = {alias: connections[alias] for alias in self.route.aliases}
        for wrapper in self._wrappers.values():
            _keep_open(wrapper)
        self._executor: ThreadPoolExecutor | None = None
        self._context: ThreadSensitiveContext | None = None
        self._token: Token[ConnectionRoute | None] | None = None

    def _install(self) -> None:
        for alias, wrapper in self._wrappers.items():
            connections[alias] = wrapper

    def _uninstall(self) -> None:
        for alias in self._wrappers:
            del connections[alias]

    def __enter__(self) -> LentConnections:
        for wrapper in self._wrappers.values():
            wrapper.inc_thread_sharing()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="asyncx-test-db")
        self._executor.submit(self._install).result()
        self._context = ThreadSensitiveContext(executor=self._executor)
        _drive(self._context.__aenter__())  # type: ignore[no-untyped-call]
        self._token = _lent.set(self.route)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._executor is not None
        assert self._context is not None
        assert self._token is not None
        _lent.reset(self._token)
        try:
            _drive(self._context.__aexit__(None, None, None))  # type: ignore[no-untyped-call]
            self._executor.submit(self._uninstall).result()
        finally:
            self._executor.shutdown()
            for wrapper in self._wrappers.values():
                wrapper.dec_thread_sharing()


def _drive(coroutine: Any) -> None:
    # ThreadSensitiveContext's __aenter__/__aexit__ never suspend when given an executor; run
    # them in the caller's (sync) context so the context variables they set stay there.
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError(
        "asgiref's ThreadSensitiveContext suspended; LentConnections cannot enter it from "
        "sync code with this asgiref version"
    )


def add_lock_wait_note(exc: BaseException, where: str) -> None:
    """Explain a lock wait timeout raised in a test process (see :func:`bound_lock_waits`)."""
    if isinstance(exc, DatabaseError) and _is_lock_timeout(exc) and in_test_environment():
        exc.add_note(
            f"This call ran on {where}. It waited longer than "
            'ASYNCX["TEST_WAIT_TIMEOUT"] for a lock held by another connection of this test '
            "process: inside a TestCase the test's transaction holds its rows until the test "
            "ends, and code that runs on its own thread or connection cannot see or wait for "
            "them. Use TransactionTestCase."
        )


def _is_lock_timeout(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate == "55P03":  # PostgreSQL lock_not_available
        return True
    args = getattr(cause, "args", None) or exc.args
    return bool(args) and args[0] == 1205  # MariaDB/MySQL lock wait timeout


def bound_lock_waits(*, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: in a test process, bound the connection's lock waits.

    PostgreSQL gets ``lock_timeout``, MariaDB/MySQL ``innodb_lock_wait_timeout``, both
    ``ASYNCX["TEST_WAIT_TIMEOUT"]``; SQLite's locks fail at once. Outside tests it returns
    after one dict lookup.
    """
    if not in_test_environment():
        return
    timeout = _wait_timeout()
    if timeout is None:
        return
    if connection.vendor == "postgresql":
        sql = f"SET lock_timeout = {int(timeout * 1000)}"
    elif connection.vendor == "mysql":
        sql = f"SET SESSION innodb_lock_wait_timeout = {max(1, round(timeout))}"
    else:
        return
    with connection.cursor() as cursor:
        cursor.execute(sql)
