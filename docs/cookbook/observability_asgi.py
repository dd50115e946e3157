"""Recipe: ``asgi.py`` with OpenTelemetry: one trace per request, its queries and calls.

Spans go to an OTLP collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (the standard
variable of the OTLP exporter), else to the console. Set ``OTEL_SERVICE_NAME`` to name the
service.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from django_asyncx.asgi import get_asgi_application


def span_exporter() -> SpanExporter:
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return ConsoleSpanExporter()


provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(span_exporter()))
trace.set_tracer_provider(provider)
# Before the first connection and HTTP session are made: they are instrumented as created.
PsycopgInstrumentor().instrument()  # queries of the thread path (run_in_db, a-methods)
AsyncPGInstrumentor().instrument()  # asyncpg's own calls (BEGIN, COMMIT) on the native engine
AioHttpClientInstrumentor().instrument()  # request.http and get_client() calls

# The ASGI instrumentation makes the request span on the event loop (no thread hop).
application = OpenTelemetryMiddleware(get_asgi_application())
