"""Reading what a real OpenTelemetry SDK reader collected: the points of one metric."""

from typing import Any


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
