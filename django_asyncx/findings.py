"""What the audit reports: one :class:`Finding` per thing it looked at.

Apart from :mod:`django_asyncx.audit` so that the audit's websocket half
(:mod:`django_asyncx.consumer_audit`), which ``audit`` calls, builds findings without importing
``audit`` back.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(slots=True)
class Finding:
    """One thing the audit looked at: what, its state, its cost in hops, and the fix."""

    kind: str  # "asgi", "url", "middleware", "handler", "signal", "cache", "websocket", ...
    name: str
    detail: str
    hops: int = 0
    fix: str = ""
