"""Reading what a real OpenTelemetry SDK reader collected: the points of one metric; asyncpg's
instrumentation as its releases before prepared-statement support were."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def prepared_statements_uninstrumented() -> Iterator[None]:
    """asyncpg's instrumentation without its wrappers of ``PreparedStatement`` methods, as
    its releases before May 2026 were (they wrapped ``Connection``'s methods only): the
    native engine then makes its query spans itself."""
    from asyncpg.prepared_stmt import PreparedStatement

    wrapped = {
        name: method
        for name, method in vars(PreparedStatement).items()
        if getattr(method, "_self_wrapper", None) is not None
    }
    assert wrapped, "asyncpg's instrumentation is not on, or wraps no prepared statement"
    for name, method in wrapped.items():
        setattr(PreparedStatement, name, method.__wrapped__)
    try:
        yield
    finally:
        for name, method in wrapped.items():
            setattr(PreparedStatement, name, method)


def points(reader: Any, name: str) -> list[dict[str, Any]]:
    """Each data point of metric ``name``: its attributes and value (a histogram: its count
    and sum), as collected now by ``reader`` (an ``InMemoryMetricReader``)."""
    found = []
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    entry: dict[str, Any] = {"attributes": dict(point.attributes or {})}
                    if hasattr(point, "count"):
                        entry.update(count=point.count, sum=point.sum)
                    else:
                        entry["value"] = point.value
                    found.append(entry)
    return found


def value(reader: Any, name: str, attributes: dict[str, Any] | None = None) -> Any:
    """The value (a histogram: the count) of the one point of ``name`` with ``attributes``."""
    wanted = (attributes or {}).items()
    found = points(reader, name)
    matching = [p for p in found if wanted <= p["attributes"].items()]
    assert len(matching) == 1, f"{name} {attributes}: {matching or found}"
    return matching[0].get("value", matching[0].get("count"))
