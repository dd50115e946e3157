"""The demo's lifespan: hooks that log startup and shutdown, and a per-loop page-view counter.

Listed in ``ASYNCX["LIFESPAN"]``, so django_asyncx imports it at startup (or, under a server
that sends no lifespan events such as daphne, before the first request).
"""

from __future__ import annotations

import logging
from collections import Counter

from django_asyncx.lifespan import on_shutdown, on_startup
from django_asyncx.loops import LoopResource

logger = logging.getLogger("demo")


class PageViewCounter:
    """Counts the JSON API's page views served by one event loop, per path."""

    def __init__(self) -> None:
        self.views: Counter[str] = Counter()

    def bump(self, path: str) -> int:
        """Count one view of ``path``; return the loop's total."""
        self.views[path] += 1
        return self.total

    @property
    def total(self) -> int:
        """All views counted so far."""
        return self.views.total()

    def close(self) -> None:
        # Runs at lifespan shutdown, or (daphne) at reactor shutdown or interpreter exit:
        # it only logs, it touches neither the database nor threads.
        logger.info("closing page-view counter (%d views)", self.total)


page_views: LoopResource[PageViewCounter] = LoopResource(
    "demo.page_views", create=PageViewCounter, close=PageViewCounter.close
)


@on_startup
def log_startup() -> None:
    """Say the application is ready."""
    logger.info("startup")


@on_shutdown
def log_shutdown() -> None:
    """Say the application is stopping."""
    logger.info("shutdown")
