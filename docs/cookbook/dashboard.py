"""Recipe: the queries of one page, run at once.

Each queryset in ``aresolve`` is its own bridge call, on its own pool thread and connection,
so the page waits for the slowest query, not for the sum of them.
"""

from bank.models import Account
from django.db.models import Sum

from django_asyncx.db import aresolve, run_in_db


async def dashboard() -> dict[str, object]:
    """The context of a dashboard page."""
    return await aresolve(
        {
            "richest": Account.objects.order_by("-balance")[:3],
            "empty": Account.objects.filter(balance=0),
            "total": run_in_db(lambda: Account.objects.aggregate(total=Sum("balance"))["total"]),
            "title": "Accounts",
        }
    )
