"""A real OpenTelemetry SDK meter provider with an in-memory reader, for one test."""

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from django_asyncx.observability import metrics


@pytest.fixture
def reader():
    """The reader of a provider the instruments are made on for the test, then dropped."""
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
