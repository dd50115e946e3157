"""What Django's own backend tests read on the native wrapper and its connection, compared
with the psycopg path: the logged SQL under an execute wrapper, patched base methods, the
time zone hook, psycopg's ``isolation_level`` and ``info.encoding``, a list of hstore values."""

from unittest import mock

import pytest
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test.utils import CaptureQueriesContext
from psycopg import IsolationLevel

from tests.support.differential import NATIVE, both, raw
from tests.support.nativeapp.models import Author

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


def _new_connection(**options):
    """A separate wrapper of the alias (as Django's tests make one), with extra OPTIONS."""
    wrapper = connections[NATIVE].copy()
    wrapper.settings_dict = {
        **wrapper.settings_dict,
        "OPTIONS": {**wrapper.settings_dict["OPTIONS"], **options},
    }
    return wrapper


async def test_the_logged_sql_is_what_an_execute_wrapper_ran():
    def fn():
        def comment(execute, sql, params, many, context):
            return execute(f"/* tagged */ {sql}", params, many, context)

        connection = connections[NATIVE]
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(comment):
            list(Author.objects.using(NATIVE).filter(name="x"))
        return captured.captured_queries[-1]["sql"]

    expected, got = await both(fn)
    assert got == expected
    assert got.startswith("/* tagged */ SELECT")
    assert "'x'" in got


async def test_a_patched_base_connect_is_the_one_called():
    calls = []

    def refuse(self):
        calls.append(self.alias)
        raise DatabaseError("refused by the patch")

    def fn():
        with mock.patch.object(BaseDatabaseWrapper, "connect", refuse):
            wrapper = _new_connection()
            try:
                wrapper.ensure_connection()
            finally:
                wrapper.close()

    expected, got = await both(fn)
    assert got == expected == ("DatabaseError", "refused by the patch")
    assert calls == [NATIVE, NATIVE]


async def test_reset_timezone_goes_back_to_the_server_default_and_the_hook_is_consulted():
    def fn():
        wrapper = _new_connection()
        try:
            with wrapper.cursor() as cursor:
                cursor.execute("SHOW TIMEZONE")
                session = cursor.fetchone()[0]
                cursor.execute("RESET TIMEZONE")
                default = wrapper.connection.info.parameter_status("TimeZone")
            # The session's zone is Django's, set by _configure_timezone after connecting,
            # so RESET goes back to the server's default, as on psycopg.
            wrapper.timezone_name = "Europe/Paris" if default == "UTC" else "UTC"
            configured = wrapper._configure_timezone(wrapper.connection)
            with wrapper.cursor() as cursor:
                cursor.execute("SHOW TIMEZONE")
                matches = cursor.fetchone()[0] == wrapper.timezone_name
                return session, default, configured, matches
        finally:
            wrapper.close()

    expected, got = await both(fn)
    assert got == expected
    assert (got[0], got[2], got[3]) == ("UTC", True, True)


async def test_an_overridden_timezone_hook_is_what_configures_the_connection():
    seen = []

    def bypass(self, connection):
        seen.append(self.alias)
        return False

    def fn():
        wrapper = _new_connection()
        with mock.patch.object(type(wrapper), "_configure_timezone", bypass):
            try:
                wrapper.ensure_connection()
            finally:
                wrapper.close()

    expected, got = await both(fn)
    assert got == expected == None  # noqa: E711 - both return None
    assert seen == [NATIVE, NATIVE]


async def test_isolation_level_and_encoding_as_psycopg_reports_them():
    def fn():
        plain, serializable = (
            _new_connection(),
            _new_connection(
                isolation_level=IsolationLevel.SERIALIZABLE, client_encoding="iso-8859-2"
            ),
        )
        try:
            plain.ensure_connection()
            serializable.ensure_connection()
            serializable.set_autocommit(False)
            return (
                plain.connection.isolation_level,
                serializable.connection.isolation_level,
                serializable.isolation_level,
                serializable.connection.info.encoding,
            )
        finally:
            plain.close()
            serializable.close()

    expected, got = await both(fn)
    assert got == expected == (None, IsolationLevel.SERIALIZABLE, IsolationLevel.SERIALIZABLE,
                               "utf-8")  # fmt: skip


async def test_an_invalid_isolation_level_is_improperly_configured_as_on_psycopg():
    def fn():
        wrapper = _new_connection(isolation_level=-1)
        try:
            wrapper.ensure_connection()
        finally:
            wrapper.close()

    expected, got = await both(fn)
    assert got == expected
    assert got == (
        "ImproperlyConfigured",
        "Invalid transaction isolation level -1 specified. Use one of the "
        "psycopg.IsolationLevel values.",
    )


async def test_a_list_of_hstore_values_as_psycopg_sends_it():
    value = [{"a": "1", "ï": "ê", "n": None}, None, {}]
    expected, got = await both(raw("SELECT %s, pg_typeof(%s)::text", [value, value]))
    assert got == expected == [(value, "hstore[]")]
