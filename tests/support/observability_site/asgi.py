"""The live project under a real OpenTelemetry SDK, set up before Django as a project would.

The meter provider is the global one with an in-memory reader, which ``/otel/`` reads, so
the test sees the metrics of the server process itself.
"""

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

from django_asyncx.asgi import get_asgi_application  # noqa: E402


async def websocket(scope, receive, send):
    """Accept, then wait for the client to close."""
    while (message := await receive())["type"] != "websocket.disconnect":
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})


application = get_asgi_application(websocket=websocket)
