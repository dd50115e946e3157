"""Without OpenTelemetry (not installed, or installed and not configured), the library does
the same work with no OpenTelemetry module imported and no instrument made; configured
before Django, the instruments are made when the apps are ready. Each case runs in a fresh
interpreter, which does some work of every kind the metrics report, then counts.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

WORK = """
import asyncio, json, sys
import django
from django.conf import settings

settings.configure(INSTALLED_APPS=["django_asyncx"], DATABASES={}, USE_TZ=True,
                   ALLOWED_HOSTS=["testserver"])
django.setup()

from yarl import URL
from django_asyncx.executors import run_in_executor
from django_asyncx.observability import metrics
from django_asyncx.sse import EventStream

async def events():
    yield "one"

async def work():
    assert await run_in_executor(sum, [1, 2]) == 3
    chunks = [chunk async for chunk in EventStream(events()).streaming_content]
    assert chunks == [b"data: one\\n\\n"]
    metrics.record_upstream_call("default", "GET", URL("http://127.0.0.1:1/"), 200, 0.001)
    with metrics.open_connection("websocket"):
        pass
    # Read while the loop runs: the pools shut down with the last loop that used them.
    return {
        "otel_modules": sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"),
        "enabled": metrics.enabled(),
        "calls": metrics.figures().executors["blocking"].completed,
        "report": REPORT,
    }

print(json.dumps(asyncio.run(work())))
"""

NOT_INSTALLED = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NotInstalled())
"""

CONFIGURED = """
from opentelemetry import metrics as api
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

reader = InMemoryMetricReader()
api.set_meter_provider(MeterProvider(metric_readers=[reader]))
"""

COLLECTED = """{
    metric.name: len(metric.data.data_points)
    for resource in reader.get_metrics_data().resource_metrics
    for scope in resource.scope_metrics if scope.scope.name == "django_asyncx"
    for metric in scope.metrics
}"""


def run(prelude, report="None"):
    code = prelude + WORK.replace("REPORT", report)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env={"PATH": ""}, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("prelude", ["", NOT_INSTALLED], ids=["not-configured", "not-installed"])
def test_without_opentelemetry_nothing_is_imported_or_made(prelude):
    assert run(prelude) == {"otel_modules": [], "enabled": False, "calls": 1, "report": None}


def test_a_provider_configured_before_django_gets_every_instrument():
    outcome = run(CONFIGURED, COLLECTED)
    assert outcome["enabled"] is True
    assert outcome["calls"] == 1
    # Each instrument that has something to report now: one point per executor and state,
    # the upstream call, the loop (no watchdog: nothing), the connections.
    assert outcome["report"] == {
        "asyncx.executor.threads": 2, "asyncx.executor.threads.max": 1,
        "asyncx.executor.queue.size": 1, "asyncx.executor.queue.wait_time": 1,
        "asyncx.executor.calls": 1, "asyncx.http.client.call.duration": 1,
        "asyncx.loop.blocks": 1, "asyncx.loop.block.time": 1, "asyncx.loop.blocked": 1,
        "asyncx.sse.connections": 1, "asyncx.websocket.connections": 1,
    }  # fmt: skip
