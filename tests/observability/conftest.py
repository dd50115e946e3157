"""The real OpenTelemetry SDK: the standard instrumentations and a meter provider, for one test."""

import pytest


@pytest.fixture(scope="session")
def otel_exporter():
    """An in-memory exporter behind the process's TracerProvider (a provider is set once).

    Spans reach it only while a test holds ``otel_spans``: the other tests that run after it
    keep nothing in memory.
    """
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    class Switch(SimpleSpanProcessor):
        on = False

        def on_end(self, span):
            if self.on:
                super().on_end(span)

    exporter = InMemorySpanExporter()
    switch = Switch(exporter)
    provider = TracerProvider()
    provider.add_span_processor(switch)
    trace.set_tracer_provider(provider)
    assert trace.get_tracer_provider() is provider, "another TracerProvider was set first"
    exporter.switch = switch
    return exporter


@pytest.fixture
def otel_spans(otel_exporter):
    """The exporter, empty, with the psycopg, asyncpg and aiohttp-client instrumentations on
    for the test (off again after it, so other tests see no patched library)."""
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    instrumentors = [PsycopgInstrumentor(), AsyncPGInstrumentor(), AioHttpClientInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument()
    otel_exporter.clear()
    otel_exporter.switch.on = True
    yield otel_exporter
    otel_exporter.switch.on = False
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    otel_exporter.clear()


@pytest.fixture
def otel_spans_by_the_engine(otel_spans):
    """``otel_spans`` with asyncpg's instrumentation as its releases before prepared-statement
    support were: the native engine's query spans are then its own."""
    from tests.support.otel import prepared_statements_uninstrumented

    with prepared_statements_uninstrumented():
        yield otel_spans


def span_tree(spans):
    """The spans as an indented tree, children in start order: ``name  {attributes}``."""
    ids = {span.context.span_id for span in spans}
    children = {}
    for span in sorted(spans, key=lambda s: s.start_time):
        # A root may have a remote parent (the incoming traceparent).
        parent = span.parent.span_id if span.parent and span.parent.span_id in ids else None
        children.setdefault(parent, []).append(span)
    lines = []

    def walk(parent, depth):
        for span in children.get(parent, []):
            statement = span.attributes.get("db.statement")
            detail = f"  [{statement}]" if statement else ""
            lines.append(f"{'  ' * depth}{span.name} ({span.instrumentation_scope.name}){detail}")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


@pytest.fixture
def reader():
    """The reader of a provider the metrics' instruments are made on for the test, then dropped."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from django_asyncx.observability import metrics

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    metrics.enable(meter_provider=provider)
    yield reader
    metrics.disable()
    provider.shutdown()


@pytest.fixture
def native_pool_size():
    """Set ``native_max_size`` on the ``native`` alias for one test (its pools made meanwhile)."""
    from django.db import connections

    entry = connections.settings["native"]
    saved = dict(entry["OPTIONS"])

    def apply(size):
        entry["OPTIONS"] = {**saved, "native_max_size": size}

    yield apply
    entry["OPTIONS"] = saved


async def until(predicate, *, within=10.0):
    """Wait, yielding to the loop, until ``predicate()`` holds; fail after ``within`` s."""
    import asyncio
    import time

    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        await asyncio.sleep(0.005)
