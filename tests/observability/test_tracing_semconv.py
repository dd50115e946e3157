"""With OTEL_SEMCONV_STABILITY_OPT_IN, native spans carry the names asyncpg's have.

The variable is read once per process (by the instrumentations and by django_asyncx), so
each mode runs in a fresh interpreter: the same statement through the native engine and
through plain asyncpg under its instrumentation, attributes compared.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import asyncio, json

import asyncpg
import django
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
AsyncPGInstrumentor().instrument()
django.setup()
from tests.support.otel import prepared_statements_uninstrumented

from django.db import connections

from django_asyncx.db import run_in_db


def query():
    with connections["native"].cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        return cursor.fetchone()[0]


async def main():
    with prepared_statements_uninstrumented():  # the engine's own span, then asyncpg's
        await run_in_db(query, using="native")
    def text(span):
        return span.attributes.get("db.query.text") or span.attributes.get("db.statement", "")

    # The engine's own first-connection queries come first.
    [ours] = [s for s in exporter.get_finished_spans() if "+ 1" in text(s)]
    assert ours.instrumentation_scope.name == "django_asyncx"
    statement = text(ours)
    settings = connections["native"].settings_dict
    connection = await asyncpg.connect(
        host=settings["HOST"] or None, port=int(settings["PORT"] or 5432),
        user=settings["USER"] or None, password=settings["PASSWORD"] or None,
        database=settings["NAME"],
    )
    exporter.clear()
    await connection.fetchval(statement, 41)
    await connection.close()
    [theirs] = [s for s in exporter.get_finished_spans() if text(s) == statement]
    return dict(ours.attributes), dict(theirs.attributes)


print(json.dumps(asyncio.run(main())))
"""


@pytest.mark.parametrize("mode", ["database", "database/dup"])
def test_native_span_attributes_follow_the_stability_opt_in_as_asyncpg_does(mode):
    env = {
        **os.environ,
        "OTEL_SEMCONV_STABILITY_OPT_IN": mode,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    ours, theirs = json.loads(result.stdout.strip().splitlines()[-1])
    assert ours == theirs
    assert ours["db.query.text"].startswith("SELECT $1")
    assert ours["db.system.name"] == "postgresql"
    assert ("db.statement" in ours) == (mode == "database/dup")
