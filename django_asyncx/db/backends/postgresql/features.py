"""The features of the native path: Django's PostgreSQL features, and the tests of Django's
own suite that cannot pass on it, each with its reason.

Django's test runner reads ``django_test_expected_failures`` (and ``django_test_skips``) of
the connection's features, as for any third-party backend; ``python -m tests.django_suite``
runs Django's suite on the native path and checks that nothing else differs from psycopg.
"""

from __future__ import annotations

from django.db.backends.postgresql.features import DatabaseFeatures
from django.utils.functional import cached_property

__all__ = ["EXPECTED_FAILURES", "NativeFeatures"]

_PG = "backends.postgresql.tests.Tests."
_CURSORS = "backends.postgresql.test_server_side_cursors.ServerSideCursorsPostgres."

#: reason -> the tests of Django's suite that fail on the native path for it.
EXPECTED_FAILURES: dict[str, frozenset[str]] = {
    "COPY is not supported on the native path (cursor.copy() raises NotSupportedError); "
    "it runs in sync code, on psycopg": frozenset({_PG + "test_copy_cursors"}),
    "psycopg connection internals: the native connection has no cursor_factory (cursors "
    "are asyncpg's; client- and server-side binding do not apply)": frozenset(
        {_PG + "test_connect_custom_cursor_factory", _PG + "test_connect_server_side_binding"}
    ),
    "Django's psycopg pool (OPTIONS['pool']) is not used on the native path, which has its "
    "own pool (native_* OPTIONS)": frozenset(
        {
            _PG + "test_connect_pool",
            _PG + "test_connect_pool_with_timezone",
            _PG + "test_pool_check_can_be_overridden",
        }
    ),
    "the tests count the rows of pg_cursors; over asyncpg's extended protocol the counting "
    "statement's own unnamed portal is one of them": frozenset(
        {
            _CURSORS + "test_closed_server_side_cursor",
            _CURSORS + "test_server_side_cursor",
            _CURSORS + "test_server_side_cursor_many_cursors",
            _CURSORS + "test_server_side_cursors_setting",
            _CURSORS + "test_values",
            _CURSORS + "test_values_list",
            _CURSORS + "test_values_list_fields_not_equal_to_names",
            _CURSORS + "test_values_list_flat",
        }
    ),
    "the test asserts that psycopg's server-side binding fails on equal expressions "
    "(ticket 34255); the native path does not use psycopg's binding": frozenset(
        {_CURSORS + "test_server_side_binding"}
    ),
    "a native wrapper belongs to its greenlet on the event loop: another thread cannot "
    "use it (threads use the psycopg path)": frozenset(
        {
            "backends.tests.ThreadTests.test_connections_thread_local",
            "backends.tests.ThreadTests.test_pass_connection_between_threads",
        }
    ),
}


class NativeFeatures(DatabaseFeatures):
    """Django's PostgreSQL features, with :data:`EXPECTED_FAILURES` declared to its test
    runner."""

    @cached_property
    def django_test_expected_failures(self) -> set[str]:  # type: ignore[override]
        """Django's own expected failures, and the native path's."""
        expected: set[str] = set(super().django_test_expected_failures)
        for tests in EXPECTED_FAILURES.values():
            expected |= tests
        return expected
