"""Retry timing: exponential backoff with jitter, ``Retry-After``, all within a deadline.

The retry loop itself is the client's (:mod:`django_asyncx.http.client`): it needs the time
left before the deadline to size each attempt's own timeout, which retry libraries do not
hand to the attempt. What is here is the arithmetic, kept apart so it can be read and tested
on its own. The policy is :class:`~django_asyncx.options.Retry`.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

from django_asyncx.options import Retry

__all__ = ["Deadline", "parse_retry_after", "retry_delay"]


class Deadline:
    """The end of a call's total time budget on the loop's clock (``None``: no end)."""

    __slots__ = ("end",)

    def __init__(self, total: float | None) -> None:
        self.end = None if total is None else asyncio.get_running_loop().time() + total

    def remaining(self) -> float | None:
        """Seconds left, never below 0; ``None`` when the call has no total limit."""
        if self.end is None:
            return None
        return max(0.0, self.end - asyncio.get_running_loop().time())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date).

    Returns ``None`` for a missing or unreadable value; a date in the past gives 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(
    policy: Retry, retry: int, *, retry_after: str | None = None, remaining: float | None = None
) -> float | None:
    """Seconds to wait before retry number ``retry`` (0 for the first), or ``None`` to stop.

    Stops when the policy's retries are used up, when ``Retry-After`` asks for longer than
    ``policy.retry_after_max``, or when the wait would not end before the deadline
    (``remaining`` seconds left).
    """
    if retry >= policy.max_retries:
        return None
    delay = parse_retry_after(retry_after)
    if delay is None:
        ceiling = min(policy.max_backoff, policy.backoff * 2**retry)
        delay = random.uniform(ceiling / 2, ceiling)
    elif delay > policy.retry_after_max:
        return None
    if remaining is not None and delay >= remaining:
        return None
    return delay
