"""Settings, URLs, view and ASGI entry of the observability overhead benchmark.

``DJANGO_SETTINGS_MODULE=bench.observability_site``; serve ``bench.observability_site:app``.
The view runs one query through the DB bridge (psycopg, thread path), one on the native
engine and one upstream call (``UPSTREAM_URL``'s ``/fast``). ``BENCH_OTEL`` picks the
instrumentation, set up before Django as a project would:

- ``off``: no OpenTelemetry configured;
- ``metrics``: the SDK's ``MeterProvider`` with a reader that collects every second (the
  observable instruments' callbacks run) and an exporter that drops what it gets;
- ``traces``: those metrics, and the SDK's ``TracerProvider`` (batched, every span sampled,
  dropped by its exporter) with the ASGI, psycopg, asyncpg and aiohttp-client
  instrumentations, as ``docs/cookbook/observability_asgi.py`` sets them up.
"""

from __future__ import annotations

import os
from typing import Any

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.urls import path

from django_asyncx.db import run_in_db
from django_asyncx.testing import services

UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:8001")
OTEL = os.environ.get("BENCH_OTEL", "off")
OTEL_CHOICES = ("off", "metrics", "traces")

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = __name__
INSTALLED_APPS = ["django_asyncx"]
USE_TZ = True
MIDDLEWARE = ["django_asyncx.middleware.HttpClientMiddleware"]
_SERVER = {**services.database_settings(services.postgres_url()), "NAME": "postgres"}
DATABASES: dict[str, Any] = {
    "default": {**_SERVER, "ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": None},
    "native": {**_SERVER, "ENGINE": "django_asyncx.db.backends.postgresql"},
}
ASYNCX = {
    "HTTP_CLIENTS": {"default": {"base_url": UPSTREAM_URL, "allow_private": True}},
    "LOOP_BLOCK_WARN_MS": 100,  # the watchdog on, as a production project would run it
}


def _select_one(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return int(cursor.fetchone()[0])


async def request_work(request: HttpRequest) -> JsonResponse:
    """A bridge query, a native query and an upstream call, one after the other."""
    bridge = await run_in_db(_select_one, "default", using="default")
    native = await run_in_db(_select_one, "native", using="native")
    upstream = await request.http.get("/fast")  # type: ignore[attr-defined]
    return JsonResponse({"bridge": bridge, "native": native, "upstream": upstream.status})


urlpatterns = [path("work", request_work)]


def _configure_opentelemetry() -> None:
    if OTEL not in OTEL_CHOICES:
        raise ValueError(f"BENCH_OTEL must be one of {', '.join(OTEL_CHOICES)}; got {OTEL!r}")
    if OTEL == "off":
        return
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        MetricExporter,
        MetricExportResult,
        PeriodicExportingMetricReader,
    )

    class Discard(MetricExporter):  # type: ignore[misc]
        """Takes every export and keeps nothing: the cost measured is the collection's."""

        def export(self, metrics_data: Any, timeout_millis: float = 0, **kwargs: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 0) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 0, **kwargs: Any) -> None:
            pass

    reader = PeriodicExportingMetricReader(Discard(), export_interval_millis=1000)
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    if OTEL == "traces":
        _configure_tracing()


def _configure_tracing() -> None:
    from opentelemetry import trace
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    class Discard(SpanExporter):  # type: ignore[misc]
        """Takes every batch of spans and keeps nothing."""

        def export(self, spans: Any) -> Any:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    trace.set_tracer_provider(provider)
    PsycopgInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()
    AioHttpClientInstrumentor().instrument()


def application() -> Any:
    """The ASGI application, with OpenTelemetry configured first as ``BENCH_OTEL`` says."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
    _configure_opentelemetry()
    from django_asyncx.asgi import get_asgi_application

    if OTEL != "traces":
        return get_asgi_application()
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(get_asgi_application())
