"""Deprecated: the fan-out ``gather`` is :func:`django_asyncx.concurrency.gather`.

``django_asyncx.http.gather`` and ``Client.gather`` (``request.http.gather``) still work for
one release: they warn and call it.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from typing import Any

from django_asyncx.concurrency import gather as _gather

__all__ = ["gather"]


async def gather(
    *calls: Awaitable[Any], limit: int | None = None, return_exceptions: bool = False
) -> list[Any]:
    """Deprecated: :func:`django_asyncx.concurrency.gather`, which takes the same arguments."""
    warnings.warn(
        "django_asyncx.http.gather() and Client.gather() are deprecated; use "
        "django_asyncx.concurrency.gather()",
        DeprecationWarning,
        stacklevel=2,
    )
    return await _gather(*calls, limit=limit, return_exceptions=return_exceptions)
