"""Parameter values reach the server on the native path exactly as psycopg sends them.

Differential: the same SQL and values run on the psycopg path and on the native path of one
database (:func:`tests.support.differential.both`), and the answers must be equal.
"""

import subprocess
import sys
import textwrap

import psycopg
import pytest
from django.db import connections

from tests.support.differential import NATIVE, both, raw
from tests.support.nativeapp.models import AllTypes

pytestmark = pytest.mark.django_db(transaction=True, databases=["native"])


async def test_binary_values_round_trip_byte_for_byte():
    def fn():
        out = []
        for value in (b"\x00F\xfe", memoryview(b"\x05\xfd\x00"), bytearray(b"\\x")):
            obj = AllTypes.objects.using(NATIVE).create(binary=value)
            out.append(bytes(AllTypes.objects.using(NATIVE).get(pk=obj.pk).binary))
        AllTypes.objects.using(NATIVE).all().delete()
        return out

    expected, got = await both(fn)
    assert got == expected == [b"\x00F\xfe", b"\x05\xfd\x00", b"\\x"]


def test_binary_values_are_not_escaped_in_a_process_that_never_opened_a_psycopg_connection():
    # Without a connection, libpq's PQescapeBytea() doubles backslashes until some connection
    # in the process has reported standard_conforming_strings: an ASGI worker that only uses
    # the native path must still store psycopg.Binary (every BinaryField value) unescaped.
    entry = connections[NATIVE].settings_dict
    database = {key: entry[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")}
    script = textwrap.dedent(f"""
        import asyncio, django, psycopg
        from django.conf import settings
        settings.configure(
            DATABASES={{"default": {{"ENGINE": "django_asyncx.db.backends.postgresql",
                                     **{database!r}}}}},
            INSTALLED_APPS=["django_asyncx"],
        )
        django.setup()
        from django.db import connection
        from django_asyncx.db import run_in_db

        def work():
            with connection.cursor() as cursor:
                cursor.execute("SELECT length(%s), %s", [psycopg.Binary(b"\\x00F\\xfe")] * 2)
                length, value = cursor.fetchone()
                return length, bytes(value)

        print(asyncio.run(run_in_db(work)))
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == repr((3, b"\x00F\xfe"))


async def test_psycopg_binary_parameter_matches_psycopg():
    value = psycopg.Binary(b"\x00\\F\xfe")
    expected, got = await both(raw("SELECT length(%s), %s", [value, value]))
    assert got == expected
    assert expected[0][0] == 4
