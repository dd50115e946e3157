"""Without OpenTelemetry, or with it but no TracerProvider: no span, no import, no tracer.

Each case runs in a fresh interpreter (the suite's own process has a provider set): a bridge
query, a native query and an upstream call, then what OpenTelemetry saw of them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"

SCRIPT = """
import json, sys

class Blocker:
    # Makes OpenTelemetry look not installed, and counts who asked for it.
    attempts = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            self.attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

counts = {"tracers": 0, "spans": 0}
if MODE == "absent":
    sys.meta_path.insert(0, Blocker())
else:  # installed and imported, no provider set: count what would make a span
    from opentelemetry import trace

    def counted(method, key):
        def inner(*args, **kwargs):
            counts[key] += 1
            return method(*args, **kwargs)
        return inner

    trace.ProxyTracerProvider.get_tracer = counted(trace.ProxyTracerProvider.get_tracer, "tracers")
    trace.NonRecordingSpan.__init__ = counted(trace.NonRecordingSpan.__init__, "spans")
    trace.ProxyTracer.start_span = counted(trace.ProxyTracer.start_span, "spans")

import asyncio
import django

django.setup()
from django.db import connections

from django_asyncx.db import run_in_db
from django_asyncx.http import get_client
from django_asyncx.http.tracing import CallContext, use_context
from django_asyncx.testing.upstream import Upstream


def select(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT %s::int", [1])
        return cursor.fetchone()[0]


async def main():
    context = CallContext.from_headers({"traceparent": TRACEPARENT})
    with use_context(context):
        bridge = await run_in_db(select, "postgres", using="postgres")
        native = await run_in_db(select, "native", using="native")
        await get_client().get("/hello")
    return bridge, native


with Upstream() as upstream:
    upstream.route("/hello", text="hi")
    with upstream.override_clients("default"):
        results = asyncio.run(main())
    received = upstream.requests[0].headers["traceparent"]
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry")
print(json.dumps({
    "results": results,
    "traceparent": received,
    "attempts": Blocker.attempts,
    "loaded": loaded,
    **counts,
}))
"""


def run(mode):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
    }
    code = f"MODE = {mode!r}\nTRACEPARENT = '00-{TRACE_ID}-00f067aa0ba902b7-01'\n{SCRIPT}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["absent", "not-configured"])
def test_no_span_and_no_cost_without_a_configured_opentelemetry(mode):
    seen = run(mode)
    assert seen["results"] == [1, 1]
    # The hand-written propagation continues the incoming trace.
    version, trace_id, parent, flags = seen["traceparent"].split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert parent != "00f067aa0ba902b7"
    assert seen["tracers"] == seen["spans"] == 0
    if mode == "absent":
        assert seen["attempts"] == []  # nothing even tried to import it
        assert seen["loaded"] == []
    else:
        # Only what the script imported itself: the hooks imported nothing more.
        assert "opentelemetry.propagate" not in seen["loaded"]
        assert not [m for m in seen["loaded"] if m.startswith("opentelemetry.sdk")]
