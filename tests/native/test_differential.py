"""The differential helper itself: one query, both paths, the same rows."""

import pytest

from tests.support.differential import both, raw

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


async def test_both_runs_the_query_on_the_psycopg_and_the_native_path():
    expected, got = await both(raw("SELECT %s::int + 1, pg_backend_pid() > 0", [41]))
    assert got == expected == [(42, True)]


async def test_both_reports_an_error_by_class_and_first_line():
    expected, got = await both(raw("SELECT 1/0"))
    assert got == expected
    assert got == ("DataError", "division by zero")
