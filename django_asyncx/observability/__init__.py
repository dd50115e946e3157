"""Observability: OpenTelemetry metrics and a health view (see docs/observability.md)."""

__all__: list[str] = []
