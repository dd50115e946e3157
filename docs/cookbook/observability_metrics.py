"""Recipe: OpenTelemetry metrics from ``asgi.py``, set up before Django.

Metrics go to an OTLP collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, else to the
console, every ``OTEL_METRIC_EXPORT_INTERVAL`` milliseconds (60000 by default).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)

from django_asyncx.asgi import get_asgi_application


def metric_exporter() -> MetricExporter:
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter()
    return ConsoleMetricExporter()


# Before get_asgi_application(): django_asyncx makes its instruments when Django is ready.
metrics.set_meter_provider(MeterProvider([PeriodicExportingMetricReader(metric_exporter())]))

application = get_asgi_application()
