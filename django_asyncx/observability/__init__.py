"""What django_asyncx shows an APM: OpenTelemetry spans (:mod:`.tracing`).

Nothing here imports OpenTelemetry until a program has imported it itself: with
OpenTelemetry absent or not configured the hooks cost a dictionary lookup and make no span.
"""

__all__: list[str] = []
