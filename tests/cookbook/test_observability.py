"""The observability recipe (docs/cookbook/observability_asgi.py) exports a request's trace.

Each run is a fresh interpreter: the recipe sets the process's TracerProvider, once.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "cookbook" / "observability_asgi.py"

SCRIPT = """
import asyncio, importlib.util, sys

spec = importlib.util.spec_from_file_location("observability_asgi", sys.argv[1])
recipe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)

from django_asyncx.testing.client import arequest

result = asyncio.run(arequest(recipe.application, "GET", "/hello/"))
assert result.status == 200, result
recipe.provider.shutdown()  # exports what the batch holds
"""


def run_recipe(**env):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(RECIPE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_recipe_prints_the_request_span_to_the_console():
    out = run_recipe(OTEL_SERVICE_NAME="shop")
    decoder = json.JSONDecoder()
    spans, position = [], 0
    while (start := out.find("{", position)) != -1:
        span, position = decoder.raw_decode(out, start)
        spans.append(span)
    [request] = [span for span in spans if span["name"] == "GET /hello/"]
    assert request["kind"] == "SpanKind.SERVER"
    assert request["resource"]["attributes"]["service.name"] == "shop"
    assert request["attributes"]["http.status_code"] == 200


def test_the_recipe_sends_the_spans_to_the_otlp_endpoint(asyncx_upstream):
    asyncx_upstream.route("/v1/traces", text="")
    out = run_recipe(OTEL_EXPORTER_OTLP_ENDPOINT=asyncx_upstream.url)
    assert out == ""  # nothing on the console
    [export] = asyncx_upstream.requests
    assert (export.method, export.path) == ("POST", "/v1/traces")
    assert export.headers["Content-Type"] == "application/x-protobuf"
    assert b"GET /hello/" in export.body
