"""What django_asyncx shows an APM: OpenTelemetry spans (:mod:`.tracing`) and metrics
(:mod:`.metrics`), and a health view (:mod:`.health`).

Nothing here imports OpenTelemetry until a program has imported it itself: with
OpenTelemetry absent or not configured the hooks cost a dictionary lookup and make no span.
"""

__all__: list[str] = []
