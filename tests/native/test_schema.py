"""The schema editor and introspection on the native path answer as on psycopg."""

import datetime
import decimal
import uuid

import pytest
from django.db import connections
from django.db.models import CheckConstraint, Q

from django_asyncx.db.backends.postgresql.native import run_native
from tests.support.differential import psycopg_path
from tests.support.nativeapp.models import Author

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])

DB = "native"

VALUES = [
    "a%b",
    "it's",
    "back\\slash",
    1,
    1.5,
    decimal.Decimal("2.50"),
    True,
    None,
    datetime.date(2024, 1, 2),
    datetime.datetime(2024, 1, 2, 3, 4, 5),
    datetime.timedelta(days=1, seconds=3),
    b"\x00F\xfe",
    uuid.UUID(int=5),
    ["a", "b"],
]


def quoted() -> list[str]:
    with connections[DB].schema_editor() as editor:
        return [editor.quote_value(value) for value in VALUES]


async def test_quote_value_writes_psycopgs_literals():
    assert await run_native(quoted, using=DB) == await psycopg_path(quoted)


def constraint_round_trip() -> list[bool]:
    connection = connections[DB]
    check = CheckConstraint(condition=~Q(name="it's 100%"), name="native_author_not_literal")
    with connection.schema_editor() as editor:
        editor.add_constraint(Author, check)
    try:
        with connection.cursor() as cursor:
            names = connection.introspection.get_constraints(cursor, Author._meta.db_table)
        created = check.name in names
        Author.objects.using(DB).create(name="it's 100")
        try:
            with connection.schema_editor() as editor:
                literal = editor.quote_value("it's 100%")
                editor.execute(f"INSERT INTO {Author._meta.db_table} (name) VALUES ({literal})")
        except Exception as exc:
            rejected = "native_author_not_literal" in str(exc)
        else:
            rejected = False
    finally:
        with connection.schema_editor() as editor:
            editor.remove_constraint(Author, check)
    return [created, rejected]


async def test_a_check_constraint_with_a_literal_is_created_and_enforced():
    assert await run_native(constraint_round_trip, using=DB) == [True, True]
