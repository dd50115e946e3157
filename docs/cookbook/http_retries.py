"""Recipe: retries that are safe, and bounded in time.

GETs are retried on connection errors, timeouts and 429/502/503/504 out of the box. A POST
is retried only when the upstream can tell a retry from a new request: send an idempotency
key, and mark the call ``idempotent=True``. ``timeout`` bounds everything, backoff included:
no retry starts that would end past it.

    ASYNCX = {"HTTP_CLIENTS": {"payments": {
        "base_url": "https://payments.example.com/v1/",
        "timeout": {"total": 10, "connect": 2, "read": 5},
        "retries": {"max_retries": 4, "backoff": 0.2, "max_backoff": 3},
    }}}
"""

import uuid
from typing import Any

from django_asyncx.http import Retry, get_client


async def exchange_rates() -> Any:
    """A read: retried by default, waiting as long as ``Retry-After`` asks (up to 30 s)."""
    response = await get_client("payments").get("rates", params={"base": "EUR"})
    return response.json()


async def charge(amount_cents: int, *, idempotency_key: str | None = None) -> Any:
    """A write made safe to retry: the upstream dedupes on the ``Idempotency-Key``."""
    key = idempotency_key or str(uuid.uuid4())
    response = await get_client("payments").post(
        "charges",
        json={"amount": amount_cents},
        headers={"Idempotency-Key": key},
        idempotent=True,
        retries=Retry(max_retries=3, backoff=0.05, statuses=frozenset({502, 503, 504})),
        timeout=5,
    )
    return response.json()
