"""The pytest plugin: ``pytest_plugins = ["django_asyncx.testing.plugin"]``.

Fixtures:

* ``upstream``: a real HTTP server on a loopback port for the test's outbound calls
  (:class:`~django_asyncx.testing.upstream.Upstream`); declare routes with
  ``upstream.route(...)`` and point clients at it with ``upstream.override_clients(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .upstream import Upstream

__all__ = ["upstream"]


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """A started :class:`Upstream` for this test, stopped (and its thread joined) after it."""
    with Upstream() as server:
        yield server
