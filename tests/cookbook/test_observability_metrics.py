"""The observability recipes: metrics wired in ``asgi.py`` reach the exporter; the health
view mounted twice, with its own block window for the load balancer."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from django_asyncx.asgi import get_asgi_application
from django_asyncx.testing.client import arequest

ROOT = Path(__file__).resolve().parent.parent.parent
COOKBOOK = ROOT / "docs" / "cookbook"

EXPORTED = """
import json, os, runpy, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.support.observability_site.settings"
os.environ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000"
namespace = runpy.run_path(sys.argv[1], run_name="asgi")
from opentelemetry import metrics
from django_asyncx.observability import metrics as asyncx_metrics
metrics.get_meter_provider().shutdown()  # exports once, to the console
print(json.dumps({"enabled": asyncx_metrics.enabled()}))
"""


def recipe_path(name):
    return COOKBOOK / f"{name}.py"


def recipe(name):
    spec = importlib.util.spec_from_file_location(f"cookbook_{name}", recipe_path(name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_metrics_recipe_exports_django_asyncx_metrics_to_the_console():
    path = recipe_path("observability_metrics")
    result = subprocess.run([sys.executable, "-c", EXPORTED, str(path)], capture_output=True,
                            text=True, cwd=ROOT, check=False, env={"PATH": ""})  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The console exporter prints one JSON document per export before the script's line.
    *exported, last = result.stdout.strip().splitlines()
    assert json.loads(last) == {"enabled": True}
    assert '"name": "django_asyncx"' in "\n".join(exported)
    assert '"name": "asyncx.sse.connections"' in "\n".join(exported)


@pytest.mark.django_db(transaction=True)
async def test_the_health_recipe_serves_both_probes():
    with override_settings(ROOT_URLCONF=recipe("observability_health")):
        app = get_asgi_application()
        for path in ("/health/", "/ready/"):
            result = await arequest(app, "GET", path)
            assert result.status == 200
            assert json.loads(result.body)["status"] == "ok"
